//! Read-only views of the engine for the UI, the CLI and tests: plain data copied out of the
//! simulation, so a shell can render or compare without reaching into engine state.

use super::log::{FLAG_TOMBSTONE, NULL_KEY};
use super::sim::Sim;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub broker: u32,
    pub broker_up: bool,
    pub is_leader: bool,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    /// Records held (fewer than log end − log start after compaction).
    pub records: u64,
    pub bytes: u64,
    pub segments: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionView {
    pub topic: String,
    pub partition: u32,
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub isr: Vec<u32>,
    pub replica_state: Vec<ReplicaView>,
}

/// One record of a log as a view shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordView {
    pub offset: u64,
    pub producer: u32,
    pub seq: u64,
    /// Key index (`key-{n}`), None for a null key.
    pub key: Option<u32>,
    pub tombstone: bool,
    pub timestamp_us: u64,
    pub leader_epoch: u32,
}

/// A vertical line on every chart: when an action or a fault was applied, and what it was.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub t_us: u64,
    pub label: String,
    pub fault: bool,
}

/// The time series the charts draw, one value per metrics sample (about 600 over a run).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChartView {
    pub t_us: Vec<u64>,
    /// Records sent per second over the interval ending at each sample.
    pub produce_rate: Vec<f64>,
    /// Records delivered to consumers per second over the same intervals.
    pub consume_rate: Vec<f64>,
    /// End-to-end latency (send to processed) over the interval, milliseconds; 0 when nothing was
    /// processed in it.
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    /// Per group (in the order groups started): its total lag at each sample (0 before it started).
    pub lag: Vec<(String, Vec<u64>)>,
    pub under_replicated: Vec<u32>,
    pub offline: Vec<u32>,
    /// Timeline entries and a person's actions applied so far, in time order.
    pub markers: Vec<Marker>,
}

/// A producer as its card shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerView {
    pub name: String,
    pub topic: String,
    /// Records per second now (during a spike, the spiked rate).
    pub rate_per_sec: f64,
    /// The rate set by the scenario or the last rate change, which a spike returns to.
    pub base_rate_per_sec: f64,
    pub acks: crate::scenario::Acks,
    pub idempotent: bool,
}

impl Sim {
    pub fn producer_views(&self) -> Vec<ProducerView> {
        self.producers
            .iter()
            .map(|p| ProducerView {
                name: p.name.clone(),
                topic: self.topics.get(p.topic as usize).map(|t| t.name.clone()).unwrap_or_default(),
                rate_per_sec: p.rate,
                base_rate_per_sec: p.base_rate,
                acks: p.acks,
                idempotent: p.idempotent,
            })
            .collect()
    }

    /// Every consumer group's id, in the order they started.
    pub fn group_ids(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.id.clone()).collect()
    }

    /// The charts' series and markers up to now.
    pub fn chart_view(&self) -> ChartView {
        let samples = &self.metrics.samples;
        let mut v = ChartView { lag: self.groups.iter().map(|g| (g.id.clone(), Vec::with_capacity(samples.len()))).collect(), ..ChartView::default() };
        let (mut t0, mut sent0, mut delivered0) = (0u64, 0u64, 0u64);
        for s in samples {
            let span_s = s.t_us.saturating_sub(t0) as f64 / 1e6;
            let rate = |now: u64, before: u64| if span_s > 0.0 { now.saturating_sub(before) as f64 / span_s } else { 0.0 };
            v.t_us.push(s.t_us);
            v.produce_rate.push(rate(s.sent, sent0));
            v.consume_rate.push(rate(s.delivered, delivered0));
            v.p50_ms.push(s.p50_us as f64 / 1e3);
            v.p99_ms.push(s.p99_us as f64 / 1e3);
            for (i, (_, series)) in v.lag.iter_mut().enumerate() {
                series.push(s.lag.get(i).copied().unwrap_or(0));
            }
            v.under_replicated.push(s.under_replicated);
            v.offline.push(s.offline);
            (t0, sent0, delivered0) = (s.t_us, s.sent, s.delivered);
        }
        let timeline = self.scenario.timeline.iter().filter(|e| e.at_ms.saturating_mul(1000) <= self.now).map(|e| (e.at_ms.saturating_mul(1000), &e.action));
        let applied = self.applied.iter().map(|a| (a.t_us, &a.action));
        v.markers = timeline.chain(applied).map(|(t_us, a)| Marker { t_us, label: a.short_label(), fault: a.is_fault() }).collect();
        v.markers.sort_by_key(|m| m.t_us);
        v
    }

    fn tp_index(&self, topic: &str, partition: u32) -> Option<u32> {
        self.topics.iter().find(|t| t.name == topic).and_then(|t| t.parts.get(partition as usize).copied())
    }

    /// The controller's record of a partition and each replica's log positions.
    pub fn partition_view(&self, topic: &str, partition: u32) -> Option<PartitionView> {
        let tp = self.tp_index(topic, partition)?;
        let m = &self.parts[tp as usize];
        let replica_state = m
            .replicas
            .iter()
            .filter_map(|&b| self.replica_of(tp, b))
            .map(|ri| {
                let r = &self.replicas[ri];
                ReplicaView {
                    broker: r.broker,
                    broker_up: self.brokers[r.broker as usize].up,
                    is_leader: r.is_leader,
                    log_start_offset: r.log.log_start_offset,
                    log_end_offset: r.log.log_end_offset,
                    high_watermark: r.high_watermark,
                    records: r.log.records,
                    bytes: r.log.bytes,
                    segments: r.log.segments.len() as u32,
                }
            })
            .collect();
        Some(PartitionView { topic: topic.into(), partition, replicas: m.replicas.clone(), leader: m.leader, leader_epoch: m.leader_epoch, isr: m.isr.clone(), replica_state })
    }

    /// The records of one replica's log (on `broker`), in offset order, at most `max` from `from`.
    pub fn log_records(&self, topic: &str, partition: u32, broker: u32, from: u64, max: usize) -> Vec<RecordView> {
        let Some(ri) = self.tp_index(topic, partition).and_then(|tp| self.replica_of(tp, broker)) else { return Vec::new() };
        let log = &self.replicas[ri].log;
        let mut out = Vec::new();
        for b in log.batches.range(log.batch_index(from)..) {
            for i in 0..b.len() {
                let off = b.offset_at(i);
                if off < from {
                    continue;
                }
                if out.len() >= max {
                    return out;
                }
                let r = b.record(i);
                out.push(RecordView {
                    offset: off,
                    producer: r.producer(),
                    seq: r.seq(),
                    key: (r.key != NULL_KEY).then_some(r.key),
                    tombstone: r.flags & FLAG_TOMBSTONE != 0,
                    timestamp_us: r.ts_us,
                    leader_epoch: b.leader_epoch,
                });
            }
        }
        out
    }
}

