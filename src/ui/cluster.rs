//! The cluster panel: the KRaft controller quorum, one card per broker (rack, up / down / isolated /
//! fenced, what it leads and hosts) with its faults one click away, a control to split the network,
//! and each topic's partitions (leader ★, replicas, ISR, high watermark, ⚠ under-replicated,
//! ✕ offline) with "crash leader". It reads `Sim::cluster_view` and sends engine `Action`s.

use std::collections::BTreeSet;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::hooks::use_sim;
use crate::engine::views::{BrokerView, PartitionHealth, TopicView};
use crate::scenario::{Action, BrokerRef, ControllerRef};

/// Above this many brokers the cards are compact.
const COMPACT_BROKERS: usize = 12;

/// Partition rows shown per topic before "show all" (a 1,000-partition topic stays usable).
const ROWS_COLLAPSED: usize = 24;

#[component]
pub fn ClusterPanel() -> Html {
    let sim = use_sim();
    let Some(view) = sim.view(|s| s.cluster_view()) else {
        return html! {};
    };
    let apply = {
        let sim = sim.clone();
        Callback::from(move |a: Action| sim.apply(a))
    };
    let active = view.active_controller;
    let crash_active = {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply.emit(Action::CrashController { controller: ControllerRef::Active }))
    };
    html! {
        <section class="panel cluster" aria-labelledby="cluster-title">
            <h2 id="cluster-title">{ "Cluster" }</h2>
            <p class="quorum" data-testid="controllers">
                { "Controllers (KRaft): " }
                { for view.controllers.iter().map(|c| {
                    let restart = {
                        let apply = apply.clone();
                        let id = c.id;
                        Callback::from(move |_: MouseEvent| apply.emit(Action::RestartController { controller: id }))
                    };
                    html! {
                        <span class={classes!("chip", (!c.up).then_some("down"), c.active.then_some("lead"))}>
                            { format!("{}{}", c.id, if c.active { " ★ active" } else if !c.up { " ✕ down" } else { "" }) }
                            if !c.up {
                                <button class="small" onclick={restart} aria-label={format!("Restart controller {}", c.id)}>{ "restart" }</button>
                            }
                        </span>
                    }
                }) }
                <button class="small" onclick={crash_active} disabled={active.is_none()}>{ "Crash active controller" }</button>
                if active.is_none() { <span class="warn">{ " ⚠ no active controller: no elections, no ISR changes" }</span> }
            </p>
            // Many brokers: compact cards (the counts move to the tooltip) so 50 fit on a screen.
            <div class={classes!("brokers", (view.brokers.len() > COMPACT_BROKERS).then_some("compact"))}>
                { for view.brokers.iter().map(|b| broker_card(b, &apply)) }
            </div>
            <NetworkSplit brokers={view.brokers.iter().map(|b| b.id).collect::<Vec<_>>()}
                split={view.brokers.iter().any(|b| b.isolated || b.network_side.is_some())} apply={apply.clone()} />
            { for view.topics.iter().map(|t| html! { <TopicTable topic={t.clone()} apply={apply.clone()} /> }) }
        </section>
    }
}

