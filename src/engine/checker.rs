//! The checker: follows every record from send to final log to consumption and reports anomalies
//! with the names Jepsen's Kafka checker uses. One place for cluster-wide properties, instead of
//! asserts scattered through the engine:
//! - lost acknowledged record (lost write): acknowledged to its producer, absent from the partition's
//!   final log, and not removed by retention or compaction;
//! - duplicate: one record at two offsets of the log;
//! - order violation: same producer and key, one partition's log holds them in another order than
//!   sent (and, for share groups, a record processed after a later one of its key);
//! - processing order violation: a consumer group processed a record for the first time after it
//!   had processed a later record of the same producer and key (records of one key spread over
//!   partitions by `RoundRobinPartitioner`, a retry topic, a share group; replays of records already
//!   processed are `processed_twice`, not this);
//! - unseen: acknowledged and in the log, never consumed by any group (includes the tail still in
//!   flight when the run stops);
//! - high watermark regression: a replica's high watermark moved backwards (only truncation below the
//!   high watermark, i.e. an unclean election, does that).

use super::log::NULL_KEY;
use super::sim::Sim;
use crate::engine::report::Anomalies;

const SENT: u8 = 1;
const ACKED: u8 = 2;
const FAILED: u8 = 4;
const EXPIRED: u8 = 8;
const CONSUMED: u8 = 16;

#[derive(Clone, Default)]
pub struct Checker {
    /// Per producer, per record sequence: status bits.
    status: Vec<Vec<u8>>,
    /// Per group, per producer: a bitset of records that group processed at least once.
    consumed: Vec<Vec<Vec<u64>>>,
    /// Per group, per producer, per key index: one more than the highest sequence number of that
    /// key the group has processed (0: none yet).
    key_high: Vec<Vec<Vec<u64>>>,
    /// Per group: processing order violations (see the module's documentation).
    pub processing_order: Vec<u64>,
    /// Per group, the first `LATE_KEPT` records it processed after a later record of their producer
    /// and key: (record id, the highest sequence number of that key processed before it).
    late: Vec<Vec<(u64, u64)>>,
    pub unique: u64,
    pub processed_twice: u64,
    pub hw_regressions: u64,
}

/// Records processed out of order kept per group, to locate them (the count has no bound).
pub const LATE_KEPT: usize = 1_000;

#[inline]
fn split(id: u64) -> (usize, usize) {
    ((id >> super::log::PRODUCER_SHIFT) as usize, (id & ((1 << super::log::PRODUCER_SHIFT) - 1)) as usize)
}

impl Checker {
    pub fn add_producer(&mut self) {
        self.status.push(Vec::new());
        for g in self.consumed.iter_mut().chain(self.key_high.iter_mut()) {
            g.push(Vec::new());
        }
    }
    pub fn add_group(&mut self) {
        self.consumed.push(vec![Vec::new(); self.status.len()]);
        self.key_high.push(vec![Vec::new(); self.status.len()]);
        self.processing_order.push(0);
        self.late.push(Vec::new());
    }
    #[inline]
    pub fn on_send(&mut self, id: u64) {
        let (p, s) = split(id);
        let v = &mut self.status[p];
        // Sequence numbers come in order, so this is almost always a push.
        if v.len() == s {
            v.push(SENT);
            return;
        }
        if v.len() < s {
            v.resize(s + 1, 0);
        }
        v[s] |= SENT;
    }
    #[inline]
    pub fn on_ack(&mut self, id: u64) {
        let (p, s) = split(id);
        self.status[p][s] |= ACKED;
    }
    #[inline]
    pub fn on_fail(&mut self, id: u64) {
        let (p, s) = split(id);
        self.status[p][s] |= FAILED;
    }
    #[inline]
    pub fn on_expired(&mut self, id: u64) {
        let (p, s) = split(id);
        self.status[p][s] |= EXPIRED;
    }
    /// A group processed a record; returns whether it was the first time for that group.
    #[inline]
    pub fn on_consume(&mut self, g: u32, id: u64) -> bool {
        let (p, s) = split(id);
        self.status[p][s] |= CONSUMED;
        let bits = &mut self.consumed[g as usize][p];
        let w = s / 64;
        if bits.len() <= w {
            bits.resize(w + 1, 0);
        }
        let mask = 1u64 << (s % 64);
        if bits[w] & mask != 0 {
            self.processed_twice += 1;
            false
        } else {
            bits[w] |= mask;
            self.unique += 1;
            true
        }
    }