/// One partition as a consumer group sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPartitionView {
    pub topic: String,
    pub partition: u32,
    /// The consumer (member index) consuming it now; None while it is paused.
    pub owner: Option<u32>,
    pub committed: Option<u64>,
    /// The owner's next offset to process.
    pub position: Option<u64>,
    pub high_watermark: u64,
    /// High watermark minus position (or committed offset when nobody consumes it).
    pub lag: u64,
    /// Stopped by the `stop` failure policy.
    pub stopped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    pub index: u32,
    /// The coordinator's member id (empty while it is not a member).
    pub member_id: String,
    pub instance_id: Option<String>,
    pub alive: bool,
    /// `slow_consumer` multiplied its processing time (factor above 1).
    pub slowed: bool,
    pub generation: i32,
    /// Partitions it holds, as `topic-partition`.
    pub partitions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RebalanceView {
    pub start_us: u64,
    pub end_us: Option<u64>,
    pub generation: i32,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupView {
    pub group_id: String,
    /// Kafka's group state name.
    pub state: &'static str,
    pub generation: i32,
    pub protocol: &'static str,
    pub assignor: &'static str,
    pub coordinator: Option<u32>,
    pub members: Vec<MemberView>,
    pub partitions: Vec<GroupPartitionView>,
    pub rebalances: Vec<RebalanceView>,
}

impl Sim {
    /// A consumer group as `kafka-consumer-groups --describe` would show it, plus its rebalances.
    pub fn group_view(&self, group_id: &str) -> Option<GroupView> {
        let g = self.groups.iter().find(|g| g.id == group_id)?;
        let members = g
            .members
            .iter()
            .map(|m| MemberView {
                index: m.idx,
                member_id: g.roster.iter().find(|e| e.slot == m.idx && e.incarnation == m.incarnation).map(|e| e.member_id.clone()).unwrap_or_default(),
                instance_id: m.instance_id.clone(),
                alive: m.alive,
                slowed: m.slow_factor > 1.0,
                generation: m.generation,
                partitions: m.owned.iter().map(|&pi| format!("{}-{}", g.part_names[pi as usize].0, g.part_names[pi as usize].1)).collect(),
            })
            .collect();
        let partitions = g
            .parts
            .iter()
            .enumerate()
            .map(|(pi, &tp)| {
                let meta = &self.parts[tp as usize];
                let hw = meta.leader.and_then(|l| self.replica_of(tp, l)).map(|ri| self.replicas[ri].high_watermark).unwrap_or(0);
                let owner = g.owner[pi];
                let st = owner.map(|o| &g.members[o as usize].state[pi]);
                let position = st.and_then(|s| s.position);
                let (topic, partition) = g.part_names[pi].clone();
                GroupPartitionView {
                    topic,
                    partition,
                    owner,
                    committed: g.committed[pi],
                    position,
                    high_watermark: hw,
                    lag: hw.saturating_sub(position.or(g.committed[pi]).unwrap_or(0)),
                    stopped: st.is_some_and(|s| s.blocked),
                }
            })
            .collect();
        let protocol = match g.protocol {
            super::assignor::Protocol::Eager => "eager",
            super::assignor::Protocol::Cooperative => "cooperative",
        };
        Some(GroupView {
            group_id: g.id.clone(),
            state: g.state.name(),
            generation: g.generation,
            protocol,
            assignor: g.strategy_name,
            coordinator: self.coordinator_of(g.idx),
            members,
            partitions,
            rebalances: g.history.iter().map(|r| RebalanceView { start_us: r.start_us, end_us: r.end_us, generation: r.generation, reason: r.reason.clone() }).collect(),
        })
    }
}

/// One broker as its card shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerView {
    pub id: u32,
    pub rack: Option<String>,
    pub up: bool,
    /// Cut off from every other node (`isolate_broker`).
    pub isolated: bool,
    /// The network partition side it is on (0, 1, …) while the network is partitioned.
    pub network_side: Option<u32>,
    /// The active controller fenced it (it missed `broker.session.timeout.ms` of heartbeats).
    pub fenced: bool,
    /// Partitions it leads, and replicas it hosts.
    pub leaders: u32,
    pub replicas: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerView {
    pub id: u32,
    pub up: bool,
    pub active: bool,
}

/// One partition's health, for the cluster overview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionHealth {
    pub partition: u32,
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    /// The leader's broker is running. A crashed leader stays the leader until the controller
    /// notices (`broker.session.timeout.ms`): meanwhile the partition takes no writes or reads.
    pub leader_up: bool,
    pub leader_epoch: u32,
    pub isr: Vec<u32>,
    /// ISR smaller than the replica set.
    pub under_replicated: bool,
    /// The ISR is below the topic's `min.insync.replicas`: acks=all produce fails.
    pub under_min_isr: bool,
    /// The leader's high watermark and log end offset.
    pub high_watermark: u64,
    pub log_end_offset: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicView {
    pub name: String,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    pub partitions: Vec<PartitionHealth>,
}

/// The whole cluster at a glance: brokers, the controller quorum, every topic's partitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterView {
    pub brokers: Vec<BrokerView>,
    pub controllers: Vec<ControllerView>,
    pub active_controller: Option<u32>,
    pub topics: Vec<TopicView>,
    /// The consumer groups' ids, in scenario order (then those added at run time).
    pub groups: Vec<String>,
}

