//! Share groups (KIP-932, "queues for Kafka"): the members of a share group consume the same
//! partitions together, record by record, on the same retained log the classic groups read.
//!
//! - Each (share group, partition) has a share-partition: its start offset (SPSO, below which every
//!   record is done with), its end offset (SPEO, here the first offset not yet in flight) and the
//!   in-flight records between them, each Available, Acquired (by one member, until its lock
//!   expires), Acknowledged or Archived, with a delivery count. At most
//!   `share.partition.max.record.locks` records are in flight (SPEO − SPSO).
//! - A member's ShareFetch goes to the partition's leader like any fetch; the leader acquires for
//!   it up to `max.poll.records` available records (the lowest offsets first, taking new ones from
//!   the log up to the high watermark), each locked for `share.record.lock.duration.ms`, and
//!   answers; with nothing to acquire the fetch waits at the leader (`fetch.max.wait.ms`) until the
//!   high watermark moves or records are released.
//! - Assignment: every member gets every partition the group subscribes to (Kafka's share assignor
//!   spreads partitions over members and lets several members share one; giving all of them all is
//!   the simplest case of that and is what a group with fewer partitions than members gets).
//! - The member processes a poll's records one after another (the group's `processing_ms`) and then
//!   acknowledges them: accept; on a processing failure (`failures`) release in explicit mode (the
//!   record is available again, its next delivery counts one more) or accept anyway in implicit mode
//!   (Kafka's default: the next poll accepts everything the last one returned). A record released or
//!   timed out after `share.delivery.count.limit` deliveries is archived: never delivered
//!   again. KIP-932 has no dead-letter topic.
//! - A crashed member keeps its locks until they expire; its records then go to the others, and
//!   what it had processed but not acknowledged is processed again (`processed_twice`). An
//!   acknowledgement that arrives after its lock expired is refused (Kafka's INVALID_RECORD_STATE).
//! - Records of one key go to different members, so they can be processed out of order: counted
//!   per (producer, key) when a record's processing ends before one sent earlier (as the queue
//!   design counts it) and added to the run's `order_violations`.
//!
//! Deterministic like the rest of the engine: ordered containers only, decisions in member and
//! offset order, random draws from the member's and the group's own generators, and every
//! acquisition folded into the trace hash. Nothing here runs unless a group has `"group.type":
//! "share"`, so runs without share groups are unchanged.

use std::collections::{BTreeMap, VecDeque};

use hdrhistogram::Histogram;

use super::cluster::{recycle_batch_vec, Node, Parked};
use super::consumer::Failures;
use super::kernel::{exp_us, ms_to_us, unit, SimRng, SimTime, US_PER_MS};
use super::log::{Record, NULL_KEY};
use super::producer::key_name;
use super::sim::{Event, FetchResult, KafkaError, Sim};
use crate::scenario::{AckMode, ProcessingSpec, ShareConfig, ShareOffsetReset};

/// How many archived records are written to the event log per group.
const ARCHIVED_LOGGED: u64 = 10;

/// The state of one in-flight record (KIP-932's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordState {
    Available,
    /// Locked to `member` by acquisition `acq` until `expiry`.
    Acquired { member: u32, acq: u32, expiry: SimTime },
    Acknowledged,
    Archived,
}

/// One offset of the in-flight window. `record` is None for an offset compaction removed.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub state: RecordState,
    pub deliveries: u32,
    pub record: Option<Record>,
}

/// The share-partition of one group on one partition.
#[derive(Clone, Debug, Default)]
pub struct SharePartition {
    /// Set by the first ShareFetch, from `share.auto.offset.reset`.
    pub initialized: bool,
    /// Share-partition start offset: every record below it is acknowledged or archived.
    pub spso: u64,
    /// The in-flight records, offsets `spso..speo()`.
    pub slots: VecDeque<Slot>,
}

impl SharePartition {
    /// Share-partition end offset: the first offset not yet in flight.
    pub fn speo(&self) -> u64 {
        self.spso + self.slots.len() as u64
    }
}

/// How a record's processing ends, and so how it is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareOutcome {
    Accept,
    /// Processing failed; implicit mode accepts it anyway.
    FailedAccept,
    /// Processing failed; explicit mode releases it for redelivery.
    Release,
}