    /// A group processed a record successfully (its side effects happened): `on_consume`, and the
    /// first time, a processing order violation if a later record of its producer and key was
    /// processed before it. Returns whether it was the first time for that group.
    #[inline]
    pub fn on_processed(&mut self, g: u32, id: u64, key: u32) -> bool {
        let first = self.on_consume(g, id);
        if first && key != NULL_KEY {
            let (p, s) = split(id);
            let high = &mut self.key_high[g as usize][p];
            if high.len() <= key as usize {
                high.resize(key as usize + 1, 0);
            }
            let h = &mut high[key as usize];
            if (s as u64) < *h {
                self.processing_order[g as usize] += 1;
                let late = &mut self.late[g as usize];
                if late.len() < LATE_KEPT {
                    late.push((id, *h - 1));
                }
            } else {
                *h = s as u64 + 1;
            }
        }
        first
    }

    /// Group `g` processed record `s` of producer `p` at least once.
    fn processed(&self, g: usize, p: usize, s: usize) -> bool {
        self.consumed.get(g).and_then(|ps| ps.get(p)).and_then(|bits| bits.get(s / 64)).is_some_and(|w| w & (1u64 << (s % 64)) != 0)
    }

    /// Distinct records group `g` processed.
    pub fn group_unique(&self, g: u32) -> u64 {
        self.consumed.get(g as usize).map_or(0, |ps| ps.iter().flatten().map(|w| w.count_ones() as u64).sum())
    }

    pub fn acked_count(&self) -> u64 {
        self.status.iter().flatten().filter(|&&s| s & ACKED != 0).count() as u64
    }
}

/// One anomaly the checker found, located so a person can go and look at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `lost` (acknowledged, not in the log), `duplicate`, `order` (per-key order violation) or `unseen`.
    pub kind: &'static str,
    pub producer: u32,
    pub seq: u64,
    pub key: Option<u32>,
    pub topic: u32,
    /// The partition it is in (or, lost, the one its key maps to), when known.
    pub partition: Option<u32>,
    pub offset: Option<u64>,
    /// For an order violation: the record of the same producer and key stored before it though sent after.
    pub before: Option<(u64, u64)>,
    /// For a processing order violation (`processing`): the group, and the later-sent sequence
    /// number of the key it processed first.
    pub late_in: Option<(u32, u64)>,
}

/// A record's whole story, as far as the run knows it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordStory {
    pub producer: u32,
    pub seq: u64,
    pub key: Option<u32>,
    pub sent: bool,
    pub sent_at_us: Option<u64>,
    pub acked: bool,
    pub failed: bool,
    /// Removed by retention or compaction (not a loss).
    pub expired: bool,
    pub topic: u32,
    pub partition: Option<u32>,
    /// Every replica holding it: (broker, offset, leader epoch of its batch, is the leader now).
    pub replicas: Vec<(u32, u64, u32, bool)>,
    /// Below the leader's high watermark: committed, readable by consumers.
    pub committed: bool,
    /// Groups that processed it (at least once), by index.
    pub consumed_by: Vec<u32>,
    /// Acknowledged to its producer and absent from the partition's log (not by retention): lost.
    pub lost: bool,
    /// The same producer and key in the partition's log, in log order: (offset, seq, stored before a
    /// record sent earlier = an order violation). The latest 40 around this record.
    pub key_order: Vec<(u64, u64, bool)>,
    /// The same producer and key's records still in the topic's logs, in the order they were sent
    /// (by sequence number): the 40 around this record.
    pub key_sent: Vec<u64>,
    /// Per group that processed any of them: those records in the order the group first processed
    /// them.
    pub processing: Vec<ProcessingOrder>,
}

/// One group's processing order of a key's records (see `RecordStory::processing`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessingOrder {
    pub group: u32,
    /// (seq, `Some(h)` when it was processed after the later-sent record `h`); the 40 around the
    /// story's record.
    pub order: Vec<(u64, Option<u64>)>,
    /// False when the group processed more records out of order than the checker keeps
    /// (`LATE_KEPT`): the order is then exact only up to those.
    pub complete: bool,
}

