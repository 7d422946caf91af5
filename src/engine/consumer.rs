//! Consumer groups: members fetch from partition leaders (below the high watermark, long-polling
//! with `fetch.max.wait.ms`), process records one after another (constant or exponential time,
//! computed per record without an event each), and commit offsets (auto-commit every
//! `auto.commit.interval.ms`, or after each poll). Membership, assignment and commits go through the
//! group coordinator (`group.rs`).

use std::collections::VecDeque;
use std::rc::Rc;

use super::assignor::{protocol_for, Protocol, Strategy};
use super::cluster::{recycle_batch_vec, Node};
use super::group::{strategy_of, GroupState, Rebalance, RosterEntry};
use super::kernel::{exp_us, ms_to_us, sub_rng, unit, SimRng, SimTime, US_PER_MS};
use super::producer::key_name;
use super::log::{Batch, Record};
use super::share_group::ShareState;
use super::sim::{fetch_subject, Event, FetchResult, KafkaError, Sim, KIND_CONSUMER_FETCH};
use crate::scenario::{ConsumerConfig, FailurePolicy, GroupSpec, GroupType, OffsetReset, ProcessingSpec, ResetTo};
/// Client node ids for consumer members start here (producers use 0..).
const MEMBER_NODE_BASE: u32 = 1 << 20;

/// How the processing of one record ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Failed (after any retries in place) and skipped.
    Skipped,
    /// Failed and published to the retry topic.
    ToRetryTopic,
}

/// The group's failure handling, resolved from its `failures` spec.
#[derive(Clone)]
pub struct Failures {
    pub rate: f64,
    /// Key indices whose records always fail.
    pub poison: Vec<u32>,
    pub policy: FailurePolicy,
    pub retries: u32,
    pub backoff_us: SimTime,
    pub rng: SimRng,
}

/// A record waiting in the retry topic: when it is due, which try comes next.
#[derive(Clone)]
pub struct RetryEntry {
    pub due: SimTime,
    pub record: Record,
    pub attempt: u32,
}

#[derive(Clone, Default)]
pub struct MemberPartition {
    /// The failure policy `stop` stopped this partition at `position`.
    pub blocked: bool,
    /// Next offset to process; None until resolved from the committed offset or auto.offset.reset.
    pub position: Option<u64>,
    /// Next offset to fetch (the end of what is buffered).
    pub fetch_offset: u64,
    /// The position a fetch found out of range (below the log start after retention, or above the
    /// log end after truncation): the next fetch resets by `auto.offset.reset`, not from the commit.
    pub out_of_range: Option<u64>,
    pub fetching: bool,
    pub session: u64,
    pub buffer: VecDeque<(Rc<Batch>, u64, u64)>,
}

#[derive(Clone)]
pub struct Member {
    pub idx: u32,
    pub node: u32,
    pub alive: bool,
    /// Closed on purpose (`remove_consumer`); it does not come back.
    pub left: bool,
    /// Bumped at every restart and every fresh join after being removed: one coordinator member each.
    pub incarnation: u32,
    /// `group.instance.id`, for static members.
    pub instance_id: Option<String>,
    /// Generation of the assignment it holds (-1 before the first).
    pub generation: i32,
    /// It must send JoinGroup at its next chance (between polls).
    pub needs_join: bool,
    /// It overran `max.poll.interval.ms`: no longer a member, though its poll is still running.
    pub kicked: bool,
    /// Another consumer took its `group.instance.id`.
    pub fenced: bool,
    /// An assignment that arrived while it was busy with a poll.
    pub pending: Option<(i32, Vec<u32>)>,
    pub slow_factor: f64,
    pub rng: SimRng,
    /// Indices into `Group::parts` of the partitions assigned to this member.
    pub owned: Vec<u32>,
    /// The last assignment it received in a SyncGroup answer (generation `generation`). An eager
    /// member that revoked everything still reports it at its next JoinGroup (Kafka's sticky
    /// assignor carries it in the subscription's user data); forgotten when the member loses its
    /// partitions (restart, removal from the group).
    pub received: Vec<u32>,
    pub state: Vec<MemberPartition>,
    pub busy: bool,
    pub token: u64,
    /// The records of the poll under way: partition index, offset, record, when its processing
    /// ends, and how it ends.
    pub processing: Vec<(u32, u64, Record, SimTime, Outcome)>,
    /// The partitions' `session` when the poll began: a partition reset meanwhile keeps its new
    /// position when the poll ends.
    pub poll_sessions: Vec<(u32, u64)>,
    pub next_commit: SimTime,
    pub rr: usize,
}

