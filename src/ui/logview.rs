//! "The log": one partition at a time, as rows of cells, one row per replica (leader first). A cell is
//! a record at its offset, coloured by its key (a stable colour per key; null keys grey), with the
//! record's details in its tooltip. Each row shows that replica's log start offset, high watermark and
//! log end offset: cells at or past the high watermark are the un-replicated tail (hatched, not yet
//! readable by consumers), offsets under the log start were removed by retention, and offsets missing
//! in between were compacted away. Under the leader, each consumer group's position (▲) and committed
//! offset (◆) are cursors; a reset to earlier offsets makes them jump back and sweep forwards again.
//! The window follows the log end, or stays where the reader paged to.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::hooks::use_sim;
use super::store::format_count;
use crate::engine::views::{GroupPartitionView, PartitionView, RecordView};

/// Cells per row.
const WINDOW: u64 = 40;
/// Colours for keys: a fixed palette, picked by a hash of the key index, readable on both themes.
const KEY_COLOURS: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d", "#499894", "#d37295",
];

/// The colour of key `key-{k}`: stable across runs and views.
pub fn key_colour(key: Option<u32>) -> &'static str {
    match key {
        None => "var(--muted)",
        Some(k) => KEY_COLOURS[(k.wrapping_mul(2_654_435_761) >> 16) as usize % KEY_COLOURS.len()],
    }
}

