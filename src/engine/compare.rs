//! The scorecard of `streamlab compare`: several run reports (log or queue design) side by side, one
//! column per run, and the differences between them. Pure: reports in, a table or JSON out.

use serde::Serialize;

use super::report::Report;

/// One run of a comparison: its label and its report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NamedReport {
    pub name: String,
    pub report: Report,
}

/// One scorecard line that differs between runs: its key, each run's value, and what it means.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Difference {
    pub metric: String,
    /// One value per run, in run order, as the table shows it.
    pub values: Vec<String>,
    pub note: String,
}

/// What `compare --json` prints.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComparisonReport {
    pub runs: Vec<NamedReport>,
    pub differences: Vec<Difference>,
}

/// The scorecard's lines: a key (for `differences`), a label (for the table), and the value of one
/// run as text.
struct Line {
    key: &'static str,
    label: &'static str,
    value: fn(&Report) -> String,
}

fn throughput(r: &Report) -> f64 {
    if r.sim_time_ms == 0 {
        0.0
    } else {
        r.consumed.unique as f64 * 1000.0 / r.sim_time_ms as f64
    }
}

fn sum<F: Fn(&super::report::GroupReport) -> u64>(r: &Report, f: F) -> u64 {
    r.groups.values().map(f).sum()
}

fn queue_sum<F: Fn(&super::queue::QueueStats) -> u64>(r: &Report, f: F) -> u64 {
    r.queues.values().map(|q| f(&q.stats)).sum()
}

const LINES: &[Line] = &[
    Line { key: "design", label: "design", value: |r| r.design.clone() },
    Line { key: "throughput", label: "throughput (processed/s)", value: |r| format!("{:.1}", throughput(r)) },
    Line { key: "sent", label: "records sent", value: |r| r.produced.sent.to_string() },
    Line { key: "acknowledged", label: "acknowledged (acked/confirmed)", value: |r| r.produced.acked.to_string() },
    Line { key: "failed", label: "failed sends", value: |r| r.produced.failed.to_string() },
    Line { key: "consumed", label: "processed (unique per group)", value: |r| r.consumed.unique.to_string() },
    Line { key: "latency_p50_ms", label: "latency p50 (ms)", value: |r| format!("{:.3}", r.latency_ms.p50) },
    Line { key: "latency_p99_ms", label: "latency p99 (ms)", value: |r| format!("{:.3}", r.latency_ms.p99) },
    Line { key: "latency_mean_ms", label: "latency mean (ms)", value: |r| format!("{:.3}", r.latency_ms.mean) },
    Line {
        key: "ack_latency_ms",
        label: "ack latency p50 / p99 (ms)",
        value: |r| r.ack_latency_ms.as_ref().map_or("-".into(), |l| format!("{:.3} / {:.3}", l.p50, l.p99)),
    },
    Line { key: "backlog_max", label: "max backlog (lag / queue depth)", value: |r| r.backlog_max.to_string() },
    Line { key: "lost_acked", label: "acknowledged lost", value: |r| r.anomalies.lost_acked.to_string() },
    Line { key: "duplicates", label: "duplicates in the log", value: |r| r.anomalies.duplicates.to_string() },
    Line { key: "processed_twice", label: "processed twice", value: |r| sum(r, |g| g.processed_twice).to_string() },
    Line { key: "order_violations", label: "per-key order violations", value: |r| r.anomalies.order_violations.to_string() },
    Line { key: "processing_order_violations", label: "processed out of order (per key)", value: |r| r.anomalies.processing_order_violations.to_string() },
    Line {
        key: "processed_per_group",
        label: "processed per group",
        value: |r| r.groups.iter().map(|(n, g)| format!("{n} {}", g.processed)).collect::<Vec<_>>().join(", "),
    },
    Line { key: "idle_members", label: "idle consumers", value: |r| sum(r, |g| g.idle_members as u64).to_string() },
    Line {
        key: "replay",
        label: "new consumer can replay",
        value: |r| if r.replay.possible { format!("yes, {:.1} s back ({} records)", r.replay.window_ms as f64 / 1000.0, r.replay.records) } else { "no".into() },
    },
    Line { key: "storage_records", label: "storage held (records)", value: |r| r.storage.records.to_string() },
    Line { key: "storage_bytes", label: "storage held (bytes, all replicas)", value: |r| r.storage.bytes.to_string() },
    Line { key: "rebalances", label: "rebalances", value: |r| sum(r, |g| g.rebalances).to_string() },
    Line {
        key: "rebalance_pauses",
        label: "rebalance pauses (count, partition-ms)",
        value: |r| format!("{}, {}", sum(r, |g| g.partition_pauses), sum(r, |g| g.rebalance_pause_ms)),
    },
    Line { key: "dead_lettered", label: "dead-lettered", value: |r| sum(r, |g| g.dead_lettered).to_string() },
    Line { key: "expired", label: "expired (TTL)", value: |r| queue_sum(r, |q| q.expired).to_string() },
    Line { key: "dropped_overflow", label: "dropped/rejected by overflow", value: |r| (queue_sum(r, |q| q.dropped_overflow) + queue_sum(r, |q| q.rejected_overflow)).to_string() },
    Line { key: "redelivered", label: "redelivered (queue)", value: |r| queue_sum(r, |q| q.redelivered).to_string() },
    Line {
        key: "group_type",
        label: "group types",
        value: |r| r.groups.iter().map(|(n, g)| format!("{n} {}", g.group_type)).collect::<Vec<_>>().join(", "),
    },
    Line {
        key: "share_redelivered",
        label: "redelivered, archived (share groups)",
        value: |r| format!("{}, {}", share_sum(r, |s| s.redelivered), share_sum(r, |s| s.archived)),
    },
];