#[derive(Clone)]
pub struct Group {
    pub id: String,
    pub idx: u32,
    pub topics: Vec<u32>,
    /// Global partition indices this group consumes.
    pub parts: Vec<u32>,
    pub committed: Vec<Option<u64>>,
    /// The member consuming each partition now (None: nobody, the partition is paused).
    pub owner: Vec<Option<u32>>,
    /// (topic name, partition number) of each entry of `parts`.
    pub part_names: Vec<(String, u32)>,
    pub members: Vec<Member>,
    pub processing: ProcessingSpec,
    pub cfg: ConsumerConfig,
    pub strategy: Strategy,
    pub strategy_name: &'static str,
    pub protocol: Protocol,
    // The coordinator's state.
    pub coordinator: Option<u32>,
    pub state: GroupState,
    pub generation: i32,
    pub roster: Vec<RosterEntry>,
    pub round: u64,
    pub round_started: SimTime,
    pub initial_join: bool,
    pub join_deadline: SimTime,
    pub member_seq: u32,
    pub stable_once: bool,
    pub history: Vec<Rebalance>,
    // Measured.
    /// Rebalances after the first assignment.
    pub rebalances: u64,
    pub paused_since: Vec<Option<SimTime>>,
    pub pause_total_us: SimTime,
    pub pause_max_us: SimTime,
    /// Times one of its partitions stopped being consumed because of membership.
    pub partition_pauses: u64,
    /// Records this group processed more than once (a side effect repeated).
    pub processed_twice: u64,
    pub commit_failures: u64,
    pub poll_timeouts: u64,
    /// Fetches that found their offset out of range and reset by `auto.offset.reset`, and the
    /// records jumped over that way (deleted by retention before this group read them).
    pub out_of_range_resets: u64,
    pub skipped_by_reset: u64,
    pub failures: Option<Failures>,
    pub retry_queue: VecDeque<RetryEntry>,
    /// Records that failed a try; retried (in place or from the retry topic); given up and skipped;
    /// sent to the dead-letter topic.
    pub failed_tries: u64,
    pub retried: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub blocked_events: u64,
    /// Share groups (`"group.type": "share"`) only: the share-partitions and the members' share
    /// state (`share_group.rs`). The classic coordinator's fields stay unused then.
    pub share: Option<Box<ShareState>>,
}

impl Member {
    /// The member stops: nothing it fetched or was processing counts any more.
    pub(crate) fn stop(&mut self) {
        self.alive = false;
        self.busy = false;
        self.kicked = false;
        self.pending = None;
        self.needs_join = false;
        for st in self.state.iter_mut() {
            st.session += 1;
            st.buffer.clear();
            st.fetching = false;
            st.position = None;
            st.out_of_range = None;
        }
        self.owned.clear();
        self.received.clear();
    }

    /// Forget a partition: its buffer, its in-flight fetch and its position.
    pub(crate) fn drop_partition(&mut self, pi: u32) {
        let st = &mut self.state[pi as usize];
        st.buffer.clear();
        st.session += 1;
        st.fetching = false;
        st.position = None;
        st.out_of_range = None;
        st.blocked = false;
    }
}

impl Sim {
    pub(crate) fn build_groups(&mut self) {
        let specs: Vec<GroupSpec> = self.scenario.consumer_groups.clone();
        for spec in &specs {
            self.add_group(spec);
        }
    }