/// One acquired record on its way to or inside a member: partition index, offset, acquisition.
#[derive(Clone, Copy, Debug)]
pub struct Held {
    pub pi: u32,
    pub offset: u64,
    pub acq: u32,
    pub record: Record,
}

/// The share-group side of one member (indexed like `Group::members`).
#[derive(Clone, Debug, Default)]
pub struct ShareMember {
    /// Per partition: what the leader acquired for the fetch in flight, handed over on its answer.
    pub transit: Vec<Vec<Held>>,
    /// Acquired records received and not yet polled, and how many per partition.
    pub ready: VecDeque<Held>,
    pub ready_per_part: Vec<u32>,
    /// The poll under way: each record, when its processing ends and how.
    pub processing: Vec<(Held, SimTime, ShareOutcome)>,
    /// Records received over the run.
    pub received: u64,
}

/// A share group's counters, as the report shows them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ShareStats {
    /// Deliveries (acquisitions) of records to members, redeliveries included.
    pub delivered: u64,
    /// Deliveries of a record delivered before (its delivery count above 1).
    pub redelivered: u64,
    pub accepted: u64,
    /// Records released by a member (explicit acknowledgement of a failure, or a member closing).
    pub released: u64,
    /// Records archived at the delivery count limit (rejected for good).
    pub archived: u64,
    /// Acquisition locks that ran out before the record was acknowledged.
    pub lock_expiries: u64,
    /// Acknowledgements refused because the record's lock had expired first.
    pub late_acknowledgements: u64,
    /// Records that left the log (retention) before this group was done with them.
    pub lost_to_retention: u64,
    /// Processing of a record of some key ended after that of a later record of the same key.
    pub order_violations: u64,
    /// The most records in flight on one share-partition (SPEO − SPSO).
    pub in_flight_max: u64,
    /// The highest delivery count reached.
    pub delivery_count_max: u32,
}

/// Everything a share group keeps besides its `Group`.
#[derive(Clone)]
pub struct ShareState {
    pub cfg: ShareConfig,
    pub parts: Vec<SharePartition>,
    pub members: Vec<ShareMember>,
    pub next_acq: u32,
    /// (producer, key) → sequence of the latest record of that key processed.
    pub last_seq: BTreeMap<(u32, u32), u64>,
    pub stats: ShareStats,
    /// Send-to-processed latency of this group's accepted records, µs.
    pub e2e: Histogram<u64>,
}

impl ShareState {
    pub fn new(cfg: &ShareConfig, partitions: usize) -> ShareState {
        let mut e2e = Histogram::new_with_bounds(1, 2, 3).expect("valid bounds");
        e2e.auto(true);
        ShareState { cfg: cfg.clone(), parts: vec![SharePartition::default(); partitions], members: Vec::new(), next_acq: 0, last_seq: BTreeMap::new(), stats: ShareStats::default(), e2e }
    }

    fn member(&mut self, m: u32, partitions: usize) -> &mut ShareMember {
        while self.members.len() <= m as usize {
            self.members.push(ShareMember { transit: vec![Vec::new(); partitions], ready_per_part: vec![0; partitions], ..Default::default() });
        }
        &mut self.members[m as usize]
    }
}

/// Does this try of `rec` fail?
fn fails(f: &mut Failures, rec: &Record) -> bool {
    f.poison.contains(&rec.key) || (f.rate > 0.0 && unit(&mut f.rng) < f.rate)
}

impl Sim {
    pub(crate) fn is_share(&self, g: u32) -> bool {
        self.groups.get(g as usize).is_some_and(|gr| gr.share.is_some())
    }

    fn share(&mut self, g: u32) -> &mut ShareState {
        self.groups[g as usize].share.as_deref_mut().expect("a share group")
    }

    /// A member of a share group starts (or restarts): it fetches from every partition.
    pub(crate) fn share_member_start(&mut self, g: u32, m: u32) {
        let n = self.groups[g as usize].parts.len();
        let sm = self.share(g).member(m, n);
        sm.ready.clear();
        sm.ready_per_part.iter_mut().for_each(|c| *c = 0);
        sm.transit.iter_mut().for_each(Vec::clear);
        sm.processing.clear();
        self.share_ensure_fetches(g, m);
    }

