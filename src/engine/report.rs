//! The run report: what `streamlab run --json` prints, one JSON object. Built from a finished `Sim`
//! (the log design) or `QueueSim` (the queue design) in the same shape, so runs of both designs can
//! be put side by side (`streamlab compare`). Fields that only one design fills say so.

use serde::Serialize;
use std::collections::BTreeMap;

use super::queue::QueueSim;
use super::sim::Sim;
use crate::scenario::Scenario;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub sim_time_ms: u64,
    pub events: u64,
    /// 16 lowercase hex digits.
    pub trace_hash: String,
    pub produced: Produced,
    pub consumed: Consumed,
    pub anomalies: Anomalies,
    pub latency_ms: Latency,
    /// Log design only: from send to the producer's acknowledgement (acks=1: the leader's append;
    /// acks=all: the high watermark passing the record), over acknowledged records; none with acks=0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_latency_ms: Option<Latency>,
    pub groups: BTreeMap<String, GroupReport>,
    pub partitions: PartitionsReport,
    /// `log` or `queue`.
    pub design: String,
    /// The largest backlog of one group: a partition's lag (log) or a queue's depth, ready plus
    /// unacknowledged (queue).
    pub backlog_max: u64,
    /// What the brokers hold at the end.
    pub storage: StorageReport,
    /// Can a consumer group created now read what was published before it existed?
    pub replay: ReplayReport,
    /// Queue design only: each queue's figures.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub queues: BTreeMap<String, QueueReport>,
    /// Queue design only: messages no queue was bound for (an exchange drops them).
    #[serde(skip_serializing_if = "is_zero")]
    pub unroutable: u64,
    /// Queue design only: timeline actions with no RabbitMQ equivalent, logged and ignored.
    /// Rest, events, batch and stream designs: actions they have no use for.
    #[serde(skip_serializing_if = "is_zero")]
    pub ignored_actions: u64,
    /// Rest and events designs only: requests, failures, timeouts, blocked callers, lag, recovery
    /// and the integration count (`services.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<super::services::ServicesReport>,
    /// Batch and stream designs only: alerts, detected and missed bursts, time to alert, state
    /// store and data scanned (`fraud.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraud: Option<super::fraud::FraudReport>,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct StorageReport {
    /// Records (log: distinct records retained; queue: message copies held, one per queue,
    /// including dead-lettered ones).
    pub records: u64,
    /// Bytes on all brokers: every replica's copy counted (log: segment bytes of every replica;
    /// queue: message bytes times the queue's replicas).
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct ReplayReport {
    /// Log: true (a new group with `auto.offset.reset=earliest` starts at the log start offset).
    /// Queue: false (acknowledged messages are deleted; a new queue starts empty).
    pub possible: bool,
    /// How far back a new group could start: now minus the timestamp of the oldest retained record
    /// (retention decides it). 0 for the queue design.
    pub window_ms: u64,
    /// Records a new group could replay (from the log start offsets to the log ends).
    pub records: u64,
}