    /// A consumer group starts: its members join the coordinator at once.
    pub(crate) fn add_group(&mut self, spec: &GroupSpec) {
        let gi = self.groups.len();
        let topics: Vec<u32> = spec.topics.iter().filter_map(|t| self.topics.iter().position(|x| &x.name == t).map(|i| i as u32)).collect();
        let parts: Vec<u32> = topics.iter().flat_map(|&t| self.topics[t as usize].parts.clone()).collect();
        let part_names: Vec<(String, u32)> = topics.iter().flat_map(|&t| (0..self.topics[t as usize].parts.len() as u32).map(move |p| (t, p))).map(|(t, p)| (self.topics[t as usize].name.clone(), p)).collect();
        let n = parts.len();
        let strategies: Vec<Strategy> = spec.config.partition_assignment_strategy.iter().map(|&a| strategy_of(a)).collect();
        let first = spec.config.partition_assignment_strategy.first().copied().unwrap_or(crate::scenario::AssignorName::Range);
        self.groups.push(Group {
            id: spec.group_id.clone(),
            idx: gi as u32,
            topics,
            parts,
            committed: vec![None; n],
            owner: vec![None; n],
            part_names,
            members: Vec::new(),
            processing: spec.processing_ms.clone(),
            cfg: spec.config.clone(),
            strategy: strategy_of(first),
            strategy_name: first.name(),
            protocol: protocol_for(&strategies),
            coordinator: None,
            state: GroupState::Empty,
            generation: 0,
            roster: Vec::new(),
            round: 0,
            round_started: self.now,
            initial_join: false,
            join_deadline: 0,
            member_seq: 0,
            stable_once: false,
            history: Vec::new(),
            rebalances: 0,
            paused_since: vec![None; n],
            pause_total_us: 0,
            pause_max_us: 0,
            partition_pauses: 0,
            processed_twice: 0,
            commit_failures: 0,
            poll_timeouts: 0,
            out_of_range_resets: 0,
            skipped_by_reset: 0,
            failures: spec.failures.as_ref().map(|f| Failures {
                rate: f.rate,
                poison: f.poison_keys.iter().filter_map(|k| key_index(k)).collect(),
                policy: f.policy.clone(),
                retries: f.retries,
                backoff_us: f.retry_backoff_ms * US_PER_MS,
                rng: sub_rng(&mut self.rng),
            }),
            retry_queue: VecDeque::new(),
            failed_tries: 0,
            retried: 0,
            skipped: 0,
            dead_lettered: 0,
            blocked_events: 0,
            share: (spec.group_type == GroupType::Share).then(|| Box::new(ShareState::new(&spec.config.share, n))),
        });
        self.checker.add_group();
        self.metrics.lag_max.push(0);
        let g = gi as u32;
        self.groups[gi].coordinator = self.coordinator_of(g);
        if self.now > 0 {
            let id = &self.groups[gi].id;
            self.log.push(self.now, "action", format!("Consumer group {id} starts with {} member{}.", spec.members, if spec.members == 1 { "" } else { "s" }));
        }
        for _ in 0..spec.members {
            let m = self.new_member(g);
            if self.is_share(g) {
                self.share_member_start(g, m);
            } else {
                self.member_start(g, m);
            }
        }
    }

    fn new_member(&mut self, g: u32) -> u32 {
        let rng = sub_rng(&mut self.rng);
        let group = &mut self.groups[g as usize];
        let idx = group.members.len() as u32;
        let n = group.parts.len();
        let interval = group.cfg.auto_commit_interval_ms * US_PER_MS;
        let instance_id = group.cfg.group_instance_id.as_ref().and_then(|ids| ids.of(idx));
        group.members.push(Member {
            idx,
            node: MEMBER_NODE_BASE + g * 4096 + idx,
            alive: true,
            left: false,
            incarnation: 0,
            instance_id,
            generation: -1,
            needs_join: false,
            kicked: false,
            fenced: false,
            pending: None,
            slow_factor: 1.0,
            rng,
            owned: Vec::new(),
            received: Vec::new(),
            state: (0..n).map(|_| MemberPartition::default()).collect(),
            busy: false,
            token: 0,
            processing: Vec::new(),
            poll_sessions: Vec::new(),
            next_commit: self.now + interval,
            rr: 0,
        });
        idx
    }

    /// Send a fetch for every owned partition that has nothing buffered and nothing in flight.
    pub(crate) fn ensure_fetches(&mut self, g: u32, m: u32) {
        // By index: sending a fetch never changes the assignment, and a clone would allocate.
        let n = self.groups[g as usize].members[m as usize].owned.len();
        for k in 0..n {
            let pi = self.groups[g as usize].members[m as usize].owned[k];
            let st = &self.groups[g as usize].members[m as usize].state[pi as usize];
            if !st.fetching && st.buffer.is_empty() {
                self.send_consumer_fetch(g, m, pi);
            }
        }
    }