/// The `WINDOW` entries of `all` around the first one `is_here` picks (the last ones if none).
fn around<T>(all: Vec<T>, is_here: impl Fn(&T) -> bool) -> Vec<T> {
    const WINDOW: usize = 40;
    let here = all.iter().position(is_here).unwrap_or(all.len().saturating_sub(1));
    let start = here.saturating_sub(WINDOW / 2).min(all.len().saturating_sub(WINDOW));
    all.into_iter().skip(start).take(WINDOW).collect()
}

impl Sim {
    /// Producer `producer`'s records of `key` still in `parts`, in the order sent and in each
    /// group's processing order, around record `seq` (see `RecordStory::key_sent` and
    /// `processing`). The processing order is rebuilt from what the checker keeps: a record
    /// processed in order had the highest sequence number of its key so far, so those come in
    /// sequence order; each late one came right after the in-order record its `late` entry names,
    /// in the order the entries were kept.
    fn processing_order_of(&self, producer: u32, key: u32, seq: u64, parts: &[u32]) -> (Vec<u64>, Vec<ProcessingOrder>) {
        let c = &self.checker;
        // The key's sequence numbers, ascending and once each, through a bitset.
        let mut bits = vec![0u64; c.status[producer as usize].len() / 64 + 1];
        for &tp in parts {
            let Some(ri) = self.authoritative(tp) else { continue };
            for b in self.replicas[ri].log.batches.iter() {
                for r in (0..b.len()).map(|i| b.record(i)).filter(|r| r.key == key && r.producer() == producer) {
                    bits[(r.seq() / 64) as usize] |= 1 << (r.seq() % 64);
                }
            }
        }
        let seqs: Vec<u64> = bits
            .iter()
            .enumerate()
            .filter(|(_, &w)| w != 0)
            .flat_map(|(i, &w)| (0..64u64).filter(move |b| w & (1 << b) != 0).map(move |b| i as u64 * 64 + b))
            .collect();
        let mut out = Vec::new();
        for g in 0..self.groups.len() {
            let late: Vec<(u64, u64)> =
                c.late[g].iter().map(|&(id, h)| (split(id), h)).filter(|((p, s), _)| *p == producer as usize && seqs.binary_search(&(*s as u64)).is_ok()).map(|((_, s), h)| (s as u64, h)).collect();
            let mut is_late = vec![0u64; bits.len()];
            for &(l, _) in &late {
                is_late[(l / 64) as usize] |= 1 << (l % 64);
            }
            let mut order: Vec<(u64, Option<u64>)> = Vec::new();
            let mut next_late = late.iter().peekable();
            for &s in seqs.iter().filter(|&&s| c.processed(g, producer as usize, s as usize) && is_late[(s / 64) as usize] & (1 << (s % 64)) == 0) {
                while let Some(&&(l, h)) = next_late.peek().filter(|l| l.1 < s) {
                    order.push((l, Some(h)));
                    next_late.next();
                }
                order.push((s, None));
            }
            order.extend(next_late.map(|&(l, h)| (l, Some(h))));
            if !order.is_empty() {
                out.push(ProcessingOrder { group: g as u32, order: around(order, |e| e.0 == seq), complete: c.processing_order[g] as usize <= c.late[g].len() });
            }
        }
        (around(seqs, |&s| s == seq), out)
    }

    /// Check the whole run as it stands: scan each partition's authoritative log (the leader's, or
    /// for an offline partition the most complete replica's) and compare with what producers were told.
    pub fn check(&self) -> Anomalies {
        self.check_detailed(0).0
    }

    /// The authoritative replica of a partition: the leader's, else the most complete one.
    fn authoritative(&self, tp: u32) -> Option<usize> {
        let m = &self.parts[tp as usize];
        match m.leader.and_then(|l| self.replica_of(tp, l)) {
            Some(ri) => Some(ri),
            None => m
                .replicas
                .iter()
                .filter_map(|&b| self.replica_of(tp, b))
                .max_by_key(|&ri| (self.replicas[ri].log.log_end_offset, u32::MAX - self.replicas[ri].broker)),
        }
    }

