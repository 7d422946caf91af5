//! The checker panel: what the run's checker finds right now (acknowledged records lost, duplicates in
//! the log, per-key order violations, records nobody consumed), each finding located with a "show me"
//! that opens the record's whole story: sent, stored on which replicas at which offset and leader
//! epoch, committed or not, acknowledged, consumed by which groups, lost; and its key's records in log
//! order, with the ones stored out of send order marked. A cell of the log opens the same story.

use yew::prelude::*;

use super::hooks::use_sim;
use super::store::{format_count, format_sim_time};
use crate::engine::checker::{Finding, RecordStory};

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
                <Story story={story.clone()} names={names.clone()} />
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

/// Names for indices: producers, topics, groups.
#[derive(Clone, PartialEq, Default)]
pub struct Names {
    producers: Vec<String>,
    topics: Vec<String>,
    groups: Vec<String>,
}

impl Names {
    fn of(sim: &crate::engine::Sim) -> Names {
        Names {
            producers: sim.producer_views().into_iter().map(|p| p.name).collect(),
            topics: sim.scenario().topics.iter().map(|t| t.name.clone()).collect(),
            groups: sim.group_ids(),
        }
    }
    fn producer(&self, i: u32) -> String {
        self.producers.get(i as usize).cloned().unwrap_or_else(|| format!("producer {i}"))
    }
    fn topic(&self, i: u32) -> String {
        self.topics.get(i as usize).cloned().unwrap_or_else(|| format!("topic {i}"))
    }
    fn record(&self, producer: u32, seq: u64, key: Option<u32>) -> String {
        format!("{} #{seq}{}", self.producer(producer), key.map(|k| format!(" (key-{k})")).unwrap_or_default())
    }
}

#[derive(Properties, PartialEq)]
struct StoryProps {
    story: RecordStory,
    names: Names,
}

#[component]
fn Story(props: &StoryProps) -> Html {
    let sim = use_sim();
    let s = &props.story;
    let n = &props.names;
    let close = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.show_record(None))
    };
    let where_ = s.partition.map(|p| format!("{}-{p}", n.topic(s.topic)));
    let leader = s.replicas.iter().find(|r| r.3);
    let followers: Vec<String> = s.replicas.iter().filter(|r| !r.3).map(|r| format!("broker {} @{}", r.0, r.1)).collect();
    let steps: Vec<(bool, &str, String)> = vec![
        (s.sent, "Sent", match s.sent_at_us { Some(t) => format!("at {}", format_sim_time(t)), None => "(no copy of it is left, so its send time is not known)".into() }),
        (
            s.partition.is_some(),
            "Appended",
            match (&where_, leader) {
                (Some(w), Some(l)) => format!("to {w} at offset {} (leader epoch {}) on broker {}, the leader", l.1, l.2, l.0),
                (Some(w), None) => format!("to {w}, whose leader is down or elsewhere now"),
                _ => if s.expired { "then removed by retention or compaction".into() } else { "not in any replica's log".into() },
            },
        ),
        (!followers.is_empty(), "Replicated", if followers.is_empty() { "to no follower".into() } else { format!("to {}", followers.join(", ")) }),
        (s.committed, "Committed", if s.committed { "below the high watermark: consumers may read it".into() } else { "not below the leader's high watermark".into() }),
        (s.acked, "Acknowledged", if s.acked { format!("to {}", n.producer(s.producer)) } else if s.failed { "no: the send failed".into() } else { "not (yet)".into() }),
        (
            !s.consumed_by.is_empty(),
            "Consumed",
            if s.consumed_by.is_empty() { "by no group yet".into() } else { format!("by {}", s.consumed_by.iter().map(|g| n.groups.get(*g as usize).cloned().unwrap_or_default()).collect::<Vec<_>>().join(", ")) },
        ),
    ];
    html! {
        <div class={classes!("story", s.lost.then_some("lost"))} data-testid="record-story" role="region" aria-label="Record story">
            <header>
                <strong>{ format!("The story of {}", n.record(s.producer, s.seq, s.key)) }</strong>
                <button class="small" onclick={close}>{ "Close" }</button>
            </header>
            if s.lost {
                <p class="danger" data-testid="lost"><strong>{ "✕ Lost: " }</strong>{ "acknowledged to its producer, and no longer in the partition's log (its leader lost it: acks=1 or an unclean election)." }</p>
            }
            <ol class="steps">
                { for steps.into_iter().map(|(done, what, detail)| html! {
                    <li class={classes!(if done { "done" } else { "not" })}>
                        <span aria-hidden="true">{ if done { "✓ " } else { "· " } }</span><strong>{ what }</strong>{ format!(" {detail}") }
                    </li>
                }) }
            </ol>
            if !s.key_order.is_empty() {
                <p class="small-print">{ format!("key-{} of {} in {}, in log order (⚠ stored before a record sent earlier):", s.key.unwrap_or(0), n.producer(s.producer), where_.clone().unwrap_or_default()) }</p>
                <p class="key-order mono" data-testid="key-order">
                    { for s.key_order.iter().map(|(offset, seq, bad)| html! {
                        <span class={classes!("seq", bad.then_some("bad"), (*seq == s.seq).then_some("this"))} title={format!("offset {offset}")}>
                            { format!("{}#{seq}", if *bad { "⚠" } else { "" }) }
                        </span>
                    }) }
                </p>
            }
        </div>
    }
}
