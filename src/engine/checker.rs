//! The checker: follows every record from send to final log to consumption and reports anomalies
//! with the names Jepsen's Kafka checker uses. One place for cluster-wide properties, instead of
//! asserts scattered through the engine:
//! - lost acknowledged record (lost write): acknowledged to its producer, absent from the partition's
//!   final log, and not removed by retention or compaction;
//! - duplicate: one record at two offsets of the log;
//! - order violation: same producer and key, the log holds them in another order than sent (and,
//!   for share groups, a record processed after a later one of its key);
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

#[derive(Default)]
pub struct Checker {
    /// Per producer, per record sequence: status bits.
    status: Vec<Vec<u8>>,
    /// Per group, per producer: a bitset of records that group processed at least once.
    consumed: Vec<Vec<Vec<u64>>>,
    pub unique: u64,
    pub processed_twice: u64,
    pub hw_regressions: u64,
}

#[inline]
fn split(id: u64) -> (usize, usize) {
    ((id >> super::log::PRODUCER_SHIFT) as usize, (id & ((1 << super::log::PRODUCER_SHIFT) - 1)) as usize)
}

impl Checker {
    pub fn add_producer(&mut self) {
        self.status.push(Vec::new());
        for g in self.consumed.iter_mut() {
            g.push(Vec::new());
        }
    }
    pub fn add_group(&mut self) {
        self.consumed.push(vec![Vec::new(); self.status.len()]);
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

    /// Distinct records group `g` processed.
    pub fn group_unique(&self, g: u32) -> u64 {
        self.consumed.get(g as usize).map_or(0, |ps| ps.iter().flatten().map(|w| w.count_ones() as u64).sum())
    }

    pub fn acked_count(&self) -> u64 {
        self.status.iter().flatten().filter(|&&s| s & ACKED != 0).count() as u64
    }
}

impl Sim {
    /// Check the whole run as it stands: scan each partition's authoritative log (the leader's, or
    /// for an offline partition the most complete replica's) and compare with what producers were told.
    pub fn check(&self) -> Anomalies {
        let c = &self.checker;
        let mut present: Vec<Vec<u64>> = c.status.iter().map(|v| vec![0u64; v.len() / 64 + 1]).collect();
        let mut last_seq: Vec<Vec<u64>> = self.producers.iter().map(|p| vec![u64::MAX; p.key_partition.len()]).collect();
        let mut a = Anomalies { hw_regressions: c.hw_regressions, ..Default::default() };
        let topic_has_group: Vec<bool> = (0..self.topics.len() as u32).map(|t| self.groups.iter().any(|g| g.topics.contains(&t))).collect();
        for (tp, m) in self.parts.iter().enumerate() {
            let tp = tp as u32;
            let ri = match m.leader.and_then(|l| self.replica_of(tp, l)) {
                Some(ri) => ri,
                None => match m.replicas.iter().filter_map(|&b| self.replica_of(tp, b)).max_by_key(|&ri| (self.replicas[ri].log.log_end_offset, u32::MAX - self.replicas[ri].broker)) {
                    Some(ri) => ri,
                    None => continue,
                },
            };
            let has_group = topic_has_group[m.topic as usize];
            for b in self.replicas[ri].log.batches.iter() {
                for r in b.records() {
                    let (p, s) = split(r.id);
                    let (w, mask) = (s / 64, 1u64 << (s % 64));
                    if present[p][w] & mask != 0 {
                        a.duplicates += 1;
                    } else {
                        present[p][w] |= mask;
                        let st = c.status[p][s];
                        if has_group && st & ACKED != 0 && st & CONSUMED == 0 {
                            a.unseen += 1;
                        }
                    }
                    if r.key != NULL_KEY {
                        let last = &mut last_seq[p][r.key as usize];
                        let seq = r.seq();
                        if *last != u64::MAX && seq < *last {
                            a.order_violations += 1;
                        } else {
                            *last = seq;
                        }
                    }
                }
            }
        }
        for (p, v) in c.status.iter().enumerate() {
            for (s, &st) in v.iter().enumerate() {
                if st & ACKED != 0 && st & EXPIRED == 0 && present[p][s / 64] & (1u64 << (s % 64)) == 0 {
                    a.lost_acked += 1;
                }
            }
        }
        // Share groups process records of one key on several members: out of processing order.
        a.order_violations += self.groups.iter().filter_map(|g| g.share.as_ref()).map(|s| s.stats.order_violations).sum::<u64>();
        let _ = (SENT, FAILED);
        a
    }
}
