//! The metrics panel: Kafka's own JMX metric names (what an operator's dashboard shows), each with its
//! value now and just before the latest fault, so the effect of a crash or a cut is one glance away.

use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_sim_time;

/// `kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions` → `UnderReplicatedPartitions`.
fn short(name: &str) -> &str {
    name.rsplit("name=").next().unwrap_or(name)
}

/// The name in pieces with a possible line break before each capital and after each dash
/// (`UnderReplicatedPartitions` wraps as `Under|Replicated|Partitions`).
fn breakable(name: &str) -> Vec<Html> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if (c.is_ascii_uppercase() || c == '(') && !word.is_empty() {
            out.push(html! { <>{ std::mem::take(&mut word) }<wbr /></> });
        }
        word.push(c);
        if c == '-' {
            out.push(html! { <>{ std::mem::take(&mut word) }<wbr /></> });
        }
    }
    out.push(html! { { word } });
    out
}

fn value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        super::store::format_count(x as u64)
    } else {
        format!("{x:.2}")
    }
}

#[component]
pub fn MetricsPanel() -> Html {
    let sim = use_sim();
    let Some((now, fault)) = sim.view(|s| (s.jmx_metrics(), s.last_fault().cloned())) else {
        return html! {};
    };
    html! {
        <section class="panel metrics" aria-labelledby="metrics-title">
            <h2 id="metrics-title">{ "Metrics (JMX)" }</h2>
            <table class="grid" data-testid="metrics">
                <thead><tr>
                    <th scope="col">{ "Metric" }</th>
                    <th scope="col" class="num">{ "Now" }</th>
                    <th scope="col" class="num">
                        { match &fault {
                            Some(f) => html! { <>{ "Before " }<wbr />{ f.action }<wbr />{ format!(" at {}", &format_sim_time(f.t_us)[4..]) }</> },
                            None => html! { "Before the last fault" },
                        } }
                    </th>
                </tr></thead>
                <tbody>
                    { for now.iter().enumerate().map(|(i, (name, v))| {
                        let before = fault.as_ref().and_then(|f| f.before.get(i)).map(|(_, b)| *b);
                        let changed = before.is_some_and(|b| b != *v);
                        html! {
                            <tr class={changed.then_some("changed")}>
                                <th scope="row" title={*name}>{ for breakable(short(name)) }</th>
                                <td class="num">{ value(*v) }</td>
                                <td class="num">{ before.map(value).unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="muted small-print">{ "Counters (“PerSec (count)”) are totals since the start; hover a name for the full MBean." }</p>
        </section>
    }
}