    /// Send a ShareFetch for every partition with nothing received, in flight or held.
    fn share_ensure_fetches(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        if !self.groups[gi].members[m as usize].alive {
            return;
        }
        for pi in 0..self.groups[gi].parts.len() {
            let idle = {
                let sm = &self.groups[gi].share.as_ref().expect("a share group").members[m as usize];
                sm.ready_per_part[pi] == 0 && sm.transit[pi].is_empty()
            };
            if idle && !self.groups[gi].members[m as usize].state[pi].fetching {
                self.share_send_fetch(g, m, pi as u32);
            }
        }
    }

    fn share_send_fetch(&mut self, g: u32, m: u32, pi: u32) {
        let gi = g as usize;
        let tp = self.groups[gi].parts[pi as usize];
        let backoff = self.groups[gi].cfg.retry_backoff_ms * US_PER_MS;
        let timeout = self.groups[gi].cfg.request_timeout_ms * US_PER_MS;
        let member = &mut self.groups[gi].members[m as usize];
        let node = member.node;
        let st = &mut member.state[pi as usize];
        st.fetching = true;
        let session = st.session;
        let Some(leader) = self.parts[tp as usize].leader else {
            self.at(self.now + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        };
        if !self.brokers[leader as usize].up {
            self.at(self.now + 2 * self.net.latency(Node::Client(node), Node::Broker(leader)) + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        }
        match self.net.transit(self.now, Node::Client(node), Node::Broker(leader)) {
            Some(t) => self.at(t, Event::ConsumerFetch { broker: leader, tp, group: g, member: m, offset: 0, session }),
            None => self.at(self.now + timeout, Event::ConsumerFetchRetry { group: g, member: m, tp, session }),
        }
    }

    /// A ShareFetch arrives at broker `b`: acquire and answer, or wait at the leader.
    pub(crate) fn on_share_fetch(&mut self, b: u32, tp: u32, g: u32, m: u32, session: u64) {
        let backoff = self.groups[g as usize].cfg.retry_backoff_ms * US_PER_MS;
        if !self.brokers[b as usize].up {
            self.at(self.now + self.net.latency(Node::Broker(b), Node::ANY_CLIENT) + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        }
        let Some(li) = self.replica_of(tp, b) else { return };
        if !self.replicas[li].is_leader {
            self.respond_consumer_fetch(b, g, m, tp, session, FetchResult::Error(KafkaError::NotLeaderOrFollower));
            return;
        }
        if !self.share_answer(li, g, m, session, false) {
            let deadline = self.now + self.groups[g as usize].cfg.fetch_max_wait_ms * US_PER_MS;
            let Some(pi) = self.part_index(g, tp) else { return };
            let offset = self.share(g).parts[pi as usize].speo();
            self.park(li, Parked::Consumer { deadline, group: g, member: m, session, offset });
        }
    }

    /// The leader `li` acquires records for member `m` and answers it. With nothing to acquire it
    /// answers only when `always` (the fetch's wait ran out). Returns whether it answered.
    pub(crate) fn share_answer(&mut self, li: usize, g: u32, m: u32, session: u64, always: bool) -> bool {
        let (b, tp) = (self.replicas[li].broker, self.replicas[li].tp);
        let Some(pi) = self.part_index(g, tp) else { return true };
        let n = self.share_acquire(li, g, m, pi);
        if n == 0 && !always {
            return false;
        }
        let r = &self.replicas[li];
        let (hw, start) = (r.high_watermark, r.log.log_start_offset);
        let batches = self.batch_vecs.pop().unwrap_or_default();
        self.respond_consumer_fetch(b, g, m, tp, session, FetchResult::Records { batches, high_watermark: hw, log_start_offset: start, upto: hw });
        true
    }

    /// Bring the share-partition up to date with the leader's log (initialise it, drop what
    /// retention deleted, take new records in up to the high watermark and the lock limit), then
    /// acquire up to `max.poll.records` available records for member `m`. Returns how many.
    fn share_acquire(&mut self, li: usize, g: u32, m: u32, pi: u32) -> u32 {
        let gi = g as usize;
        let now = self.now;
        let (hw, log_start) = (self.replicas[li].high_watermark, self.replicas[li].log.log_start_offset);
        let max_poll = self.groups[gi].cfg.max_poll_records;
        let n_parts = self.groups[gi].parts.len();
        let Some(share) = self.groups[gi].share.as_deref_mut() else { return 0 };
        let lock_us = share.cfg.record_lock_duration_ms * US_PER_MS;
        let max_locks = share.cfg.partition_max_record_locks as u64;
        let reset = share.cfg.auto_offset_reset;
        let sp = &mut share.parts[pi as usize];
        let mut note = None;
        if !sp.initialized {
            sp.initialized = true;
            sp.spso = match reset {
                ShareOffsetReset::Earliest => log_start,
                ShareOffsetReset::Latest => hw,
            };
            note = Some(sp.spso);
        }
        // Retention deleted records this group had not finished: they are gone.
        while sp.spso < log_start {
            match sp.slots.pop_front() {
                Some(s) => {
                    if !matches!(s.state, RecordState::Acknowledged | RecordState::Archived) {
                        share.stats.lost_to_retention += 1;
                    }
                    sp.spso += 1;
                }
                None => {
                    share.stats.lost_to_retention += log_start - sp.spso;
                    sp.spso = log_start;
                }
            }
        }
        // New records from the log, up to the high watermark and the in-flight limit.
        let upto = hw.min(sp.spso + max_locks);
        let from = sp.speo();
        if from < upto {
            let mut batches = self.batch_vecs.pop().unwrap_or_default();
            self.replicas[li].log.read(from, upto, (upto - from) as usize, &mut batches);
            let share = self.groups[gi].share.as_deref_mut().expect("a share group");
            let sp = &mut share.parts[pi as usize];
            for b in batches.iter() {
                let mut i = b.index_from(sp.speo());
                while i < b.len() && b.offset_at(i) < upto {
                    let off = b.offset_at(i);
                    // Offsets compaction removed are done with from the start.
                    while sp.speo() < off {
                        sp.slots.push_back(Slot { state: RecordState::Archived, deliveries: 0, record: None });
                    }
                    sp.slots.push_back(Slot { state: RecordState::Available, deliveries: 0, record: Some(b.record(i)) });
                    i += 1;
                }
            }
            recycle_batch_vec(&mut self.batch_vecs, batches);
        }
        let share = self.groups[gi].share.as_deref_mut().expect("a share group");
        let acq = share.next_acq;
        share.next_acq = share.next_acq.wrapping_add(1);
        let expiry = now + lock_us;
        let sp = &mut share.parts[pi as usize];
        let spso = sp.spso;
        let mut taken: Vec<Held> = Vec::new();
        for (k, slot) in sp.slots.iter_mut().enumerate() {
            if taken.len() as u32 >= max_poll {
                break;
            }
            if slot.state != RecordState::Available {
                continue;
            }
            let Some(record) = slot.record else { continue };
            slot.state = RecordState::Acquired { member: m, acq, expiry };
            slot.deliveries += 1;
            if slot.deliveries > 1 {
                share.stats.redelivered += 1;
            }
            share.stats.delivery_count_max = share.stats.delivery_count_max.max(slot.deliveries);
            taken.push(Held { pi, offset: spso + k as u64, acq, record });
        }
        share.stats.in_flight_max = share.stats.in_flight_max.max(sp.slots.len() as u64);
        let n = taken.len() as u32;
        let first = taken.first().map(|h| h.offset);
        if n > 0 {
            share.stats.delivered += n as u64;
            share.member(m, n_parts).transit[pi as usize].extend(taken);
            self.at(expiry, Event::ShareLockExpired { group: g, part: pi, acq });
        }
        self.committed_from_share(g, pi);
        if let Some(first) = first {
            self.hash.fold(0x5a4e_0000_0000_0000 ^ ((g as u64) << 40) ^ ((m as u64) << 24) ^ first.wrapping_mul(31) ^ n as u64);
        }
        if let Some(start) = note {
            let id = self.groups[gi].id.clone();
            let tpn = self.tp_name(self.groups[gi].parts[pi as usize]);
            let how = match reset {
                ShareOffsetReset::Earliest => "earliest",
                ShareOffsetReset::Latest => "latest",
            };
            self.log.push(now, "group", format!("Share group {id}: share-partition {tpn} starts at offset {start} (share.auto.offset.reset={how})."));
        }
        n
    }

    /// The group's committed offset of a partition mirrors the SPSO, so lag reads HW − SPSO.
    fn committed_from_share(&mut self, g: u32, pi: u32) {
        let gi = g as usize;
        let Some(share) = self.groups[gi].share.as_deref() else { return };
        let sp = &share.parts[pi as usize];
        if sp.initialized {
            self.groups[gi].committed[pi as usize] = Some(sp.spso);
        }
    }

    /// The answer to a ShareFetch reaches member `m`.
    pub(crate) fn on_share_fetch_response(&mut self, g: u32, m: u32, tp: u32, session: u64, result: FetchResult) {
        let gi = g as usize;
        let Some(pi) = self.part_index(g, tp) else { return };
        let backoff = self.groups[gi].cfg.retry_backoff_ms * US_PER_MS;
        let member = &mut self.groups[gi].members[m as usize];
        if !member.alive || member.state[pi as usize].session != session {
            if let FetchResult::Records { batches, .. } = result {
                recycle_batch_vec(&mut self.batch_vecs, batches);
            }
            return;
        }
        member.state[pi as usize].fetching = false;
        match result {
            FetchResult::Records { batches, .. } => {
                recycle_batch_vec(&mut self.batch_vecs, batches);
                let share = self.groups[gi].share.as_deref_mut().expect("a share group");
                let sm = &mut share.members[m as usize];
                let got = std::mem::take(&mut sm.transit[pi as usize]);
                sm.ready_per_part[pi as usize] += got.len() as u32;
                sm.received += got.len() as u64;
                sm.ready.extend(got);
                self.share_start_poll(g, m);
                self.share_ensure_fetches(g, m);
            }
            FetchResult::Error(_) | FetchResult::Diverging { .. } => {
                self.share(g).members[m as usize].transit[pi as usize].clear();
                self.groups[gi].members[m as usize].state[pi as usize].fetching = true;
                self.at(self.now + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            }
        }
    }

    /// A ShareFetch got no answer (or an error): what it acquired stays locked until the locks
    /// expire; the member fetches again.
    pub(crate) fn on_share_fetch_retry(&mut self, g: u32, m: u32, tp: u32, session: u64) {
        let gi = g as usize;
        let Some(pi) = self.part_index(g, tp) else { return };
        let member = &mut self.groups[gi].members[m as usize];
        if !member.alive || member.state[pi as usize].session != session {
            return;
        }
        member.state[pi as usize].fetching = false;
        self.share(g).members[m as usize].transit[pi as usize].clear();
        self.share_ensure_fetches(g, m);
    }

    /// Take up to `max.poll.records` received records and process them one after another.
    fn share_start_poll(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let max = self.groups[gi].cfg.max_poll_records as usize;
        let spec = self.groups[gi].processing.clone();
        let group = &mut self.groups[gi];
        let member = &mut group.members[m as usize];
        if member.busy || !member.alive {
            return;
        }
        let Some(share) = group.share.as_deref_mut() else { return };
        let explicit = share.cfg.acknowledgement_mode == AckMode::Explicit;
        let sm = &mut share.members[m as usize];
        if sm.ready.is_empty() {
            return;
        }
        let slow = member.slow_factor;
        let (constant_us, mean_ms) = match spec {
            ProcessingSpec::Constant { mean } => (Some(ms_to_us(mean * slow)), mean),
            ProcessingSpec::Exponential { mean } => (None, mean),
        };
        let draw = |rng: &mut SimRng| match constant_us {
            Some(dt) => dt,
            None => exp_us(rng, mean_ms * slow * 1000.0),
        };
        let mut t = self.now;
        sm.processing.clear();
        while sm.processing.len() < max {
            let Some(h) = sm.ready.pop_front() else { break };
            sm.ready_per_part[h.pi as usize] -= 1;
            t += draw(&mut member.rng);
            let failed = group.failures.as_mut().is_some_and(|f| fails(f, &h.record));
            let outcome = if !failed {
                ShareOutcome::Accept
            } else {
                group.failed_tries += 1;
                if explicit {
                    ShareOutcome::Release
                } else {
                    ShareOutcome::FailedAccept
                }
            };
            sm.processing.push((h, t, outcome));
        }
        member.busy = true;
        member.token += 1;
        let token = member.token;
        self.at(t, Event::ConsumerBatchDone { group: g, member: m, token });
    }

    /// The poll of member `m` is done: its records are acknowledged, the next poll starts.
    pub(crate) fn on_share_batch_done(&mut self, g: u32, m: u32, token: u64) {
        let member = &mut self.groups[g as usize].members[m as usize];
        if !member.alive || member.token != token || !member.busy {
            return;
        }
        member.busy = false;
        self.share_finish(g, m, SimTime::MAX, true);
        self.share_start_poll(g, m);
        self.share_ensure_fetches(g, m);
    }

    /// The records of the current poll processed by `until` had their side effects: count them,
    /// and acknowledge them when `acknowledge` (a crashed member acknowledges nothing).
    fn share_finish(&mut self, g: u32, m: u32, until: SimTime, acknowledge: bool) {
        let gi = g as usize;
        let done = std::mem::take(&mut self.share(g).members[m as usize].processing);
        let mut touched: Vec<u32> = Vec::new();
        for &(h, t_done, outcome) in &done {
            if t_done > until {
                break;
            }
            match outcome {
                ShareOutcome::Accept => {
                    if !self.checker.on_processed(g, h.record.id, h.record.key) {
                        self.groups[gi].processed_twice += 1;
                    }
                    let latency = t_done.saturating_sub(h.record.ts_us);
                    self.metrics.delivered += 1;
                    self.metrics.e2e_latency(latency);
                    let share = self.share(g);
                    share.e2e.record(latency.clamp(1, 3_600_000_000)).ok();
                    if h.record.key != NULL_KEY {
                        let last = share.last_seq.entry((h.record.producer(), h.record.key)).or_insert(h.record.seq());
                        if h.record.seq() < *last {
                            share.stats.order_violations += 1;
                        } else {
                            *last = h.record.seq();
                        }
                    }
                }
                ShareOutcome::FailedAccept => {
                    self.checker.on_consume(g, h.record.id);
                    self.groups[gi].skipped += 1;
                }
                ShareOutcome::Release => {}
            }
            if acknowledge {
                self.share_acknowledge(g, m, h, outcome != ShareOutcome::Release);
                if !touched.contains(&h.pi) {
                    touched.push(h.pi);
                }
            }
        }
        // What was not finished stays with the member (a closing member releases it).
        let rest: Vec<(Held, SimTime, ShareOutcome)> = done.into_iter().filter(|&(_, t_done, _)| t_done > until).collect();
        self.share(g).members[m as usize].processing = rest;
        for pi in touched {
            self.share_settled(g, pi);
        }
    }

    /// Member `m` acknowledges one record: accept, or release (archived at the delivery limit).
    fn share_acknowledge(&mut self, g: u32, m: u32, h: Held, accept: bool) {
        let share = self.share(g);
        let sp = &mut share.parts[h.pi as usize];
        let slot = h.offset.checked_sub(sp.spso).and_then(|k| sp.slots.get_mut(k as usize));
        let Some(slot) = slot.filter(|s| matches!(s.state, RecordState::Acquired { member, acq, .. } if member == m && acq == h.acq)) else {
            share.stats.late_acknowledgements += 1;
            return;
        };
        if accept {
            slot.state = RecordState::Acknowledged;
            share.stats.accepted += 1;
        } else {
            share.stats.released += 1;
            self.share_release_slot(g, h.pi, h.offset);
        }
    }

    /// An acquired record is given back (released, or its lock expired): available again, or
    /// archived once it was delivered `share.delivery.count.limit` times.
    fn share_release_slot(&mut self, g: u32, pi: u32, offset: u64) {
        let share = self.share(g);
        let limit = share.cfg.delivery_count_limit;
        let sp = &mut share.parts[pi as usize];
        let Some(slot) = offset.checked_sub(sp.spso).and_then(|k| sp.slots.get_mut(k as usize)) else { return };
        if slot.deliveries < limit {
            slot.state = RecordState::Available;
            return;
        }
        slot.state = RecordState::Archived;
        share.stats.archived += 1;
        let archived = share.stats.archived;
        let deliveries = slot.deliveries;
        let record = slot.record;
        if let Some(rec) = record {
            // Done with, though never processed: not "unseen".
            self.checker.on_consume(g, rec.id);
            if archived <= ARCHIVED_LOGGED {
                let gi = g as usize;
                let id = self.groups[gi].id.clone();
                let (t, p) = self.groups[gi].part_names[pi as usize].clone();
                let key = if rec.key == NULL_KEY { "null".into() } else { key_name(rec.key) };
                self.log.push(self.now, "group", format!("Share group {id}: the record at {t}-{p} offset {offset} (key {key}) was delivered {deliveries} times (share.delivery.count.limit) and is archived; it will not be delivered again."));
            }
        }
    }

    /// After acknowledgements or expiries on a partition: move the SPSO past what is done, and let
    /// waiting fetches take what became available.
    fn share_settled(&mut self, g: u32, pi: u32) {
        let share = self.share(g);
        let sp = &mut share.parts[pi as usize];
        while sp.slots.front().is_some_and(|s| matches!(s.state, RecordState::Acknowledged | RecordState::Archived)) {
            sp.slots.pop_front();
            sp.spso += 1;
        }
        self.committed_from_share(g, pi);
        self.share_wake(g, pi);
    }

    /// Fetches of group `g` waiting at the partition's leader try to acquire again.
    fn share_wake(&mut self, g: u32, pi: u32) {
        let tp = self.groups[g as usize].parts[pi as usize];
        let Some(li) = self.parts[tp as usize].leader.and_then(|l| self.replica_of(tp, l)) else { return };
        if !self.replicas[li].is_leader || self.replicas[li].parked.is_empty() {
            return;
        }
        let parked = std::mem::take(&mut self.replicas[li].parked);
        let mut kept = Vec::with_capacity(parked.len());
        for p in parked {
            match p {
                Parked::Consumer { group, member, session, .. } if group == g && self.share_answer(li, g, member, session, false) => {}
                _ => kept.push(p),
            }
        }
        let added = std::mem::replace(&mut self.replicas[li].parked, kept);
        self.replicas[li].parked.extend(added);
    }

    /// Acquisition `acq`'s locks run out: what is still locked by it comes back.
    pub(crate) fn on_share_lock_expired(&mut self, g: u32, pi: u32, acq: u32) {
        let Some(share) = self.groups.get_mut(g as usize).and_then(|gr| gr.share.as_deref_mut()) else { return };
        let sp = &share.parts[pi as usize];
        let spso = sp.spso;
        let expired: Vec<u64> = sp.slots.iter().enumerate().filter(|(_, s)| matches!(s.state, RecordState::Acquired { acq: a, .. } if a == acq)).map(|(k, _)| spso + k as u64).collect();
        if expired.is_empty() {
            return;
        }
        share.stats.lock_expiries += expired.len() as u64;
        for &off in &expired {
            self.share_release_slot(g, pi, off);
        }
        let gi = g as usize;
        let id = self.groups[gi].id.clone();
        let tpn = self.tp_name(self.groups[gi].parts[pi as usize]);
        let secs = self.share(g).cfg.record_lock_duration_ms as f64 / 1000.0;
        self.log.push(self.now, "group", format!("Share group {id}: the locks on {} record{} of {tpn} expired after {secs} s unacknowledged; they can be delivered again.", expired.len(), if expired.len() == 1 { "" } else { "s" }));
        self.share_settled(g, pi);
    }

    /// The member process dies: what it processed so far happened, nothing is acknowledged, and
    /// its records stay locked until their locks expire.
    pub(crate) fn share_crash(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get(g as usize).and_then(|gr| gr.members.get(m as usize)) else { return };
        if !member.alive {
            return;
        }
        if member.busy {
            self.share_finish(g, m, self.now, false);
        }
        self.groups[g as usize].members[m as usize].stop();
        let sm = &mut self.share(g).members[m as usize];
        let held = sm.ready.len() + sm.transit.iter().map(Vec::len).sum::<usize>() + sm.processing.len();
        sm.ready.clear();
        sm.ready_per_part.iter_mut().for_each(|c| *c = 0);
        sm.transit.iter_mut().for_each(Vec::clear);
        sm.processing.clear();
        let secs = self.share(g).cfg.record_lock_duration_ms as f64 / 1000.0;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "fault", format!("Consumer {m} of share group {id} crashed; the records it holds ({held} here) stay locked until their locks expire ({secs} s)."));
    }

    pub(crate) fn share_restart(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get_mut(g as usize).and_then(|gr| gr.members.get_mut(m as usize)) else { return };
        if member.alive {
            return;
        }
        member.alive = true;
        member.left = false;
        member.incarnation += 1;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} of share group {id} restarted."));
        self.share_member_start(g, m);
    }

    /// The member closes: what it processed is acknowledged, everything else it holds released.
    pub(crate) fn share_remove(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get(g as usize).and_then(|gr| gr.members.get(m as usize)) else { return };
        if !member.alive {
            return;
        }
        if member.busy {
            self.share_finish(g, m, self.now, true);
        }
        let sm = &mut self.share(g).members[m as usize];
        let mut give_back: Vec<Held> = sm.processing.drain(..).map(|(h, _, _)| h).collect();
        give_back.extend(sm.ready.drain(..));
        for t in sm.transit.iter_mut() {
            give_back.append(t);
        }
        sm.ready_per_part.iter_mut().for_each(|c| *c = 0);
        let mut touched: Vec<u32> = Vec::new();
        for h in give_back {
            self.share_acknowledge(g, m, h, false);
            if !touched.contains(&h.pi) {
                touched.push(h.pi);
            }
        }
        let member = &mut self.groups[g as usize].members[m as usize];
        member.stop();
        member.left = true;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} left share group {id}; the records it held were released."));
        for pi in touched {
            self.share_settled(g, pi);
        }
    }
}

/// One in-flight record of a share-partition, for shells and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRecordView {
    pub offset: u64,
    /// `available`, `acquired`, `acknowledged` or `archived`.
    pub state: &'static str,
    pub delivery_count: u32,
    /// The member holding the lock, and when the lock expires (acquired records only).
    pub member: Option<u32>,
    pub lock_expiry_us: Option<SimTime>,
    /// Key index (`key-{n}`), None for a null key or an offset compaction removed.
    pub key: Option<u32>,
}