    fn send_consumer_fetch(&mut self, g: u32, m: u32, pi: u32) {
        let gi = g as usize;
        let tp = self.groups[gi].parts[pi as usize];
        let backoff = self.groups[gi].cfg.retry_backoff_ms * US_PER_MS;
        let timeout = self.groups[gi].cfg.request_timeout_ms * US_PER_MS;
        let Some(leader) = self.parts[tp as usize].leader else {
            let session = self.groups[gi].members[m as usize].state[pi as usize].session;
            self.groups[gi].members[m as usize].state[pi as usize].fetching = true;
            self.at(self.now + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        };
        // Resolve the position from the committed offset or auto.offset.reset (a ListOffsets call).
        if self.groups[gi].members[m as usize].state[pi as usize].position.is_none() {
            if self.groups[gi].members[m as usize].state[pi as usize].blocked {
                // Stopped for want of an offset (below); a reset_offsets starts it again.
                return;
            }
            let committed = self.groups[gi].committed[pi as usize];
            let out_of_range = self.groups[gi].members[m as usize].state[pi as usize].out_of_range;
            let pos = match (out_of_range, committed) {
                (None, Some(c)) => Some(c),
                _ => self.reset_position(g, tp, leader),
            };
            let Some(pos) = pos else {
                // auto.offset.reset=none: the application gets OffsetOutOfRangeException (or
                // NoOffsetForPartitionException) and this partition goes no further until someone
                // resets the group's offsets.
                let name = self.groups[gi].id.clone();
                let tpn = self.tp_name(tp);
                let why = match out_of_range {
                    Some(old) => format!("offset {old} of {tpn} is out of range"),
                    None => format!("{tpn} has no committed offset"),
                };
                self.log.push(self.now, "group", format!("Group {name}: {why} and auto.offset.reset is none; the partition stops until its offsets are reset."));
                let st = &mut self.groups[gi].members[m as usize].state[pi as usize];
                st.blocked = true;
                st.out_of_range = None;
                return;
            };
            if let Some(old) = out_of_range {
                let group = &mut self.groups[gi];
                group.out_of_range_resets += 1;
                group.skipped_by_reset += pos.saturating_sub(old);
            }
            let st = &mut self.groups[gi].members[m as usize].state[pi as usize];
            st.position = Some(pos);
            st.fetch_offset = pos;
            st.out_of_range = None;
        }
        let member = &mut self.groups[gi].members[m as usize];
        let node = member.node;
        let st = &mut member.state[pi as usize];
        st.fetching = true;
        let (offset, session) = (st.fetch_offset, st.session);
        if !self.brokers[leader as usize].up {
            self.at(self.now + 2 * self.net.latency(Node::Client(node), Node::Broker(leader)) + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        }
        match self.net.transit(self.now, Node::Client(node), Node::Broker(leader)) {
            Some(t) if self.deliver_now(t, KIND_CONSUMER_FETCH, fetch_subject(tp, offset)) => {
                self.on_consumer_fetch(leader, tp, g, m, offset, session);
                self.delivered();
            }
            Some(t) => self.at(t, Event::ConsumerFetch { broker: leader, tp, group: g, member: m, offset, session }),
            None => self.at(self.now + timeout, Event::ConsumerFetchRetry { group: g, member: m, tp, session }),
        }
    }

    fn reset_position(&mut self, g: u32, tp: u32, leader: u32) -> Option<u64> {
        let li = self.replica_of(tp, leader)?;
        let r = &self.replicas[li];
        match self.groups[g as usize].cfg.auto_offset_reset {
            OffsetReset::Earliest => Some(r.log.log_start_offset),
            OffsetReset::Latest => Some(r.high_watermark),
            OffsetReset::None => None,
        }
    }

    pub(crate) fn part_index(&self, g: u32, tp: u32) -> Option<u32> {
        self.groups[g as usize].parts.iter().position(|&x| x == tp).map(|i| i as u32)
    }

    pub(crate) fn on_consumer_fetch_retry(&mut self, g: u32, m: u32, tp: u32, session: u64) {
        if self.is_share(g) {
            return self.on_share_fetch_retry(g, m, tp, session);
        }
        let Some(pi) = self.part_index(g, tp) else { return };
        let owner = self.groups[g as usize].owner[pi as usize];
        let member = &mut self.groups[g as usize].members[m as usize];
        if !member.alive || member.state[pi as usize].session != session || owner != Some(m) {
            return;
        }
        member.state[pi as usize].fetching = false;
        if member.state[pi as usize].buffer.is_empty() {
            self.send_consumer_fetch(g, m, pi);
        }
    }

    pub(crate) fn on_consumer_fetch_response(&mut self, g: u32, m: u32, tp: u32, session: u64, result: FetchResult) {
        if self.is_share(g) {
            return self.on_share_fetch_response(g, m, tp, session, result);
        }
        let Some(pi) = self.part_index(g, tp) else { return };
        let backoff = self.groups[g as usize].cfg.retry_backoff_ms * US_PER_MS;
        let member = &mut self.groups[g as usize].members[m as usize];
        let st = &mut member.state[pi as usize];
        if !member.alive || st.session != session {
            return;
        }
        st.fetching = false;
        match result {
            FetchResult::Records { mut batches, upto, .. } => {
                let from = st.fetch_offset;
                let mut end = from;
                for b in batches.drain(..) {
                    let last = b.last_offset();
                    if last < from || b.base_offset >= upto {
                        continue;
                    }
                    end = end.max((last + 1).min(upto));
                    st.buffer.push_back((b, from, upto));
                }
                recycle_batch_vec(&mut self.batch_vecs, batches);
                st.fetch_offset = end;
                if st.buffer.is_empty() {
                    self.send_consumer_fetch(g, m, pi);
                } else {
                    self.start_poll(g, m);
                }
            }
            FetchResult::Error(KafkaError::OffsetOutOfRange) => {
                st.out_of_range = Some(st.fetch_offset);
                st.position = None;
                st.buffer.clear();
                let name = self.groups[g as usize].id.clone();
                let tpn = self.tp_name(tp);
                self.log.push(self.now, "group", format!("Group {name}: offset out of range on {tpn}; auto.offset.reset applies."));
                self.send_consumer_fetch(g, m, pi);
            }
            FetchResult::Error(_) | FetchResult::Diverging { .. } => {
                st.fetching = true;
                self.at(self.now + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            }
        }
    }

    /// Take up to max.poll.records buffered records and process them one after another.
    pub(crate) fn start_poll(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let max = self.groups[gi].cfg.max_poll_records as usize;
        let spec = self.groups[gi].processing.clone();
        let group = &mut self.groups[gi];
        let member = &mut group.members[m as usize];
        if member.busy || !member.alive || member.kicked || member.fenced {
            return;
        }
        let mut t = self.now;
        let slow = member.slow_factor;
        // Constant processing time is the same for every record of the poll: round it once.
        let (constant_us, mean_ms) = match spec {
            ProcessingSpec::Constant { mean } => (Some(ms_to_us(mean * slow)), mean),
            ProcessingSpec::Exponential { mean } => (None, mean),
        };
        let mut out = std::mem::take(&mut member.processing);
        out.clear();
        let n_owned = member.owned.len();
        let mut stopped: Vec<(u32, u64, Record)> = Vec::new();
        for k in 0..n_owned {
            if out.len() >= max {
                break;
            }
            let pi = member.owned[(member.rr + k) % n_owned] as usize;
            let st = &mut member.state[pi];
            if st.blocked {
                continue;
            }
            let Some(mut pos) = st.position else { continue };
            'partition: while out.len() < max {
                let Some((b, _, upto)) = st.buffer.front() else { break };
                let mut i = b.index_from(pos);
                while i < b.len() && out.len() < max {
                    let off = b.offset_at(i);
                    if off >= *upto {
                        break;
                    }
                    let draw = |rng: &mut SimRng| match constant_us {
                        Some(dt) => dt,
                        None => exp_us(rng, mean_ms * slow * 1000.0),
                    };
                    t += draw(&mut member.rng);
                    let rec = b.record(i);
                    let mut outcome = Outcome::Done;
                    if let Some(f) = group.failures.as_mut() {
                        let fails = |f: &mut Failures| f.poison.contains(&rec.key) || (f.rate > 0.0 && unit(&mut f.rng) < f.rate);
                        if fails(f) {
                            group.failed_tries += 1;
                            outcome = match f.policy {
                                FailurePolicy::Retry => {
                                    // Retry in place: the partition waits for each backoff and try.
                                    let mut ok = false;
                                    for _ in 0..f.retries {
                                        group.retried += 1;
                                        t += f.backoff_us + draw(&mut member.rng);
                                        if !fails(f) {
                                            ok = true;
                                            break;
                                        }
                                        group.failed_tries += 1;
                                    }
                                    if ok {
                                        Outcome::Done
                                    } else {
                                        Outcome::Skipped
                                    }
                                }
                                FailurePolicy::Skip => Outcome::Skipped,
                                FailurePolicy::DeadLetter => Outcome::ToRetryTopic,
                                FailurePolicy::Stop => {
                                    st.blocked = true;
                                    stopped.push((pi as u32, off, rec));
                                    break 'partition;
                                }
                            };
                        }
                    }
                    out.push((pi as u32, off, rec, t, outcome));
                    pos = off + 1;
                    i += 1;
                }
                // The batch is used up when every record was taken or the rest lie beyond `upto`.
                if i >= b.len() || b.offset_at(i) >= *upto {
                    st.buffer.pop_front();
                } else {
                    break;
                }
            }
            st.position = Some(pos);
        }
        group.blocked_events += stopped.len() as u64;
        member.rr = member.rr.wrapping_add(1);
        for (pi, off, rec) in stopped {
            let id = self.groups[gi].id.clone();
            let (t, p) = self.groups[gi].part_names[pi as usize].clone();
            let key = if rec.key == super::log::NULL_KEY { "null".into() } else { key_name(rec.key) };
            self.log.push(self.now, "group", format!("Group {id}: the record at {t}-{p} offset {off} (key {key}) failed; the policy stops the partition until its offsets are reset."));
        }
        let member = &mut self.groups[gi].members[m as usize];
        if out.is_empty() {
            member.processing = out;
            self.ensure_fetches(g, m);
            return;
        }
        // The positions above are where the member will be once done; restore them until then so a
        // crash mid-poll redelivers what was not finished.
        for &(pi, off, _, _, _) in out.iter().rev() {
            member.state[pi as usize].position = Some(off);
        }
        member.poll_sessions.clear();
        for &(pi, ..) in out.iter() {
            if member.poll_sessions.last().is_none_or(|&(p, _)| p != pi) {
                member.poll_sessions.push((pi, member.state[pi as usize].session));
            }
        }
        member.busy = true;
        member.token += 1;
        let token = member.token;
        member.processing = out;
        self.at(t, Event::ConsumerBatchDone { group: g, member: m, token });
        let limit = self.groups[gi].cfg.max_poll_interval_ms * US_PER_MS;
        if t - self.now > limit {
            self.at(self.now + limit, Event::PollTimeout { group: g, member: m, token });
        }
        // Prefetch: partitions with nothing buffered fetch while this poll is processed.
        self.ensure_fetches(g, m);
    }

    /// The records of the current poll whose processing ended by `until` had their side effects:
    /// count them (a record a group processes again is a duplicate side effect).
    fn finish_records(&mut self, g: u32, m: u32, until: SimTime) {
        let gi = g as usize;
        let done = std::mem::take(&mut self.groups[gi].members[m as usize].processing);
        for &(pi, off, rec, t_done, outcome) in &done {
            if t_done > until {
                break;
            }
            match outcome {
                Outcome::Done => {
                    if !self.checker.on_processed(g, rec.id, rec.key) {
                        self.groups[gi].processed_twice += 1;
                    }
                    self.metrics.delivered += 1;
                    self.metrics.e2e_latency(t_done.saturating_sub(rec.ts_us));
                }
                Outcome::Skipped => {
                    self.checker.on_consume(g, rec.id);
                    self.groups[gi].skipped += 1;
                }
                Outcome::ToRetryTopic => {
                    let backoff = self.groups[gi].failures.as_ref().map(|f| f.backoff_us).unwrap_or(0);
                    let due = t_done + backoff;
                    let was_empty = self.groups[gi].retry_queue.is_empty();
                    self.groups[gi].retry_queue.push_back(RetryEntry { due, record: rec, attempt: 1 });
                    if was_empty {
                        self.at(due.max(self.now), Event::RetryTopicDue { group: g });
                    }
                }
            }
            let member = &mut self.groups[gi].members[m as usize];
            let unchanged = member.poll_sessions.iter().any(|&(p, s)| p == pi && s == member.state[pi as usize].session);
            let st = &mut member.state[pi as usize];
            if unchanged && st.position.is_some_and(|p| p <= off) {
                st.position = Some(off + 1);
            }
        }
        self.groups[gi].members[m as usize].processing = done;
    }

    pub(crate) fn on_consumer_batch_done(&mut self, g: u32, m: u32, token: u64) {
        if self.is_share(g) {
            return self.on_share_batch_done(g, m, token);
        }
        let gi = g as usize;
        let member = &mut self.groups[gi].members[m as usize];
        if !member.alive || member.token != token || !member.busy {
            return;
        }
        member.busy = false;
        self.finish_records(g, m, SimTime::MAX);
        let cfg = &self.groups[gi].cfg;
        let interval = cfg.auto_commit_interval_ms * US_PER_MS;
        if !cfg.enable_auto_commit {
            self.commit(g, m);
        } else if self.now >= self.groups[gi].members[m as usize].next_commit {
            self.commit(g, m);
            self.groups[gi].members[m as usize].next_commit = self.now + interval;
        }
        self.member_between_polls(g, m);
        self.start_poll(g, m);
    }

    /// The consumer process dies: what it processed so far happened, nothing more is committed, and
    /// the coordinator notices only when its session times out.
    pub(crate) fn crash_consumer(&mut self, g: u32, m: u32) {
        if self.is_share(g) {
            return self.share_crash(g, m);
        }
        let Some(member) = self.groups.get(g as usize).and_then(|gr| gr.members.get(m as usize)) else { return };
        if !member.alive {
            return;
        }
        if member.busy {
            self.finish_records(g, m, self.now);
        }
        let member = &mut self.groups[g as usize].members[m as usize];
        member.stop();
        let id = self.groups[g as usize].id.clone();
        let timeout = self.groups[g as usize].cfg.session_timeout_ms;
        self.log.push(self.now, "fault", format!("Consumer {m} of group {id} crashed; its partitions stop until its session times out ({} s).", timeout / 1000));
        self.refresh_owners(g);
    }

    pub(crate) fn restart_consumer(&mut self, g: u32, m: u32) {
        if self.is_share(g) {
            return self.share_restart(g, m);
        }
        let Some(member) = self.groups.get_mut(g as usize).and_then(|gr| gr.members.get_mut(m as usize)) else { return };
        if member.alive {
            return;
        }
        member.alive = true;
        member.left = false;
        member.fenced = false;
        member.incarnation += 1;
        member.generation = -1;
        let kind = match &member.instance_id {
            Some(iid) => format!("static member {iid}"),
            None => "a new dynamic member".into(),
        };
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} of group {id} restarted and rejoins as {kind}."));
        self.member_start(g, m);
    }

    pub(crate) fn add_consumer(&mut self, g: u32) {
        let m = self.new_member(g);
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} joined group {id}."));
        if self.is_share(g) {
            self.share_member_start(g, m);
        } else {
            self.member_start(g, m);
        }
    }