    /// `check`, and the first `max_per_kind` findings of each kind, located.
    pub fn check_detailed(&self, max_per_kind: usize) -> (Anomalies, Vec<Finding>) {
        let c = &self.checker;
        let mut present: Vec<Vec<u64>> = c.status.iter().map(|v| vec![0u64; v.len() / 64 + 1]).collect();
        // Per producer and key: (the highest sequence number seen, its offset, the partition it is in).
        // Order is only defined within one partition: a key spread over several (round-robin) starts
        // afresh in each.
        let mut last: Vec<Vec<(u64, u64, u32)>> = self.producers.iter().map(|p| vec![(u64::MAX, 0, u32::MAX); p.key_partition.len()]).collect();
        let mut a = Anomalies { hw_regressions: c.hw_regressions, ..Default::default() };
        let mut found: Vec<Finding> = Vec::new();
        let room = |kind: &str, found: &Vec<Finding>| found.iter().filter(|f| f.kind == kind).count() < max_per_kind;
        let topic_has_group: Vec<bool> = (0..self.topics.len() as u32).map(|t| self.groups.iter().any(|g| g.topics.contains(&t))).collect();
        // Where the records processed out of order are stored (the first copy in the log).
        // A bit per record processed out of order (as `present`), then their first place in the log.
        let mut late_bits: Vec<Vec<u64>> = c.status.iter().map(|_| Vec::new()).collect();
        for &(id, _) in c.late.iter().flatten().take(max_per_kind) {
            let (p, s) = split(id);
            let bits = &mut late_bits[p];
            if bits.len() <= s / 64 {
                bits.resize(s / 64 + 1, 0);
            }
            bits[s / 64] |= 1 << (s % 64);
        }
        let mut late_at: Vec<(u64, u32, u32, u64, u32)> = Vec::new();
        for (tp, m) in self.parts.iter().enumerate() {
            let Some(ri) = self.authoritative(tp as u32) else { continue };
            let has_group = topic_has_group[m.topic as usize];
            for b in self.replicas[ri].log.batches.iter() {
                for i in 0..b.len() {
                    let r = b.record(i);
                    let (p, s) = split(r.id);
                    let key = (r.key != NULL_KEY).then_some(r.key);
                    let at = |kind: &'static str, before: Option<(u64, u64)>| Finding {
                        kind,
                        producer: p as u32,
                        seq: s as u64,
                        key,
                        topic: m.topic,
                        partition: Some(m.partition),
                        offset: Some(b.offset_at(i)),
                        before,
                        late_in: None,
                    };
                    let (w, mask) = (s / 64, 1u64 << (s % 64));
                    if late_bits[p].get(w).is_some_and(|x| x & mask != 0) {
                        late_bits[p][w] &= !mask;
                        late_at.push((r.id, m.topic, m.partition, b.offset_at(i), r.key));
                    }
                    if present[p][w] & mask != 0 {
                        a.duplicates += 1;
                        if room("duplicate", &found) {
                            found.push(at("duplicate", None));
                        }
                    } else {
                        present[p][w] |= mask;
                        let st = c.status[p][s];
                        if has_group && st & ACKED != 0 && st & CONSUMED == 0 {
                            a.unseen += 1;
                            if room("unseen", &found) {
                                found.push(at("unseen", None));
                            }
                        }
                    }
                    if let Some(k) = key {
                        let slot = &mut last[p][k as usize];
                        let seq = r.seq();
                        if slot.2 == tp as u32 && seq < slot.0 {
                            a.order_violations += 1;
                            if room("order", &found) {
                                found.push(at("order", Some((slot.0, slot.1))));
                            }
                        } else {
                            *slot = (seq, b.offset_at(i), tp as u32);
                        }
                    }
                }
            }
        }
        for (p, v) in c.status.iter().enumerate() {
            for (s, &st) in v.iter().enumerate() {
                if st & ACKED != 0 && st & EXPIRED == 0 && present[p][s / 64] & (1u64 << (s % 64)) == 0 {
                    a.lost_acked += 1;
                    if room("lost", &found) {
                        let pr = &self.producers[p];
                        found.push(Finding {
                            kind: "lost",
                            producer: p as u32,
                            seq: s as u64,
                            key: None,
                            topic: pr.topic,
                            partition: None,
                            offset: None,
                            before: None,
                            late_in: None,
                        });
                    }
                }
            }
        }
        // Share groups process records of one key on several members: out of processing order.
        a.order_violations += self.groups.iter().filter_map(|g| g.share.as_ref()).map(|s| s.stats.order_violations).sum::<u64>();
        a.processing_order_violations = c.processing_order.iter().sum();
        for (g, late) in c.late.iter().enumerate() {
            for &(id, high) in late {
                if !room("processing", &found) {
                    break;
                }
                let (p, s) = split(id);
                let at = late_at.iter().find(|l| l.0 == id);
                found.push(Finding {
                    kind: "processing",
                    producer: p as u32,
                    seq: s as u64,
                    key: at.map(|l| l.4).filter(|&k| k != NULL_KEY),
                    topic: at.map_or(self.producers[p].topic, |l| l.1),
                    partition: at.map(|l| l.2),
                    offset: at.map(|l| l.3),
                    before: None,
                    late_in: Some((g as u32, high)),
                });
            }
        }
        let _ = (SENT, FAILED);
        (a, found)
    }

    /// Everything the run knows of record `seq` of producer `producer`: sent, where it is stored and
    /// on which replicas, committed, acknowledged, consumed by which groups, lost; and the order of
    /// its key's records in the log. None for a record never sent.
    pub fn record_story(&self, producer: u32, seq: u64) -> Option<RecordStory> {
        let c = &self.checker;
        let st = *c.status.get(producer as usize)?.get(seq as usize)?;
        let pr = &self.producers[producer as usize];
        let id = (u64::from(producer) << super::log::PRODUCER_SHIFT) | seq;
        let mut story = RecordStory {
            producer,
            seq,
            key: None,
            sent: st & SENT != 0,
            sent_at_us: None,
            acked: st & ACKED != 0,
            failed: st & FAILED != 0,
            expired: st & EXPIRED != 0,
            topic: pr.topic,
            partition: None,
            replicas: Vec::new(),
            committed: false,
            consumed_by: (0..self.groups.len() as u32).filter(|&g| c.processed(g as usize, producer as usize, seq as usize)).collect(),
            lost: false,
            key_order: Vec::new(),
            key_sent: Vec::new(),
            processing: Vec::new(),
        };
        let topic = &self.topics[pr.topic as usize];
        for &tp in &topic.parts {
            let m = &self.parts[tp as usize];
            for &broker in &m.replicas {
                let Some(ri) = self.replica_of(tp, broker) else { continue };
                let replica = &self.replicas[ri];
                for b in replica.log.batches.iter() {
                    for i in 0..b.len() {
                        let r = b.record(i);
                        if r.id == id {
                            story.partition = Some(m.partition);
                            story.key = (r.key != NULL_KEY).then_some(r.key);
                            story.sent_at_us = Some(r.ts_us);
                            let leader = m.leader == Some(broker);
                            story.replicas.push((broker, b.offset_at(i), b.leader_epoch, leader));
                            if leader && b.offset_at(i) < replica.high_watermark {
                                story.committed = true;
                            }
                        }
                    }
                }
            }
            if story.partition.is_some() {
                break;
            }
        }
        // Lost: acknowledged, not removed by retention, and not in the authoritative log.
        let in_authority = story.partition.is_some_and(|p| {
            let tp = topic.parts[p as usize];
            self.authoritative(tp).is_some_and(|ri| story.replicas.iter().any(|r| r.0 == self.replicas[ri].broker))
        });
        story.lost = story.acked && !story.expired && !in_authority;
        // The key's records of this producer in the partition, in log order.
        if let (Some(key), Some(p)) = (story.key, story.partition) {
            let tp = topic.parts[p as usize];
            if let Some(ri) = self.authoritative(tp) {
                let mut all: Vec<(u64, u64, bool)> = Vec::new();
                let mut max_seq: Option<u64> = None;
                for b in self.replicas[ri].log.batches.iter() {
                    for i in 0..b.len() {
                        let r = b.record(i);
                        if r.key == key && r.producer() == producer {
                            let out_of_order = max_seq.is_some_and(|m| r.seq() < m);
                            max_seq = Some(max_seq.map_or(r.seq(), |m| m.max(r.seq())));
                            all.push((b.offset_at(i), r.seq(), out_of_order));
                        }
                    }
                }
                story.key_order = around(all, |e| e.1 == seq);
            }
        }
        if let Some(key) = story.key {
            (story.key_sent, story.processing) = self.processing_order_of(producer, key, seq, &topic.parts);
        }
        Some(story)
    }
}