/// A share-partition as it stands: its start and end offsets and the records in flight between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharePartitionView {
    pub spso: u64,
    pub speo: u64,
    pub records: Vec<ShareRecordView>,
}

impl Sim {
    /// The share-partition of share group `group_id` on `topic`-`partition`, if there is one.
    pub fn share_partition_view(&self, group_id: &str, topic: &str, partition: u32) -> Option<SharePartitionView> {
        let g = self.groups.iter().find(|g| g.id == group_id)?;
        let share = g.share.as_deref()?;
        let pi = g.part_names.iter().position(|(t, p)| t == topic && *p == partition)?;
        let sp = &share.parts[pi];
        let records = sp
            .slots
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let (state, member, lock_expiry_us) = match s.state {
                    RecordState::Available => ("available", None, None),
                    RecordState::Acquired { member, expiry, .. } => ("acquired", Some(member), Some(expiry)),
                    RecordState::Acknowledged => ("acknowledged", None, None),
                    RecordState::Archived => ("archived", None, None),
                };
                let key = s.record.map(|r| r.key).filter(|&k| k != NULL_KEY);
                ShareRecordView { offset: sp.spso + k as u64, state, delivery_count: s.deliveries, member, lock_expiry_us, key }
            })
            .collect();
        Some(SharePartitionView { spso: sp.spso, speo: sp.speo(), records })
    }

    /// Records each member of share group `group_id` received over the run, in member order.
    pub fn share_member_received(&self, group_id: &str) -> Option<Vec<u64>> {
        let g = self.groups.iter().find(|g| g.id == group_id)?;
        Some(g.share.as_deref()?.members.iter().map(|m| m.received).collect())
    }
}
