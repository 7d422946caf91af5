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

impl Sim {
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