fn share_sum<F: Fn(&super::share_group::ShareStats) -> u64>(r: &Report, f: F) -> u64 {
    r.groups.values().filter_map(|g| g.share.as_ref()).map(|s| f(&s.stats)).sum()
}

fn svc(r: &Report, f: fn(&super::services::ServicesReport) -> String) -> String {
    r.services.as_ref().map_or("-".into(), f)
}

fn fraud(r: &Report, f: fn(&super::fraud::FraudReport) -> String) -> String {
    r.fraud.as_ref().map_or("-".into(), f)
}

/// Lines shown when a run of the rest or events design is in the comparison.
const SERVICE_LINES: &[Line] = &[
    Line { key: "requests_failed", label: "requests failed (client, after retries)", value: |r| svc(r, |s| s.failed.to_string()) },
    Line { key: "rejected", label: "rejected (every worker busy)", value: |r| svc(r, |s| s.rejected.to_string()) },
    Line { key: "timeouts", label: "calls timed out", value: |r| svc(r, |s| s.timeouts.to_string()) },
    Line { key: "retries", label: "calls retried", value: |r| svc(r, |s| s.retries.to_string()) },
    Line { key: "pool_exhausted", label: "calls refused by the caller's pool", value: |r| svc(r, |s| s.pool_exhausted.to_string()) },
    Line { key: "blocked_max", label: "callers blocked at once (threads)", value: |r| svc(r, |s| s.blocked_max.to_string()) },
    Line {
        key: "lag_max_per_service",
        label: "max lag per service",
        value: |r| svc(r, |s| s.services.iter().map(|(n, x)| format!("{n} {}", x.lag_max)).collect::<Vec<_>>().join(", ")),
    },
    Line { key: "recovery_ms", label: "recovered after the restart (ms)", value: |r| svc(r, |s| s.recovery_ms.map_or("-".into(), |x| x.to_string())) },
    Line {
        key: "integration",
        label: "integration count",
        value: |r| {
            svc(r, |s| {
                let i = &s.integration;
                if i.topic_subscriptions > 0 {
                    format!("{} subscriptions ({} services)", i.topic_subscriptions, i.services)
                } else {
                    format!("{} links (worst case {})", i.point_to_point_links, i.point_to_point_worst_case)
                }
            })
        },
    },
];

