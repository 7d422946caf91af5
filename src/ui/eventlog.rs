//! "What happened": the engine's event log in full sentences, newest first, with simulated times and a
//! filter by kind (faults, elections, ISR changes, groups …). Bounded to the latest lines. A line's
//! time is a button that seeks the run to that moment.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_sim_time;

/// Lines shown at most (the engine keeps more).
const SHOWN: usize = 200;

/// (value, label) of the filter; the value is the engine's line kind.
const KINDS: &[(&str, &str)] = &[
    ("", "everything"),
    ("fault", "faults"),
    ("action", "actions"),
    ("controller", "controller"),
    ("election", "elections"),
    ("isr", "ISR changes"),
    ("group", "consumer groups"),
    ("produce", "produce errors"),
    ("retention", "retention"),
    ("truncate", "truncation"),
    ("error", "ignored actions"),
];

#[component]
pub fn EventLogPanel() -> Html {
    let sim = use_sim();
    let kind = use_state(String::new);
    let lines = sim
        .view(|s| {
            let all = s.log_lines(0, 20_000);
            all.into_iter().rev().filter(|l| kind.is_empty() || l.kind == kind.as_str()).take(SHOWN).collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| kind.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let seek = |t_us: u64| {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.seek(t_us))
    };
    html! {
        <section class="panel events" aria-labelledby="events-title">
            <h2 id="events-title">{ "What happened" }</h2>
            <label for="event-kind">{ "Show " }</label>
            <select id="event-kind" onchange={on_kind}>
                { for KINDS.iter().map(|(k, label)| html! { <option value={*k} selected={kind.as_str() == *k}>{ *label }</option> }) }
            </select>
            <ol class="log" data-testid="event-log" aria-live="polite">
                if lines.is_empty() { <li class="muted">{ "Nothing yet." }</li> }
                { for lines.iter().map(|l| html! {
                    <li class={classes!("line", l.kind)}>
                        <button class="link mono" onclick={seek(l.t_us)} aria-label={format!("Go to {}", &format_sim_time(l.t_us)[4..])}
                            title="Go to this moment (the run is re-simulated up to there)">{ &format_sim_time(l.t_us)[4..] }</button>
                        { " " }<span>{ l.text.clone() }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