/// One queue of the queue design.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct QueueReport {
    /// `classic` or `quorum`.
    pub queue_type: String,
    pub nodes: Vec<u32>,
    /// The node serving it at the end (None: unavailable).
    pub leader: Option<u32>,
    /// Messages in the queue at the end (ready plus unacknowledged).
    pub depth_end: u64,
    /// Messages held by its dead-letter queue at the end.
    pub dead_letter_queue: u64,
    #[serde(flatten)]
    pub stats: super::queue::QueueStats,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Produced {
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Consumed {
    pub delivered: u64,
    pub unique: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Anomalies {
    pub lost_acked: u64,
    pub duplicates: u64,
    /// Log: records of one producer and key stored out of send order in a partition, plus share
    /// groups' records processed after a later one of their key. Queue: processed out of order.
    pub order_violations: u64,
    pub unseen: u64,
    pub hw_regressions: u64,
    /// Records a group processed for the first time after a later record of the same producer and
    /// key (log: every group, by the checker; queue: the queues' count, redeliveries included).
    pub processing_order_violations: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct GroupReport {
    /// Largest lag of one partition, sampled over the run and at the end.
    pub lag_max: u64,
    /// Sum of the partitions' lag at the end.
    pub lag_end: u64,
    /// Completed rebalances after the group's first assignment (a cooperative change takes two).
    pub rebalances: u64,
    /// Partition-milliseconds the group's partitions were not consumed because of membership:
    /// revoked, waiting for an assignment, or owned by a consumer that crashed and was not yet
    /// noticed (after the first assignment).
    pub rebalance_pause_ms: u64,
    /// The longest such pause of one partition.
    pub rebalance_pause_max_ms: u64,
    /// How many such pauses there were (a partition pausing twice counts twice): an eager rebalance
    /// pauses every partition, a cooperative one only those that move.
    pub partition_pauses: u64,
    /// Records this group processed more than once (repeated side effects), apart from duplicates in
    /// the log.
    pub processed_twice: u64,
    /// Commits the coordinator refused (the member had left the generation) or that found no
    /// coordinator.
    pub commit_failures: u64,
    /// Polls that ran past `max.poll.interval.ms`.
    pub poll_timeouts: u64,
    /// Times a fetch found its offset out of range (retention deleted it first) and the position
    /// reset by `auto.offset.reset`, and the records jumped over, never processed by this group.
    pub out_of_range_resets: u64,
    pub skipped_by_reset: u64,
    /// Processing failures: tries that failed, retries made (in place or from the retry topic),
    /// records given up and skipped, records sent to the dead-letter topic, and partitions stopped
    /// by the `stop` policy (still stopped at the end).
    pub failed_tries: u64,
    pub retried: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub stopped_partitions: u64,
    /// Kafka's group state at the end, and its generation.
    pub state: String,
    pub generation: i32,
    /// The protocol (`eager` or `cooperative`) and the assignor in use. Queue design:
    /// `competing-consumers` and `round-robin`.
    pub protocol: String,
    pub assignor: String,
    /// Members alive at the end with nothing to consume: in the log design members owning no
    /// partition (a partition has one consumer per group); in the queue design consumers that
    /// received no message in the whole run.
    pub idle_members: u32,
    /// Distinct records this group processed (a group created late that replays history processes
    /// what was sent before it existed).
    pub processed: u64,
    /// Records this group processed for the first time after a later record of their producer and
    /// key (see `Anomalies::processing_order_violations`).
    pub processing_order_violations: u64,
    /// Log design: `classic` or `share` (`group.type`). Queue design: `queue`.
    pub group_type: String,
    /// Share groups only: the share-partitions' figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareGroupReport>,
}

/// One share group's figures (KIP-932). In a share group `idle_members` counts members that
/// received no record in the whole run, and `processed_twice` includes records processed again
/// after their lock expired.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct ShareGroupReport {
    #[serde(flatten)]
    pub stats: super::share_group::ShareStats,
    /// Records in flight at the end (acquired, available or done but above the SPSO), over all
    /// share-partitions.
    pub in_flight_end: u64,
    /// Send-to-processed latency of this group's accepted records.
    pub latency_ms: Latency,
    /// `implicit` or `explicit`.
    pub acknowledgement_mode: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct PartitionsReport {
    pub under_replicated_max: u32,
    pub offline_ms: u64,
}

impl Report {
    /// Build the report of a run as it stands.
    pub fn from_sim(sim: &Sim) -> Report {
        let m = &sim.metrics;
        let a = sim.check();
        let h = &m.e2e;
        let latency_ms = latency_of(h);
        let groups = sim.groups.iter().enumerate().map(|(i, g)| (g.id.clone(), group_report(sim, i))).collect();
        Report {
            scenario: sim.scenario.name.clone(),
            seed: sim.scenario.seed,
            sim_time_ms: sim.now / 1000,
            events: sim.events,
            trace_hash: format!("{:016x}", sim.hash.0),
            produced: Produced { sent: m.sent, acked: m.acked, failed: m.failed },
            consumed: Consumed { delivered: m.delivered, unique: sim.checker.unique },
            anomalies: a,
            latency_ms,
            ack_latency_ms: (!m.ack.is_empty()).then(|| latency_of(&m.ack.histogram())),
            groups,
            partitions: PartitionsReport { under_replicated_max: m.urp_max.max(sim.under_replicated_count()), offline_ms: m.offline_us_at(sim.now) / 1000 },
            design: "log".into(),
            backlog_max: 0,
            storage: StorageReport::default(),
            replay: log_replay(sim),
            queues: BTreeMap::new(),
            unroutable: 0,
            ignored_actions: 0,
            services: None,
            fraud: None,
        }
        .with_log_totals(sim)
    }

    fn with_log_totals(mut self, sim: &Sim) -> Report {
        self.backlog_max = self.groups.values().map(|g| g.lag_max).max().unwrap_or(0);
        let mut st = StorageReport::default();
        for t in &sim.scenario.topics {
            for p in 0..t.partitions {
                if let Some(v) = sim.partition_view(&t.name, p) {
                    st.bytes += v.replica_state.iter().map(|r| r.bytes).sum::<u64>();
                    st.records += v.replica_state.iter().map(|r| r.records).max().unwrap_or(0);
                }
            }
        }
        self.storage = st;
        self
    }

    /// Build the report of a queue-design run as it stands.
    pub fn from_queue_sim(sim: &QueueSim) -> Report {
        let latency_ms = latency_of(&sim.e2e);
        let mut groups = BTreeMap::new();
        let mut queues = BTreeMap::new();
        let mut order_violations = 0;
        for q in sim.queue_rows() {
            let st = q.stats;
            order_violations += st.order_violations;
            groups.insert(
                q.name.clone(),
                GroupReport {
                    lag_max: st.depth_max,
                    lag_end: q.depth,
                    processed_twice: st.processed_twice,
                    failed_tries: st.failed_tries,
                    retried: st.requeued,
                    skipped: st.skipped,
                    dead_lettered: st.dead_lettered,
                    state: if q.leader.is_some() { "Running".into() } else { "Unavailable".into() },
                    protocol: "competing-consumers".into(),
                    assignor: "round-robin".into(),
                    idle_members: q.idle,
                    processed: sim.queue_processed(&q.name),
                    processing_order_violations: st.order_violations,
                    group_type: "queue".into(),
                    ..Default::default()
                },
            );
            queues.insert(
                q.name,
                QueueReport {
                    queue_type: match q.queue_type {
                        crate::scenario::QueueType::Classic => "classic".into(),
                        crate::scenario::QueueType::Quorum => "quorum".into(),
                    },
                    nodes: q.nodes,
                    leader: q.leader,
                    depth_end: q.depth,
                    dead_letter_queue: q.dead_letter_queue,
                    stats: st,
                },
            );
        }
        let (records, bytes) = sim.storage();
        Report {
            scenario: sim.scenario.name.clone(),
            seed: sim.scenario.seed,
            sim_time_ms: sim.now / 1000,
            events: sim.events,
            trace_hash: format!("{:016x}", sim.hash.0),
            produced: Produced { sent: sim.sent, acked: sim.acked, failed: sim.failed },
            consumed: Consumed { delivered: sim.delivered, unique: sim.unique },
            anomalies: Anomalies { lost_acked: sim.lost_acked(), duplicates: 0, order_violations, unseen: sim.unseen(), hw_regressions: 0, processing_order_violations: order_violations },
            latency_ms,
            ack_latency_ms: None,
            backlog_max: groups.values().map(|g| g.lag_max).max().unwrap_or(0),
            groups,
            partitions: PartitionsReport::default(),
            design: "queue".into(),
            storage: StorageReport { records, bytes },
            replay: ReplayReport { possible: false, window_ms: 0, records: 0 },
            queues,
            unroutable: sim.unroutable,
            ignored_actions: sim.ignored_actions,
            services: None,
            fraud: None,
        }
    }

    /// A readable summary for the terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let a = &self.anomalies;
        s += &format!("scenario   {} (seed {}, design {})\n", self.scenario, self.seed, self.design);
        s += &format!("simulated  {:.3} s, {} events, trace hash {}\n", self.sim_time_ms as f64 / 1000.0, self.events, self.trace_hash);
        s += &format!("produced   {} sent, {} acked, {} failed\n", self.produced.sent, self.produced.acked, self.produced.failed);
        s += &format!("consumed   {} delivered, {} unique\n", self.consumed.delivered, self.consumed.unique);
        s += &format!(
            "latency    mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (send to processed)\n",
            self.latency_ms.mean, self.latency_ms.p50, self.latency_ms.p99, self.latency_ms.max
        );
        s += &format!(
            "anomalies  lost acknowledged {}, duplicates {}, order violations {}, unseen {}, HW regressions {}\n",
            a.lost_acked, a.duplicates, a.order_violations, a.unseen, a.hw_regressions
        );
        s += &format!("partitions under-replicated max {}, offline {} ms\n", self.partitions.under_replicated_max, self.partitions.offline_ms);
        s += &format!(
            "storage    {} records, {} bytes held; backlog max {}; replay for a new group: {}\n",
            self.storage.records,
            self.storage.bytes,
            self.backlog_max,
            if self.replay.possible { format!("yes, {} records over the last {:.3} s", self.replay.records, self.replay.window_ms as f64 / 1000.0) } else { "no".to_string() }
        );
        if self.unroutable > 0 || self.ignored_actions > 0 {
            s += &format!("exchanges  {} unroutable messages; {} timeline actions ignored (no RabbitMQ equivalent)\n", self.unroutable, self.ignored_actions);
        }
        for (name, q) in &self.queues {
            let st = &q.stats;
            s += &format!(
                "queue      {name}: {} on {:?} (leader {}); delivered {}, redelivered {}, acked {}, requeued {}, dead-lettered {}, discarded {}, expired {}, dropped by overflow {}, rejected by overflow {}, lost in crash {}, depth max {}, at end {}\n",
                q.queue_type,
                q.nodes,
                q.leader.map_or("none".to_string(), |l| l.to_string()),
                st.delivered,
                st.redelivered,
                st.acked,
                st.requeued,
                st.dead_lettered,
                st.discarded,
                st.expired,
                st.dropped_overflow,
                st.rejected_overflow,
                st.lost_in_crash,
                st.depth_max,
                q.depth_end
            );
        }
        if let Some(x) = &self.services {
            s += &x.to_text(&self.design);
        }
        if let Some(x) = &self.fraud {
            s += &x.to_text();
        }
        for (name, g) in &self.groups {
            s += &format!(
                "group      {name}: {} {}, {} generation {}; lag max {}, lag at end {}; rebalances {}, {} partition pauses, {} partition-ms in all (longest {} ms); processed twice {}, failed commits {}, poll timeouts {}\n",
                g.protocol, g.assignor, g.state, g.generation, g.lag_max, g.lag_end, g.rebalances, g.partition_pauses, g.rebalance_pause_ms, g.rebalance_pause_max_ms, g.processed_twice, g.commit_failures, g.poll_timeouts
            );
            if g.out_of_range_resets > 0 {
                s += &format!(
                    "           {name}: offset out of range {} times (auto.offset.reset), {} records skipped\n",
                    g.out_of_range_resets, g.skipped_by_reset
                );
            }
            if let Some(sh) = &g.share {
                let st = &sh.stats;
                s += &format!(
                    "           {name}: share group ({} acknowledgement); delivered {}, redelivered {}, accepted {}, released {}, archived {}, lock expiries {}, late acknowledgements {}, idle members {}, max in flight {}, latency mean {:.3} ms, p99 {:.3} ms\n",
                    sh.acknowledgement_mode, st.delivered, st.redelivered, st.accepted, st.released, st.archived, st.lock_expiries, st.late_acknowledgements, g.idle_members, st.in_flight_max, sh.latency_ms.mean, sh.latency_ms.p99
                );
            }
            if g.failed_tries > 0 {
                s += &format!(
                    "           {name}: failed tries {}, retried {}, skipped {}, dead-lettered {}, stopped partitions {}\n",
                    g.failed_tries, g.retried, g.skipped, g.dead_lettered, g.stopped_partitions
                );
            }
        }
        s
    }
}

/// One group's figures as the run report shows them.
fn group_report(sim: &Sim, i: usize) -> GroupReport {
    let m = &sim.metrics;
    let g = &sim.groups[i];
    let (sum, now_max) = sim.group_lag(g);
    let (pause, pause_max) = sim.group_pause_us(g);
    GroupReport {
        lag_max: m.lag_max.get(i).copied().unwrap_or(0).max(now_max),
        lag_end: sum,
        rebalances: g.rebalances,
        rebalance_pause_ms: pause / 1000,
        rebalance_pause_max_ms: pause_max / 1000,
        partition_pauses: g.partition_pauses,
        processed_twice: g.processed_twice,
        commit_failures: g.commit_failures,
        poll_timeouts: g.poll_timeouts,
        out_of_range_resets: g.out_of_range_resets,
        skipped_by_reset: g.skipped_by_reset,
        failed_tries: g.failed_tries,
        retried: g.retried,
        skipped: g.skipped,
        dead_lettered: g.dead_lettered,
        stopped_partitions: g.members.iter().filter(|m| m.alive).flat_map(|m| m.owned.iter().filter(|&&pi| m.state[pi as usize].blocked)).count() as u64,
        state: g.state.name().into(),
        generation: g.generation,
        protocol: match g.protocol {
            super::assignor::Protocol::Eager => "eager".into(),
            super::assignor::Protocol::Cooperative => "cooperative".into(),
        },
        assignor: g.strategy_name.into(),
        idle_members: g.members.iter().filter(|m| m.alive && !m.left && m.owned.is_empty()).count() as u32,
        processed: sim.checker.group_unique(i as u32),
        processing_order_violations: sim.checker.processing_order.get(i).copied().unwrap_or(0),
        group_type: "classic".into(),
        share: None,
    }
    .with_share(g)
}

impl GroupReport {
    /// A share group's figures replace the classic protocol's: no coordinator state, no assignor,
    /// and idle means "received nothing".
    fn with_share(mut self, g: &super::consumer::Group) -> GroupReport {
        let Some(s) = g.share.as_deref() else { return self };
        self.group_type = "share".into();
        self.state = if g.members.iter().any(|m| m.alive) { "Stable".into() } else { "Empty".into() };
        self.generation = 0;
        self.protocol = "share".into();
        self.assignor = "every member, every partition".into();
        self.idle_members = g.members.iter().zip(&s.members).filter(|(m, sm)| m.alive && !m.left && sm.received == 0).count() as u32;
        self.share = Some(ShareGroupReport {
            stats: s.stats.clone(),
            in_flight_end: s.parts.iter().map(|p| p.slots.len() as u64).sum(),
            latency_ms: latency_of(&s.e2e),
            acknowledgement_mode: match s.cfg.acknowledgement_mode {
                crate::scenario::AckMode::Implicit => "implicit".into(),
                crate::scenario::AckMode::Explicit => "explicit".into(),
            },
        });
        self
    }
}

/// How far back a consumer group created now could read: the oldest record still in the logs.
fn log_replay(sim: &Sim) -> ReplayReport {
    let mut oldest: Option<u64> = None;
    let mut records = 0;
    for t in &sim.scenario.topics {
        for p in 0..t.partitions {
            let Some(v) = sim.partition_view(&t.name, p) else { continue };
            let Some(r) = v.replica_state.iter().find(|r| r.is_leader).or(v.replica_state.first()) else { continue };
            records += r.log_end_offset.saturating_sub(r.log_start_offset);
            if let Some(first) = sim.log_records(&t.name, p, r.broker, r.log_start_offset, 1).first() {
                oldest = Some(oldest.map_or(first.timestamp_us, |o| o.min(first.timestamp_us)));
            }
        }
    }
    ReplayReport { possible: true, window_ms: oldest.map_or(0, |o| sim.now.saturating_sub(o) / 1000), records }
}

impl Sim {
    /// The run report's figures of one group, as they stand now.
    pub fn group_report(&self, group_id: &str) -> Option<GroupReport> {
        self.groups.iter().position(|g| g.id == group_id).map(|i| group_report(self, i))
    }
}

/// Mean, median, 99th percentile and maximum of a latency histogram (µs), in milliseconds.
pub(crate) fn latency_of(h: &hdrhistogram::Histogram<u64>) -> Latency {
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        Latency::default()
    } else {
        Latency { mean: round3(h.mean() / 1000.0), p50: ms(h.value_at_quantile(0.5)), p99: ms(h.value_at_quantile(0.99)), max: ms(h.max()) }
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    libm::round(x * 1000.0) / 1000.0
}

/// Run `scenario` (its seed already set) until `until_ms` or its `duration_ms`, and report. The
/// scenario's `design` picks the engine: `Sim` for the log, `QueueSim` for the queue, `ServiceSim`
/// for rest and events, `FraudSim` for batch and stream.
pub fn run_report(scenario: &Scenario, until_ms: Option<u64>) -> Report {
    let mut sim = super::side_by_side::AnySim::new(scenario);
    let end = until_ms.map(|t| t.saturating_mul(1000)).unwrap_or(sim.end_us());
    sim.run_until(end);
    sim.report()

}