/// Lines shown when a run of the batch or stream design is in the comparison.
const FRAUD_LINES: &[Line] = &[
    Line {
        key: "fraud_window",
        label: "rule evaluated on",
        value: |r| fraud(r, |f| if f.window == "hopping" { format!("hopping {} s every {} s", f.window_ms as f64 / 1000.0, f.advance_ms as f64 / 1000.0) } else { format!("{} {} s", f.window, f.window_ms as f64 / 1000.0) }),
    },
    Line { key: "bursts_detected", label: "fraud bursts detected", value: |r| fraud(r, |f| format!("{} of {}", f.bursts_detected, f.fraud_bursts)) },
    Line { key: "bursts_missed", label: "fraud bursts missed", value: |r| fraud(r, |f| f.bursts_missed.to_string()) },
    Line { key: "alerts", label: "alerts raised", value: |r| fraud(r, |f| f.alerts.to_string()) },
    Line { key: "false_alerts", label: "false alerts", value: |r| fraud(r, |f| f.false_alerts.to_string()) },
    Line { key: "time_to_alert_p50_ms", label: "time to alert p50 (ms)", value: |r| fraud(r, |f| format!("{:.3}", f.time_to_alert_ms.p50)) },
    Line { key: "time_to_alert_p99_ms", label: "time to alert p99 (ms)", value: |r| fraud(r, |f| format!("{:.3}", f.time_to_alert_ms.p99)) },
    Line { key: "time_to_alert_max_ms", label: "time to alert max (ms)", value: |r| fraud(r, |f| format!("{:.3}", f.time_to_alert_ms.max)) },
    Line { key: "state_store_entries_max", label: "state store entries (max)", value: |r| fraud(r, |f| f.state_store_entries_max.to_string()) },
    Line { key: "scanned_per_run_max", label: "payments scanned per batch run (max)", value: |r| fraud(r, |f| f.scanned_per_run_max.to_string()) },
];

/// The scorecard's lines for these runs: the common ones, then those of the contrast designs
/// present (so comparisons of the log and queue designs print as before).
fn lines(runs: &[NamedReport]) -> Vec<&'static Line> {
    let mut v: Vec<&Line> = LINES.iter().collect();
    if runs.iter().any(|r| r.report.services.is_some()) {
        v.extend(SERVICE_LINES);
    }
    if runs.iter().any(|r| r.report.fraud.is_some()) {
        v.extend(FRAUD_LINES);
    }
    v
}

