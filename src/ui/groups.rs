//! The consumer groups strip: per group its state, protocol and assignor, generation and coordinator;
//! its figures (rebalances, pause, records processed twice, lag); its members with their partitions
//! and one-click faults (crash, restart, slow, remove, add); its partitions as
//! `kafka-consumer-groups --describe` shows them (position, committed offset, high watermark, lag);
//! its rebalances with the pause each caused; a form for every `--reset-offsets` option; and a button
//! that starts a new group replaying the topic from the earliest offset.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::hooks::use_sim;
use super::store::{format_count, format_sim_time};
use crate::engine::report::GroupReport;
use crate::engine::views::GroupView;
use crate::scenario::{Action, GroupSpec, OffsetReset, ResetTo};

#[component]
pub fn GroupsPanel() -> Html {
    let sim = use_sim();
    let Some(groups) = sim.view(|s| {
        s.cluster_view()
            .groups
            .iter()
            .filter_map(|id| Some((s.group_view(id)?, s.group_report(id)?)))
            .collect::<Vec<_>>()
    }) else {
        return html! {};
    };
    let apply = {
        let sim = sim.clone();
        Callback::from(move |a: Action| sim.apply(a))
    };
    // The spec a replay group copies: the first group of the scenario.
    let template = sim.scenario().and_then(|s| s.consumer_groups.first().cloned());
    let taken: Vec<String> = groups.iter().map(|(v, _)| v.group_id.clone()).collect();
    html! {
        <section class="panel groups" aria-labelledby="groups-title">
            <h2 id="groups-title">{ "Consumer groups" }</h2>
            if groups.is_empty() { <p class="muted">{ "This scenario has no consumer groups." }</p> }
            { for groups.into_iter().map(|(view, report)| html! {
                <GroupCard view={view} report={report} apply={apply.clone()} />
            }) }
            if let Some(t) = template {
                { replay_button(&t, &taken, &apply) }
            }
        </section>
    }
}

/// Start a new group on the same topics from the earliest offset: replay while the others go on.
fn replay_button(template: &GroupSpec, taken: &[String], apply: &Callback<Action>) -> Html {
    let id = (1..)
        .map(|n| if n == 1 { "history".to_string() } else { format!("history-{n}") })
        .find(|id| !taken.iter().any(|t| t == id))
        .unwrap_or_default();
    let onclick = {
        let apply = apply.clone();
        let mut spec = template.clone();
        spec.group_id = id.clone();
        spec.members = 1;
        spec.failures = None;
        spec.config.group_instance_id = None;
        spec.config.auto_offset_reset = OffsetReset::Earliest;
        Callback::from(move |_: MouseEvent| apply.emit(Action::AddConsumerGroup { group: spec.clone() }))
    };
    html! {
        <button onclick={onclick} title="A new consumer group with one member that reads the topics from the earliest offset; the other groups are not disturbed">
            { format!("New group “{id}” from the earliest offset") }
        </button>
    }
}

#[derive(Properties, PartialEq)]
struct GroupProps {
    view: GroupView,
    report: GroupReport,
    apply: Callback<Action>,
}

/// Rows of the partition table shown before "show all".
const DESCRIBE_ROWS: usize = 48;