impl Sim {
    pub fn cluster_view(&self) -> ClusterView {
        let mut leaders = vec![0u32; self.brokers.len()];
        for p in &self.parts {
            if let Some(l) = p.leader {
                leaders[l as usize] += 1;
            }
        }
        let brokers = self
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.id,
                rack: b.rack.clone(),
                up: b.up,
                isolated: self.net.isolated.contains(&b.id),
                network_side: self.net.group_of.get(&b.id).copied(),
                fenced: self.quorum.fenced.get(b.id as usize).copied().unwrap_or(false),
                leaders: leaders[b.id as usize],
                replicas: b.replicas.len() as u32,
            })
            .collect();
        let controllers = self
            .controllers
            .iter()
            .enumerate()
            .map(|(i, c)| ControllerView { id: i as u32, up: c.up, active: self.quorum.active == Some(i as u32) })
            .collect();
        let topics = self
            .topics
            .iter()
            .map(|t| TopicView {
                name: t.name.clone(),
                replication_factor: t.spec.replication_factor,
                min_insync_replicas: t.spec.config.min_insync_replicas,
                partitions: t
                    .parts
                    .iter()
                    .map(|&tp| {
                        let m = &self.parts[tp as usize];
                        let lead = m.leader.and_then(|l| self.replica_of(tp, l)).map(|ri| &self.replicas[ri]);
                        PartitionHealth {
                            partition: m.partition,
                            replicas: m.replicas.clone(),
                            leader: m.leader,
                            leader_up: m.leader.is_some_and(|l| self.brokers[l as usize].up),
                            leader_epoch: m.leader_epoch,
                            isr: m.isr.clone(),
                            under_replicated: m.isr.len() < m.replicas.len(),
                            under_min_isr: (m.isr.len() as u32) < t.spec.config.min_insync_replicas,
                            high_watermark: lead.map(|r| r.high_watermark).unwrap_or(0),
                            log_end_offset: lead.map(|r| r.log.log_end_offset).unwrap_or(0),
                        }
                    })
                    .collect(),
            })
            .collect();
        ClusterView {
            brokers,
            controllers,
            active_controller: self.quorum.active,
            topics,
            groups: self.groups.iter().map(|g| g.id.clone()).collect(),
        }
    }

    /// The event log's lines at or after `from_us`, at most `max` of the latest.
    pub fn log_lines(&self, from_us: u64, max: usize) -> Vec<super::eventlog::LogLine> {
        let n = self.log.lines.iter().rev().take_while(|l| l.t_us >= from_us).count().min(max);
        self.log.lines.iter().skip(self.log.lines.len() - n).cloned().collect()
    }
}