/// What a difference in a line means, for the reader of `differences`.
fn note(key: &str, runs: &[NamedReport]) -> String {
    let names = |f: &dyn Fn(&Report) -> bool| runs.iter().filter(|r| f(&r.report)).map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
    match key {
        "design" if runs.iter().all(|r| r.report.design == "log" || r.report.design == "queue") => "the runs use different designs: a log keeps records after they are read, a queue deletes them on acknowledgement".into(),
        "design" => "the runs use different designs: synchronous calls or events (services), a batch job or a stream processor (fraud); the lines below show what that changes".into(),
        "replay" => {
            let yes = names(&|r| r.replay.possible);
            if yes.is_empty() || runs.iter().all(|r| r.report.replay.possible) {
                "how far back a new consumer group could start, or how many records it could replay, differs (retention, records written)".into()
            } else {
                format!("a consumer group created at the end could replay history only in: {yes}")
            }
        }
        "lost_acked" => format!("acknowledged records were lost in: {}", names(&|r| r.anomalies.lost_acked > 0)),
        "order_violations" => format!("records of one key were stored out of send order (log) or processed out of order (queue, share group) in: {}", names(&|r| r.anomalies.order_violations > 0)),
        "processing_order_violations" => format!("a group processed a record of a key after a later record of that key in: {}", names(&|r| r.anomalies.processing_order_violations > 0)),
        "ack_latency_ms" => "time from send to the producer's acknowledgement differs (acks=all waits until every in-sync replica has the record; acks=1 only for the leader)".into(),
        "processed_twice" => format!("records were processed more than once in: {}", names(&|r| r.groups.values().any(|g| g.processed_twice > 0))),
        "processed_per_group" => "the groups processed different numbers of records (a group created late replays history only on a log)".into(),
        "idle_members" => format!("consumers had nothing to do in: {}", names(&|r| r.groups.values().any(|g| g.idle_members > 0))),
        "group_type" => "the groups differ in kind: a classic consumer group gives each partition to one member, a share group lets every member take records of every partition, a queue's consumers compete for messages".into(),
        "share_redelivered" => "share groups redelivered records (released, or locks expired) or archived them at the delivery count limit".into(),
        "duplicates" => format!("a record was written at two offsets (a retry after a lost answer, without idempotence) in: {}", names(&|r| r.anomalies.duplicates > 0)),
        "rebalances" => "membership changes made the groups rebalance a different number of times (a cooperative change takes two rounds; a static member back within session.timeout.ms takes none)".into(),
        "rebalance_pauses" => "membership changes paused partitions (an eager rebalance stops every partition, a cooperative one only those that move, a static member's restart only its own; a queue's consumers need no assignment)".into(),
        "latency_p50_ms" | "latency_p99_ms" | "latency_mean_ms" => "time from send to processed differs".into(),
        "backlog_max" => "the largest backlog (partition lag or queue depth) differs".into(),
        "storage_records" | "storage_bytes" => "what the brokers still hold at the end differs (a log retains, a queue deletes on ack)".into(),
        "requests_failed" => format!("requests failed (the client gave up after its retries) in: {}", names(&|r| r.services.as_ref().is_some_and(|s| s.failed > 0))),
        "blocked_max" => "synchronous callers hold a thread while they wait: a slow or dead service downstream ties up every caller above it".into(),
        "lag_max_per_service" => "with events, a service that is down leaves its input to grow (lag) and drains it once back; nothing fails".into(),
        "recovery_ms" => "time from the restart until the first request sent after it completed end to end".into(),
        "integration" => "point-to-point links each caller maintains (rest) versus one subscription per service through the broker (events)".into(),
        "bursts_missed" => format!("fraud went undetected in: {} (a tumbling window misses a burst across its boundary; a batch misses what its next run has not read yet)", names(&|r| r.fraud.as_ref().is_some_and(|f| f.bursts_missed > 0))),
        "time_to_alert_p50_ms" | "time_to_alert_p99_ms" | "time_to_alert_max_ms" => "time from the fraudulent payment to its alert: a batch waits for its next run and the job; a stream alerts at its next commit".into(),
        "state_store_entries_max" | "scanned_per_run_max" => "a stream keeps a count per card and window in its state store; a batch reads every payment of the interval and the look-back again".into(),
        _ => "differs between runs".into(),
    }
}

/// Build the comparison of these runs.
pub fn compare(runs: Vec<NamedReport>) -> ComparisonReport {
    let mut differences = Vec::new();
    for line in lines(&runs) {
        let values: Vec<String> = runs.iter().map(|r| (line.value)(&r.report)).collect();
        if values.windows(2).any(|w| w[0] != w[1]) {
            differences.push(Difference { metric: line.key.into(), values, note: note(line.key, &runs) });
        }
    }
    ComparisonReport { runs, differences }
}

impl ComparisonReport {
    /// The scorecard's lines: key, label, and one value per run.
    pub fn rows(&self) -> Vec<(&'static str, &'static str, Vec<String>)> {
        lines(&self.runs).into_iter().map(|line| (line.key, line.label, self.runs.iter().map(|r| (line.value)(&r.report)).collect())).collect()
    }

    /// The scorecard as a text table: one row per figure, one column per run, then the
    /// differences in words.
    pub fn to_text(&self) -> String {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut head = vec![String::new()];
        head.extend(self.runs.iter().map(|r| r.name.clone()));
        rows.push(head);
        for (_, label, values) in self.rows() {
            let mut row = vec![label.to_string()];
            row.extend(values);
            rows.push(row);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
        let mut s = String::new();
        for (i, row) in rows.iter().enumerate() {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c == 0 {
                    line += cell;
                    line += &" ".repeat(pad);
                } else {
                    line += "  ";
                    line += &" ".repeat(pad);
                    line += cell;
                }
            }
            s += line.trim_end();
            s += "\n";
            if i == 0 {
                s += &"-".repeat(widths.iter().sum::<usize>() + 2 * (cols - 1));
                s += "\n";
            }
        }
        if !self.differences.is_empty() {
            s += "\ndifferences\n";
            for d in &self.differences {
                s += &format!("  {}: {}\n", d.metric, d.note);
            }
        }
        s
    }
}