    /// The consumer closes: it commits (with auto-commit) and, if dynamic, sends LeaveGroup.
    pub(crate) fn remove_consumer(&mut self, g: u32, m: u32) {
        if self.is_share(g) {
            return self.share_remove(g, m);
        }
        let Some(member) = self.groups.get(g as usize).and_then(|gr| gr.members.get(m as usize)) else { return };
        if !member.alive {
            return;
        }
        if member.busy {
            self.finish_records(g, m, self.now);
        }
        if self.groups[g as usize].cfg.enable_auto_commit {
            self.commit(g, m);
        }
        let stat = self.groups[g as usize].members[m as usize].instance_id.is_some();
        self.leave_group(g, m, "closed");
        let member = &mut self.groups[g as usize].members[m as usize];
        member.stop();
        member.left = true;
        let id = self.groups[g as usize].id.clone();
        let how = if stat { "static members send no LeaveGroup: the coordinator waits for its session to time out" } else { "LeaveGroup" };
        self.log.push(self.now, "action", format!("Consumer {m} left group {id} ({how})."));
        self.refresh_owners(g);
    }

    /// Lag of a group: (sum, max) over its partitions of the leader's HW minus the consumer position
    /// (or committed offset when no member holds the partition).
    pub fn group_lag(&self, g: &Group) -> (u64, u64) {
        let mut sum = 0;
        let mut max = 0;
        for (pi, &tp) in g.parts.iter().enumerate() {
            let m = &self.parts[tp as usize];
            let hw = match m.leader.and_then(|l| self.replica_of(tp, l)) {
                Some(li) => self.replicas[li].high_watermark,
                None => m.replicas.iter().filter_map(|&b| self.replica_of(tp, b)).map(|ri| self.replicas[ri].high_watermark).max().unwrap_or(0),
            };
            let pos = g.owner[pi].and_then(|o| g.members[o as usize].state[pi].position).or(g.committed[pi]).unwrap_or(0);
            let lag = hw.saturating_sub(pos);
            sum += lag;
            max = max.max(lag);
        }
        (sum, max)
    }