#[component]
pub fn LogPanel() -> Html {
    let sim = use_sim();
    let topic_index = use_state(|| 0usize);
    let partition = use_state(|| 0u32);
    // None: follow the log end; Some(start): the first offset shown.
    let window_start = use_state(|| None::<u64>);
    let Some(topics) = sim.scenario().map(|s| s.topics.iter().map(|t| (t.name.clone(), t.partitions)).collect::<Vec<_>>()) else {
        return html! {};
    };
    if topics.is_empty() {
        return html! {};
    }
    let (topic, partitions) = topics[(*topic_index).min(topics.len() - 1)].clone();
    let p = (*partition).min(partitions.saturating_sub(1));
    // The checker's findings in this partition (duplicates, per-key order violations) are outlined
    // where they sit.
    let t = (*topic_index).min(topics.len() - 1);
    let flagged: std::rc::Rc<Vec<(u32, u64, &'static str)>> = std::rc::Rc::new(
        sim.findings()
            .map(|f| f.1.iter().filter(|f| f.topic as usize == t && f.partition == Some(p) && f.offset.is_some()).map(|f| (f.producer, f.seq, f.kind)).collect())
            .unwrap_or_default(),
    );
    let Some(Some(view)) = sim.view(|s| s.partition_view(&topic, p)) else { return html! {} };
    let cursors: Vec<(String, GroupPartitionView)> = sim
        .view(|s| {
            s.group_ids()
                .iter()
                .filter_map(|g| s.group_view(g))
                .filter_map(|g| {
                    let id = g.group_id.clone();
                    g.partitions.into_iter().find(|gp| gp.topic == topic && gp.partition == p).map(|gp| (id, gp))
                })
                .collect()
        })
        .unwrap_or_default();
    let log_end = view.replica_state.iter().map(|r| r.log_end_offset).max().unwrap_or(0);
    let log_start = view.replica_state.iter().map(|r| r.log_start_offset).min().unwrap_or(0);
    let follow_from = log_end.saturating_sub(WINDOW).max(log_start);
    let from = window_start.map(|s| s.min(follow_from)).unwrap_or(follow_from);
    let to = from + WINDOW;
    let rows: Vec<(u32, bool, Vec<RecordView>)> = order_replicas(&view)
        .into_iter()
        .map(|(broker, leader)| (broker, leader, sim.view(|s| s.log_records(&topic, p, broker, from, WINDOW as usize)).unwrap_or_default()))
        .collect();

    let on_topic = {
        let (topic_index, partition, window_start) = (topic_index.clone(), partition.clone(), window_start.clone());
        Callback::from(move |e: Event| {
            if let Ok(i) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<usize>() {
                topic_index.set(i);
                partition.set(0);
                window_start.set(None);
            }
        })
    };
    let on_partition = {
        let (partition, window_start) = (partition.clone(), window_start.clone());
        Callback::from(move |e: Event| {
            if let Ok(n) = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<u32>() {
                partition.set(n);
                window_start.set(None);
            }
        })
    };
    let page = |delta: i64| {
        let window_start = window_start.clone();
        Callback::from(move |_: MouseEvent| {
            let next = (from as i64 + delta).max(log_start as i64) as u64;
            window_start.set(if next >= follow_from { None } else { Some(next) });
        })
    };
    let follow = {
        let window_start = window_start.clone();
        Callback::from(move |_: MouseEvent| window_start.set(None))
    };
    let keys_in_view: std::collections::BTreeSet<Option<u32>> = rows.iter().flat_map(|(_, _, r)| r.iter().map(|r| r.key)).collect();

    html! {
        <section class="panel logview" aria-labelledby="log-title" data-testid="log-view">
            <h2 id="log-title">{ "The log" }</h2>
            <div class="log-controls">
                <label>{ "Topic " }
                    <select aria-label="Topic shown in the log" onchange={on_topic}>
                        { for topics.iter().enumerate().map(|(i, (name, _))| html! { <option value={i.to_string()} selected={i == *topic_index}>{ name.clone() }</option> }) }
                    </select>
                </label>
                <label>{ "Partition " }
                    <select aria-label="Partition shown in the log" onchange={on_partition}>
                        { for (0..partitions.min(10_000)).map(|i| html! { <option value={i.to_string()} selected={i == p}>{ i.to_string() }</option> }) }
                    </select>
                </label>
                <button class="small" onclick={page(-(WINDOW as i64))} disabled={from <= log_start} aria-label="Show older offsets">{ "◀ older" }</button>
                <button class="small" onclick={page(WINDOW as i64)} disabled={window_start.is_none()} aria-label="Show newer offsets">{ "newer ▶" }</button>
                <button class="small" onclick={follow} disabled={window_start.is_none()}>{ "Follow the end" }</button>
                <span class="muted mono">{ format!("offsets {}–{}", format_count(from), format_count(to.saturating_sub(1))) }</span>
            </div>
            <div class="log-rows" style={format!("--cells: {WINDOW}")}>
                { for rows.iter().map(|(broker, leader, records)| {
                    let r = view.replica_state.iter().find(|r| r.broker == *broker);
                    html! { <ReplicaRow broker={*broker} leader={*leader} up={r.is_some_and(|r| r.broker_up)}
                        start={r.map_or(0, |r| r.log_start_offset)} hw={r.map_or(0, |r| r.high_watermark)} end={r.map_or(0, |r| r.log_end_offset)}
                        records={records.clone()} {from} flagged={flagged.clone()} /> }
                }) }
                { for cursors.iter().map(|(group, gp)| cursor_row(group, gp, from, to)) }
            </div>
            <ul class="legend" aria-label="Key colours in view">
                { for keys_in_view.iter().take(16).map(|k| html! {
                    <li><span class="swatch key" style={format!("background-color: {}", key_colour(*k))}></span>{ format!(" {}", k.map_or("null key".to_string(), |k| format!("key-{k}"))) }</li>
                }) }
                if keys_in_view.len() > 16 { <li>{ format!("… {} more keys", keys_in_view.len() - 16) }</li> }
                <li><span class="cell tail legend-cell"></span>{ " not yet replicated (≥ high watermark)" }</li>
                <li><span class="cell gone legend-cell"></span>{ " deleted by retention or compaction" }</li>
                <li><span class="cell flagged legend-cell"></span>{ " ⚠ found by the checker: a duplicate or out of order for its key (click for its story)" }</li>
                <li>{ "▲ position · ◆ committed offset" }</li>
            </ul>
        </section>
    }
}

/// Leader first, then the other replicas in assignment order.
fn order_replicas(view: &PartitionView) -> Vec<(u32, bool)> {
    let mut out: Vec<(u32, bool)> = view.leader.map(|l| vec![(l, true)]).unwrap_or_default();
    out.extend(view.replicas.iter().filter(|b| Some(**b) != view.leader).map(|b| (*b, false)));
    out
}

