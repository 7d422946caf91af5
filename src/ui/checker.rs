//! The checker panel: what the run's checker finds right now (acknowledged records lost, duplicates in
//! the log, per-key order violations, records nobody consumed), each finding located with a "show me"
//! that opens the record's whole story: sent, stored on which replicas at which offset and leader
//! epoch, committed or not, acknowledged, consumed by which groups, lost; and its key's records in log
//! order, with the ones stored out of send order marked. A cell of the log opens the same story.

use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_count;
use crate::engine::checker::{Finding, RecordStory};
use crate::html::Names;

/// Findings listed per kind (the counts cover all of them).
pub(super) const LISTED: usize = 8;
const KINDS: [(&str, &str, &str); 5] = [
    ("lost", "✕ Lost acknowledged", "acknowledged to the producer, missing from the log"),
    ("duplicate", "2× Duplicates", "one record stored twice (a retry without idempotence)"),
    ("order", "⇅ Order violations", "same producer and key, stored in another order than sent"),
    ("processing", "⇵ Processed out of order", "a group processed it after a later record of its key"),
    ("unseen", "○ Not consumed", "in the log and acknowledged, not processed by any group yet"),
];

#[component]
pub fn CheckerPanel() -> Html {
    let sim = use_sim();
    let Some(checked) = sim.findings() else { return html! {} };
    let (counts, found) = &*checked;
    let names = sim.view(Names::of).unwrap_or_default();
    let story = sim.record.and_then(|(p, seq)| sim.view(|s| s.record_story(p, seq)).flatten());
    let count_of = |kind: &str| match kind {
        "lost" => counts.lost_acked,
        "duplicate" => counts.duplicates,
        "order" => counts.order_violations,
        "processing" => counts.processing_order_violations,
        _ => counts.unseen,
    };
    let show = |f: &Finding| {
        let sim = sim.clone();
        let record = (f.producer, f.seq);
        Callback::from(move |_: MouseEvent| sim.show_record(Some(record)))
    };
    html! {
        <section class="panel checker" aria-labelledby="checker-title" data-testid="checker">
            <h2 id="checker-title">{ "Checker" }</h2>
            if let Some(story) = &story {
                { story_html(story, &names, { let sim = sim.clone(); Callback::from(move |_: MouseEvent| sim.show_record(None)) }) }
            }
            { for KINDS.iter().map(|(kind, label, what)| {
                let n = count_of(kind);
                let tone = match (*kind, n) {
                    (_, 0) => None,
                    ("lost", _) => Some("danger"),
                    ("unseen", _) => None,
                    _ => Some("warn"),
                };
                let listed: Vec<&Finding> = found.iter().filter(|f| f.kind == *kind).take(LISTED).collect();
                html! {
                    <details class="finding" data-testid={format!("findings-{kind}")}>
                        <summary title={*what}>
                            <span class={classes!(tone)}>{ *label }</span>{ " " }<span class="num" data-testid="count">{ format_count(n) }</span>
                        </summary>
                        <p class="small-print muted">{ *what }{ "." }</p>
                        <ul>
                            { for listed.iter().map(|f| html! {
                                <li>
                                    { names.record(f.producer, f.seq, f.key) }
                                    { f.partition.map(|p| format!(" · {}-{p}", names.topic(f.topic))).unwrap_or_default() }
                                    { f.offset.map(|o| format!(" @{o}")).unwrap_or_default() }
                                    { f.before.map(|(seq, o)| format!(" (after #{seq} @{o}, sent later)")).unwrap_or_default() }
                                    { f.late_in.map(|(_, seq)| format!(" (#{seq} processed first)")).unwrap_or_default() }
                                    { " " }
                                    <button class="small" onclick={show(f)} aria-label={format!("Show me record #{} of {}", f.seq, names.producer(f.producer))}>{ "show me" }</button>
                                </li>
                            }) }
                            if n as usize > listed.len() { <li class="muted">{ format!("… and {} more", format_count(n - listed.len() as u64)) }</li> }
                        </ul>
                    </details>
                }
            }) }
            <p class="small-print muted">{ "Click a record in the log for its story." }</p>
        </section>
    }
}

/// A record's story under its heading, with a Close button (the rest is text: `html::record_story`).
fn story_html(s: &RecordStory, n: &Names, close: Callback<MouseEvent>) -> Html {
    html! {
        <div class={classes!("story", s.lost.then_some("lost"))} data-testid="record-story" role="region" aria-label="Record story">
            <header>
                <strong>{ format!("The story of {}", n.record(s.producer, s.seq, s.key)) }</strong>
                <button class="small" onclick={close}>{ "Close" }</button>
            </header>
            { Html::from_html_unchecked(crate::html::record_story(s, n).into()) }
        </div>
    }
}