    /// `kafka-consumer-groups --reset-offsets`: new committed offsets for the chosen partitions. The
    /// real tool needs the group inactive; here the consumers holding those partitions seek to the
    /// new offsets at once, as if they had been stopped for the reset and started again.
    pub(crate) fn reset_offsets(&mut self, g: u32, topic: Option<&str>, partition: Option<u32>, to: &ResetTo) {
        let gi = g as usize;
        let now = self.now;
        if self.is_share(g) {
            let id = self.groups[gi].id.clone();
            self.log.push(now, "error", format!("Ignored reset_offsets: {id} is a share group (kafka-share-groups --reset-offsets, which needs the group empty, is not simulated)."));
            return;
        }
        let mut moved = Vec::new();
        for pi in 0..self.groups[gi].parts.len() {
            let (t, p) = self.groups[gi].part_names[pi].clone();
            if topic.is_some_and(|x| x != t) || partition.is_some_and(|x| x != p) {
                continue;
            }
            let tp = self.groups[gi].parts[pi];
            let meta = &self.parts[tp as usize];
            // The leader answers ListOffsets; without one, the most advanced replica stands in.
            let ri = match meta.leader.and_then(|l| self.replica_of(tp, l)) {
                Some(ri) => ri,
                None => match meta.replicas.iter().filter_map(|&b| self.replica_of(tp, b)).max_by_key(|&ri| self.replicas[ri].high_watermark) {
                    Some(ri) => ri,
                    None => continue,
                },
            };
            let r = &self.replicas[ri];
            let (start, hw) = (r.log.log_start_offset, r.high_watermark);
            let current = self.groups[gi].committed[pi];
            let clamp = |x: i128| x.clamp(start as i128, hw as i128) as u64;
            let at_time = |ts: SimTime| r.log.offset_for_time(ts, start, hw).unwrap_or(hw);
            let target = match to {
                ResetTo::Earliest => start,
                ResetTo::Latest => hw,
                ResetTo::Current => match current {
                    Some(c) => clamp(c as i128),
                    None => continue,
                },
                ResetTo::Offset { offset } => clamp(*offset as i128),
                ResetTo::ShiftBy { shift } => clamp(current.unwrap_or(start) as i128 + *shift as i128),
                ResetTo::Datetime { datetime_ms } => at_time(datetime_ms * US_PER_MS),
                ResetTo::Duration { duration_ms } => at_time(now.saturating_sub(duration_ms * US_PER_MS)),
            };
            moved.push((pi, t, p, current, target));
        }
        let id = self.groups[gi].id.clone();
        if moved.is_empty() {
            self.log.push(now, "error", format!("Ignored reset_offsets: group {id} has no such partition."));
            return;
        }
        let desc: Vec<String> = moved.iter().take(6).map(|(_, t, p, old, new)| format!("{t}-{p}: {} → {new}", old.map(|o| o.to_string()).unwrap_or_else(|| "none".into()))).collect();
        let more = if moved.len() > 6 { format!(" and {} more", moved.len() - 6) } else { String::new() };
        self.log.push(now, "action", format!("Group {id}: offsets reset ({}) — {}{more}.", reset_name(to), desc.join(", ")));
        for (pi, _, _, _, target) in moved {
            self.groups[gi].committed[pi] = Some(target);
            if let Some(o) = self.groups[gi].owner[pi] {
                let member = &mut self.groups[gi].members[o as usize];
                member.drop_partition(pi as u32);
                // Records of the current poll beyond the new offset are still processed (the poll
                // is already under way); the position is set again when the poll ends.
                member.state[pi].position = Some(target);
                member.state[pi].fetch_offset = target;
                if !member.busy {
                    self.ensure_fetches(g, o);
                }
            }
        }
    }
}