#[derive(Properties, PartialEq)]
struct RowProps {
    broker: u32,
    leader: bool,
    up: bool,
    start: u64,
    hw: u64,
    end: u64,
    records: Vec<RecordView>,
    from: u64,
    /// (producer, seq, kind) of the checker's findings in this partition.
    flagged: std::rc::Rc<Vec<(u32, u64, &'static str)>>,
}

#[component]
fn ReplicaRow(props: &RowProps) -> Html {
    let sim = use_sim();
    let mut next = props.records.iter().peekable();
    let cells = (props.from..props.from + WINDOW).map(|offset| {
        while next.peek().is_some_and(|r| r.offset < offset) {
            next.next();
        }
        let record = next.peek().filter(|r| r.offset == offset).copied();
        if offset >= props.end {
            return html! { <span class="cell empty"></span> };
        }
        match record {
            Some(r) => {
                let tail = offset >= props.hw;
                let flag = props.flagged.iter().find(|f| f.0 == r.producer && f.1 == r.seq).map(|f| f.2);
                let title = format!(
                    "{}offset {offset} · {} · producer {} seq {} · leader epoch {}{}{}",
                    flag.map_or(String::new(), |k| format!("⚠ {} · ", match k { "order" => "stored out of order for its key", "processing" => "processed out of order for its key", _ => "duplicate" })),
                    r.key.map_or("null key".to_string(), |k| format!("key-{k}")),
                    r.producer,
                    r.seq,
                    r.leader_epoch,
                    if r.tombstone { " · tombstone" } else { "" },
                    if tail { " · not yet replicated to the ISR (above the high watermark)" } else { "" }
                );
                let onclick = {
                    let sim = sim.clone();
                    let record = (r.producer, r.seq);
                    Callback::from(move |_: MouseEvent| sim.show_record(Some(record)))
                };
                html! { <button class={classes!("cell", tail.then_some("tail"), r.tombstone.then_some("tombstone"), flag.map(|_| "flagged"))}
                    style={format!("background-color: {}", key_colour(r.key))} title={title.clone()} aria-label={title} {onclick}></button> }
            }
            None => {
                let why = if offset < props.start { "removed by retention" } else { "compacted away" };
                html! { <span class="cell gone" title={format!("offset {offset}: {why}")}></span> }
            }
        }
    });
    html! {
        <div class={classes!("log-row", (!props.up).then_some("down"))} data-testid={format!("log-row-{}", props.broker)}>
            <span class="who">{ format!("broker {}{}", props.broker, if props.leader { " ★" } else { "" }) }{ if props.up { "" } else { " ✕" } }</span>
            <span class="cells">{ for cells }</span>
            <span class="marks mono" data-testid="offsets">{ format!("start {} · HW {} · LEO {}", format_count(props.start), format_count(props.hw), format_count(props.end)) }</span>
        </div>
    }
}

/// A group's position and committed offset as marks under the cells.
fn cursor_row(group: &str, gp: &GroupPartitionView, from: u64, to: u64) -> Html {
    let mark = |offset: Option<u64>, glyph: &str, what: &str| -> Html {
        match offset {
            Some(o) if (from..=to).contains(&o) => {
                html! { <span class="cursor" style={format!("grid-column: {}", o - from + 1)} title={format!("{what}: offset {o}")}>{ glyph.to_string() }</span> }
            }
            _ => html! {},
        }
    };
    let describe = |o: Option<u64>| o.map_or("–".to_string(), format_count);
    let behind = gp.position.or(gp.committed).is_some_and(|o| o < from);
    html! {
        <div class="log-row cursor-row" data-testid={format!("cursor-{group}")}>
            <span class="who">{ group.to_string() }</span>
            <span class="cells cursors">
                { mark(gp.committed, "◆", "committed offset") }
                { mark(gp.position, "▲", "position (next offset to process)") }
            </span>
            <span class="marks mono">
                { format!("position {} · committed {}{}", describe(gp.position), describe(gp.committed), if behind { " ◀ (earlier than shown)" } else { "" }) }
            </span>
        </div>
    }
}