#[component]
fn GroupCard(props: &GroupProps) -> Html {
    let (v, r) = (&props.view, &props.report);
    // The partition table is built only while it is open, and long ones are cut until asked: a
    // 1,000-partition group must not cost a thousand rows per frame.
    let describe_open = use_state(|| false);
    let describe_all = use_state(|| false);
    let on_toggle = {
        let describe_open = describe_open.clone();
        Callback::from(move |e: Event| describe_open.set(e.target_unchecked_into::<web_sys::HtmlDetailsElement>().open()))
    };
    let show_all = {
        let describe_all = describe_all.clone();
        Callback::from(move |_: MouseEvent| describe_all.set(true))
    };
    let rows = if *describe_all { v.partitions.len() } else { v.partitions.len().min(DESCRIBE_ROWS) };
    let gid = v.group_id.clone();
    let rebalancing = v.state != "Stable" && v.state != "Empty";
    let on = |a: Action| {
        let apply = props.apply.clone();
        Callback::from(move |_: MouseEvent| apply.emit(a.clone()))
    };
    let figure = |label: &str, value: String, title: &str, tone: Option<&'static str>| {
        html! {
            <div class={classes!("figure", tone)} title={title.to_string()}>
                <dt>{ label.to_string() }</dt><dd>{ value }</dd>
            </div>
        }
    };
    let lag: u64 = v.partitions.iter().map(|p| p.lag).sum();
    // The instance id column only when the group has static members.
    let statics = v.members.iter().any(|m| m.instance_id.is_some());
    html! {
        <article class="group" data-testid={format!("group-{gid}")} aria-label={format!("Consumer group {gid}")}>
            <header>
                <h3>{ gid.clone() }</h3>
                <span class={classes!("chip", if rebalancing { "warn" } else { "ok" })} data-testid="group-state">
                    { if rebalancing { format!("⟳ {}", v.state) } else { v.state.to_string() } }
                </span>
                <span class="muted">
                    { format!(" {} {} · generation {} · coordinator {}", v.protocol, v.assignor, v.generation,
                        v.coordinator.map(|c| format!("broker {c}")).unwrap_or_else(|| "none".into())) }
                </span>
            </header>
            <dl class="figures small">
                { figure("Lag", format_count(lag), "Sum over the group's partitions of high watermark minus position", (lag > 1000).then_some("warn")) }
                { figure("Rebalances", r.rebalances.to_string(), "Completed rebalances after the first assignment (a cooperative change takes two)", None) }
                { figure("Paused", format!("{} partition-s", format_count(r.rebalance_pause_ms / 1000)), "Partition time not consumed because of membership changes", None) }
                { figure("Longest pause", format!("{:.1} s", r.rebalance_pause_max_ms as f64 / 1000.0), "The longest pause of one partition", None) }
                { figure("Processed twice", format_count(r.processed_twice), "Records whose side effects happened again (redelivered after a crash, a kick-out or a reset)", (r.processed_twice > 0).then_some("warn")) }
                { figure("Failed commits", format_count(r.commit_failures), "Commits the coordinator refused: the member had left the generation", (r.commit_failures > 0).then_some("warn")) }
                { figure("Poll timeouts", format_count(r.poll_timeouts), "Polls longer than max.poll.interval.ms: the member was kicked out", (r.poll_timeouts > 0).then_some("danger")) }
                if r.failed_tries > 0 {
                    { figure("Dead-lettered", format_count(r.dead_lettered), "Records sent to the dead-letter topic after their retries", None) }
                    { figure("Skipped", format_count(r.skipped), "Failed records given up", None) }
                }
                if r.stopped_partitions > 0 {
                    { figure("Stopped", r.stopped_partitions.to_string(), "Partitions stopped by a failure or auto.offset.reset=none; reset offsets to start them again", Some("danger")) }
                }
            </dl>
            <table class="grid members">
                <caption class="sr-only">{ format!("Members of {gid}") }</caption>
                <thead><tr>
                    <th scope="col">{ "Member" }</th>
                    if statics { <th scope="col">{ "group.instance.id" }</th> }
                    <th scope="col">{ "Status" }</th><th scope="col">{ "Partitions" }</th>
                    <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                </tr></thead>
                <tbody>
                    { for v.members.iter().map(|m| {
                        let member = m.index;
                        html! {
                            <tr data-testid={format!("member-{gid}-{member}")}>
                                <th scope="row">{ format!("consumer {member}") }</th>
                                if statics { <td>{ m.instance_id.clone().unwrap_or_else(|| "— (dynamic)".into()) }</td> }
                                <td class={if !m.alive { "danger" } else if m.slowed { "warn" } else { "ok" }}>
                                    { if !m.alive { "✕ stopped" } else if m.slowed { "⚠ slowed ×10" } else { "✓ running" } }</td>
                                <td class="mono">{ if m.partitions.is_empty() { "—".to_string() } else { crate::scenario::forms::compact_partitions(&m.partitions) } }</td>
                                <td><div class="actions">
                                    if m.alive {
                                        <button class="small danger" onclick={on(Action::CrashConsumer { group: gid.clone(), member })}
                                            aria-label={format!("Crash consumer {member} of {gid}")}>{ "Crash" }</button>
                                        if m.slowed {
                                            <button class="small" onclick={on(Action::SlowConsumer { group: gid.clone(), member, factor: 1.0 })}
                                                aria-label={format!("Normal speed for consumer {member} of {gid}")}>{ "Speed up" }</button>
                                        } else {
                                            <button class="small" onclick={on(Action::SlowConsumer { group: gid.clone(), member, factor: 10.0 })}
                                                aria-label={format!("Slow consumer {member} of {gid} ten times")}>{ "Slow ×10" }</button>
                                        }
                                        <button class="small" onclick={on(Action::RemoveConsumer { group: gid.clone(), member })}
                                            aria-label={format!("Remove consumer {member} of {gid}")}>{ "Remove" }</button>
                                    } else {
                                        <button class="small" onclick={on(Action::RestartConsumer { group: gid.clone(), member })}
                                            aria-label={format!("Restart consumer {member} of {gid}")}>{ "Restart" }</button>
                                    }
                                </div></td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <button class="small" onclick={on(Action::AddConsumer { group: gid.clone() })}
                aria-label={format!("Add a consumer to {gid}")}>{ "Add consumer" }</button>
            <details open={*describe_open} ontoggle={on_toggle}>
                <summary>{ format!("Partitions of {gid} (kafka-consumer-groups --describe)") }</summary>
                if *describe_open {
                <table class="grid">
                    <thead><tr>
                        <th scope="col">{ "Partition" }</th><th scope="col">{ "Consumer" }</th>
                        <th scope="col">{ "Position" }</th><th scope="col">{ "Committed" }</th>
                        <th scope="col">{ "HW" }</th><th scope="col">{ "Lag" }</th>
                    </tr></thead>
                    <tbody>
                        { for v.partitions.iter().take(rows).map(|p| html! {
                            <tr data-testid={format!("gp-{gid}-{}-{}", p.topic, p.partition)}>
                                <th scope="row">{ format!("{}-{}", p.topic, p.partition) }</th>
                                <td>{ match p.owner { Some(o) => format!("consumer {o}"), None => "none (paused)".into() } }
                                    if p.stopped { <span class="danger">{ " ✕ stopped" }</span> }</td>
                                <td class="num">{ p.position.map(|x| x.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                <td class="num" data-testid="committed">{ p.committed.map(|x| x.to_string()).unwrap_or_else(|| "—".into()) }</td>
                                <td class="num">{ p.high_watermark }</td>
                                <td class="num">{ p.lag }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                if rows < v.partitions.len() {
                    <button class="small" onclick={show_all}>{ format!("Show all {} partitions", v.partitions.len()) }</button>
                }
                }
            </details>
            <details open={!v.rebalances.is_empty()}>
                <summary>{ format!("Rebalances ({})", v.rebalances.len()) }</summary>
                <ol class="rebalances">
                    { for v.rebalances.iter().rev().take(20).map(|rb| html! {
                        <li>
                            { format!("generation {} · {} → {} · {}", rb.generation, &format_sim_time(rb.start_us)[4..],
                                rb.end_us.map(|e| format!("{} ({:.2} s)", &format_sim_time(e)[4..], (e - rb.start_us) as f64 / 1e6)).unwrap_or_else(|| "in progress".into()),
                                rb.reason) }
                        </li>
                    }) }
                </ol>
            </details>
            <ResetForm group={gid.clone()} apply={props.apply.clone()} />
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct ResetProps {
    group: String,
    apply: Callback<Action>,
}

/// `kafka-consumer-groups --reset-offsets` with each of its options; the value field appears for the
/// options that need one, and a bad value is explained instead of applied.
#[component]
fn ResetForm(props: &ResetProps) -> Html {
    let option = use_state(|| "earliest".to_string());
    let value = use_state(String::new);
    let error = use_state(|| None::<String>);
    let needs = match option.as_str() {
        "offset" => Some(("Offset", "0")),
        "shift-by" => Some(("Shift (records, negative goes back)", "-100")),
        "datetime" => Some(("Simulated time (ms)", "10000")),
        "duration" => Some(("Duration back from now (ms)", "20000")),
        _ => None,
    };
    let on_option = {
        let option = option.clone();
        let error = error.clone();
        Callback::from(move |e: Event| {
            option.set(e.target_unchecked_into::<HtmlSelectElement>().value());
            error.set(None);
        })
    };
    let on_value = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_apply = {
        let (option, value, error) = (option.clone(), value.clone(), error.clone());
        let apply = props.apply.clone();
        let group = props.group.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match ResetTo::from_option(&option, value.trim()) {
                Ok(to) => {
                    error.set(None);
                    apply.emit(Action::ResetOffsets { group: group.clone(), topic: None, partition: None, to });
                }
                Err(message) => error.set(Some(message)),
            }
        })
    };
    let id = format!("reset-{}", props.group);
    html! {
        <form class="reset" onsubmit={on_apply} aria-label={format!("Reset the offsets of {}", props.group)}>
            <label for={id.clone()}>{ "Reset offsets" }</label>
            <select id={id.clone()} onchange={on_option}>
                { for [("earliest", "--to-earliest"), ("latest", "--to-latest"), ("current", "--to-current"),
                        ("offset", "--to-offset"), ("shift-by", "--shift-by"), ("datetime", "--to-datetime"),
                        ("duration", "--by-duration")].iter().map(|(k, label)| html! {
                    <option value={*k} selected={option.as_str() == *k}>{ *label }</option>
                }) }
            </select>
            if let Some((label, placeholder)) = needs {
                <input type="text" inputmode="numeric" aria-label={label} placeholder={placeholder}
                    value={(*value).clone()} oninput={on_value} />
            }
            <button class="small" type="submit">{ "Apply" }</button>
            if let Some(message) = &*error { <span class="danger" role="alert">{ message.clone() }</span> }
        </form>
    }
}