/// The `kafka-consumer-groups` option for a reset.
fn reset_name(to: &ResetTo) -> String {
    match to {
        ResetTo::Earliest => "--to-earliest".into(),
        ResetTo::Latest => "--to-latest".into(),
        ResetTo::Current => "--to-current".into(),
        ResetTo::Offset { offset } => format!("--to-offset {offset}"),
        ResetTo::ShiftBy { shift } => format!("--shift-by {shift}"),
        ResetTo::Datetime { datetime_ms } => format!("--to-datetime at {:.3} s", *datetime_ms as f64 / 1000.0),
        ResetTo::Duration { duration_ms } => format!("--by-duration {:.3} s", *duration_ms as f64 / 1000.0),
    }
}

/// The key index of a key name (`key-17` → 17; `hot` is key 0, the hot key of a `hot` distribution).
fn key_index(name: &str) -> Option<u32> {
    if name == "hot" {
        return Some(0);
    }
    name.strip_prefix("key-")?.parse().ok()
}

impl Sim {
    /// The group's retry topic: records due are tried again; after the last retry they go to the
    /// dead-letter topic. It is consumed apart from the main topic, so the partitions keep flowing.
    pub(crate) fn on_retry_topic_due(&mut self, g: u32) {
        let gi = g as usize;
        let now = self.now;
        while self.groups[gi].retry_queue.front().is_some_and(|e| e.due <= now) {
            let Some(e) = self.groups[gi].retry_queue.pop_front() else { break };
            let group = &mut self.groups[gi];
            let Some(f) = group.failures.as_mut() else { continue };
            group.retried += 1;
            let fails = f.poison.contains(&e.record.key) || (f.rate > 0.0 && unit(&mut f.rng) < f.rate);
            if !fails {
                if !self.checker.on_processed(g, e.record.id, e.record.key) {
                    self.groups[gi].processed_twice += 1;
                }
                self.metrics.delivered += 1;
                self.metrics.e2e_latency(now.saturating_sub(e.record.ts_us));
                continue;
            }
            group.failed_tries += 1;
            if e.attempt < f.retries {
                let due = now + f.backoff_us;
                group.retry_queue.push_back(RetryEntry { due, record: e.record, attempt: e.attempt + 1 });
                continue;
            }
            group.dead_lettered += 1;
            self.checker.on_consume(g, e.record.id);
            if group.dead_lettered <= 10 {
                let id = group.id.clone();
                let key = if e.record.key == super::log::NULL_KEY { "null".into() } else { key_name(e.record.key) };
                self.log.push(now, "group", format!("Group {id}: a record with key {key} failed {} times and went to the dead-letter topic.", e.attempt + 1));
            }
        }
        if let Some(next) = self.groups[gi].retry_queue.front().map(|e| e.due) {
            self.at(next.max(now), Event::RetryTopicDue { group: g });
        }
    }
}