/// One broker's card: state, rack, network side, what it leads and hosts, and its fault buttons.
fn broker_card(b: &BrokerView, apply: &Callback<Action>) -> Html {
    let id = b.id;
    let (status, tone) = if !b.up {
        ("✕ down", "down")
    } else if b.isolated {
        ("⚠ isolated", "warn")
    } else if b.fenced {
        ("⚠ fenced", "warn")
    } else {
        ("✓ up", "ok")
    };
    let on = |a: Action| {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply.emit(a.clone()))
    };
    html! {
        <article class={classes!("broker", tone)} data-testid={format!("broker-{id}")} aria-label={format!("Broker {id}")}
            title={format!("Broker {id}: leads {} · hosts {} replicas", b.leaders, b.replicas)}>
            <header>
                <strong>{ format!("Broker {id}") }</strong>
                if let Some(rack) = &b.rack { <span class="muted">{ format!(" · rack {rack}") }</span> }
            </header>
            <p class={classes!("status", tone)} data-testid={format!("broker-{id}-status")}>{ status }
                if let Some(side) = b.network_side { <span class="muted">{ format!(" · network side {}", side + 1) }</span> }
            </p>
            <p class="muted">{ format!("leads {} · hosts {} replicas", b.leaders, b.replicas) }</p>
            <div class="actions">
                if b.up {
                    <button class="small danger" onclick={on(Action::CrashBroker { broker: BrokerRef::Id(id) })}
                        aria-label={format!("Crash broker {id}")}>{ "Crash" }</button>
                } else {
                    <button class="small" onclick={on(Action::RestartBroker { broker: BrokerRef::Id(id) })}
                        aria-label={format!("Restart broker {id}")}>{ "Restart" }</button>
                }
                if b.up && !b.isolated {
                    <button class="small" onclick={on(Action::IsolateBroker { broker: id })}
                        aria-label={format!("Isolate broker {id}")}>{ "Isolate" }</button>
                }
            </div>
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct SplitProps {
    brokers: Vec<u32>,
    /// The network is cut somewhere (an isolated broker or a partition).
    split: bool,
    apply: Callback<Action>,
}

/// Choose the brokers of one side and cut them off from the rest; heal restores every link.
#[component]
fn NetworkSplit(props: &SplitProps) -> Html {
    let side = use_state(BTreeSet::<u32>::new);
    let toggle = |id: u32| {
        let side = side.clone();
        Callback::from(move |e: Event| {
            let mut next = (*side).clone();
            if e.target_unchecked_into::<HtmlInputElement>().checked() {
                next.insert(id);
            } else {
                next.remove(&id);
            }
            side.set(next);
        })
    };
    let rest: Vec<u32> = props.brokers.iter().copied().filter(|b| !side.contains(b)).collect();
    let can_split = !side.is_empty() && !rest.is_empty();
    let on_split = {
        let apply = props.apply.clone();
        let groups = vec![side.iter().copied().collect::<Vec<_>>(), rest];
        Callback::from(move |_: MouseEvent| apply.emit(Action::PartitionNetwork { groups: groups.clone() }))
    };
    let on_heal = {
        let apply = props.apply.clone();
        Callback::from(move |_: MouseEvent| apply.emit(Action::HealNetwork))
    };
    html! {
        <fieldset class="split">
            <legend>{ "Network partition" }</legend>
            { for props.brokers.iter().map(|&id| html! {
                <label class="check">
                    <input type="checkbox" checked={side.contains(&id)} onchange={toggle(id)} />
                    { format!(" {id}") }
                </label>
            }) }
            <button class="small" onclick={on_split} disabled={!can_split}
                title="Brokers ticked on one side, the others on the other; clients and controllers still reach all">
                { "Split from the rest" }</button>
            <button class="small" onclick={on_heal} disabled={!props.split}>{ "Heal network" }</button>
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
struct TopicProps {
    topic: TopicView,
    apply: Callback<Action>,
}

#[component]
fn TopicTable(props: &TopicProps) -> Html {
    let expanded = use_state(|| false);
    let t = &props.topic;
    let urp = t.partitions.iter().filter(|p| p.under_replicated).count();
    let offline = t.partitions.iter().filter(|p| p.leader.is_none()).count();
    let shown = if *expanded { t.partitions.len() } else { t.partitions.len().min(ROWS_COLLAPSED) };
    // Cut short, a big topic lists the partitions in trouble first (offline, leader down, under
    // min ISR, under-replicated), then the others in order.
    let mut rows: Vec<&PartitionHealth> = t.partitions.iter().collect();
    if !*expanded && t.partitions.len() > ROWS_COLLAPSED {
        rows.sort_by_key(|p| (!(p.leader.is_none() || !p.leader_up || p.under_min_isr || p.under_replicated), p.partition));
    }
    let toggle = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| expanded.set(!*expanded))
    };
    html! {
        <div class="topic" data-testid={format!("topic-{}", t.name)}>
            <h3>
                { format!("{} ", t.name) }
                <span class="muted">{ format!("{} partitions · RF {} · min.insync.replicas {}", t.partitions.len(), t.replication_factor, t.min_insync_replicas) }</span>
                if urp > 0 { <span class="warn">{ format!(" · ⚠ {urp} under-replicated") }</span> }
                if offline > 0 { <span class="danger">{ format!(" · ✕ {offline} offline") }</span> }
            </h3>
            <table class="grid">
                <thead><tr>
                    <th scope="col">{ "Partition" }</th><th scope="col" title="The leader (★) and its epoch on hover">{ "Leader" }</th>
                    <th scope="col">{ "Replicas" }</th><th scope="col">{ "ISR" }</th>
                    <th scope="col" title="High watermark: consumers read below it">{ "HW" }</th>
                    <th scope="col" title="Log end offset of the leader">{ "LEO" }</th>
                    <th scope="col" title="✓ in sync · ⚠ URP: under-replicated (ISR smaller than the replicas) · ⚠ < min ISR: acks=all writes fail · ✕ leader down · ✕ offline: no leader">{ "Status" }</th>
                    <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                </tr></thead>
                <tbody>
                    { for rows.into_iter().take(shown).map(|p| partition_row(&t.name, p, &props.apply)) }
                </tbody>
            </table>
            if t.partitions.len() > ROWS_COLLAPSED {
                <button class="small link" onclick={toggle}>
                    { if *expanded { "Show fewer".to_string() } else { format!("Show all {} partitions", t.partitions.len()) } }
                </button>
            }
        </div>
    }
}

fn partition_row(topic: &str, p: &PartitionHealth, apply: &Callback<Action>) -> Html {
    let list = |v: &[u32]| v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    let (status, tone) = match (p.leader, p.under_replicated, p.under_min_isr) {
        (None, _, _) => ("✕ offline", "danger"),
        (Some(_), _, _) if !p.leader_up => ("✕ leader down", "danger"),
        (_, _, true) => ("⚠ < min ISR", "warn"),
        (_, true, _) => ("⚠ URP", "warn"),
        _ => ("✓ in sync", "ok"),
    };
    let crash = {
        let apply = apply.clone();
        let (topic, partition) = (topic.to_string(), p.partition);
        Callback::from(move |_: MouseEvent| apply.emit(Action::CrashLeader { topic: topic.clone(), partition }))
    };
    html! {
        <tr data-testid={format!("partition-{topic}-{}", p.partition)}>
            <th scope="row">{ format!("{topic}-{}", p.partition) }</th>
            <td data-testid="leader" title={format!("leader epoch {}", p.leader_epoch)}>{ match p.leader { Some(l) => format!("★ {l}"), None => "none".into() } }</td>
            <td>{ list(&p.replicas) }</td>
            <td data-testid="isr">{ list(&p.isr) }</td>
            <td class="num">{ p.high_watermark }</td>
            <td class="num">{ p.log_end_offset }</td>
            <td class={tone} title={(!p.leader_up && p.leader.is_some()).then_some("The leader's broker is down and the controller has not noticed yet (broker.session.timeout.ms): no reads or writes until it elects a new leader")}>{ status }</td>
            <td>
                <button class="small" onclick={crash} disabled={p.leader.is_none() || !p.leader_up}
                    aria-label={format!("Crash the leader of {topic}-{}", p.partition)} title="Crash the broker that leads this partition">{ "✕ leader" }</button>
            </td>
        </tr>
    }
}
