//! Consumer groups: members fetch from partition leaders (below the high watermark, long-polling
//! with `fetch.max.wait.ms`), process records one after another (constant or exponential time,
//! computed per record without an event each), and commit offsets (auto-commit every
//! `auto.commit.interval.ms`, or after each poll). Until the group coordinator lands, partitions are
//! assigned with Kafka's range assignor over the live members and reassigned on every membership
//! change; a crashed member is noticed after the 45 s default `session.timeout.ms`.

use std::collections::VecDeque;
use std::rc::Rc;

use super::cluster::{recycle_batch_vec, Node};
use super::kernel::{exp_us, ms_to_us, sub_rng, SimRng, SimTime, US_PER_MS};
use super::log::{Batch, Record};
use super::sim::{Event, FetchResult, KafkaError, Sim};
use crate::scenario::{ConsumerConfig, GroupSpec, OffsetReset, ProcessingSpec};

/// Kafka's default `session.timeout.ms` (45 s).
pub const SESSION_TIMEOUT_US: SimTime = 45_000 * US_PER_MS;
/// Client node ids for consumer members start here (producers use 0..).
const MEMBER_NODE_BASE: u32 = 1 << 20;

#[derive(Default)]
pub struct MemberPartition {
    /// Next offset to process; None until resolved from the committed offset or auto.offset.reset.
    pub position: Option<u64>,
    /// Next offset to fetch (the end of what is buffered).
    pub fetch_offset: u64,
    pub fetching: bool,
    pub session: u64,
    pub buffer: VecDeque<(Rc<Batch>, u64, u64)>,
}

pub struct Member {
    pub idx: u32,
    pub node: u32,
    pub alive: bool,
    pub left: bool,
    pub incarnation: u32,
    pub slow_factor: f64,
    pub rng: SimRng,
    /// Indices into `Group::parts` of the partitions assigned to this member.
    pub owned: Vec<u32>,
    pub state: Vec<MemberPartition>,
    pub busy: bool,
    pub token: u64,
    pub processing: Vec<(u32, u64, Record, SimTime)>,
    pub next_commit: SimTime,
    pub rr: usize,
}

pub struct Group {
    pub id: String,
    pub idx: u32,
    pub topics: Vec<u32>,
    /// Global partition indices this group consumes.
    pub parts: Vec<u32>,
    pub committed: Vec<Option<u64>>,
    pub owner: Vec<Option<u32>>,
    pub members: Vec<Member>,
    pub processing: ProcessingSpec,
    pub cfg: ConsumerConfig,
    pub rebalances: u64,
}

impl Member {
    /// The member stops: nothing it fetched or was processing counts any more.
    fn stop(&mut self) {
        self.alive = false;
        self.busy = false;
        for st in self.state.iter_mut() {
            st.session += 1;
            st.buffer.clear();
            st.fetching = false;
        }
    }
}

impl Sim {
    pub(crate) fn build_groups(&mut self) {
        let specs: Vec<GroupSpec> = self.scenario.consumer_groups.clone();
        for (gi, spec) in specs.iter().enumerate() {
            let topics: Vec<u32> = spec.topics.iter().filter_map(|t| self.topics.iter().position(|x| &x.name == t).map(|i| i as u32)).collect();
            let parts: Vec<u32> = topics.iter().flat_map(|&t| self.topics[t as usize].parts.clone()).collect();
            let n = parts.len();
            self.groups.push(Group {
                id: spec.group_id.clone(),
                idx: gi as u32,
                topics,
                parts,
                committed: vec![None; n],
                owner: vec![None; n],
                members: Vec::new(),
                processing: spec.processing_ms.clone(),
                cfg: spec.config.clone(),
                rebalances: 0,
            });
            self.checker.add_group();
            for _ in 0..spec.members {
                self.new_member(gi as u32);
            }
            self.reassign(gi as u32, false);
        }
    }

    fn new_member(&mut self, g: u32) -> u32 {
        let rng = sub_rng(&mut self.rng);
        let group = &mut self.groups[g as usize];
        let idx = group.members.len() as u32;
        let n = group.parts.len();
        let interval = group.cfg.auto_commit_interval_ms * US_PER_MS;
        group.members.push(Member {
            idx,
            node: MEMBER_NODE_BASE + g * 4096 + idx,
            alive: true,
            left: false,
            incarnation: 0,
            slow_factor: 1.0,
            rng,
            owned: Vec::new(),
            state: (0..n).map(|_| MemberPartition::default()).collect(),
            busy: false,
            token: 0,
            processing: Vec::new(),
            next_commit: self.now + interval,
            rr: 0,
        });
        idx
    }

    /// Range assignment over the live members, per topic, in member order; moved partitions restart
    /// from the committed offset on their new owner.
    pub(crate) fn reassign(&mut self, g: u32, count_rebalance: bool) {
        let gi = g as usize;
        // Members that stay commit what they processed before giving partitions up (eager protocol).
        if self.groups[gi].cfg.enable_auto_commit {
            for m in 0..self.groups[gi].members.len() {
                if self.groups[gi].members[m].alive {
                    self.commit(g, m as u32);
                }
            }
        }
        let live: Vec<u32> = self.groups[gi].members.iter().filter(|m| m.alive).map(|m| m.idx).collect();
        let mut new_owner: Vec<Option<u32>> = vec![None; self.groups[gi].parts.len()];
        if !live.is_empty() {
            let mut offset = 0usize;
            for &t in &self.groups[gi].topics.clone() {
                let n = self.topics[t as usize].parts.len();
                let c = live.len();
                let (per, extra) = (n / c, n % c);
                let mut p = 0usize;
                for (i, &m) in live.iter().enumerate() {
                    let take = per + usize::from(i < extra);
                    for _ in 0..take {
                        new_owner[offset + p] = Some(m);
                        p += 1;
                    }
                }
                offset += n;
            }
        }
        let group = &mut self.groups[gi];
        for (pi, owner) in new_owner.iter().enumerate() {
            if group.owner[pi] != *owner {
                if let Some(old) = group.owner[pi] {
                    let st = &mut group.members[old as usize].state[pi];
                    st.buffer.clear();
                    st.session += 1;
                    st.fetching = false;
                    st.position = None;
                }
                if let Some(new) = owner {
                    let st = &mut group.members[*new as usize].state[pi];
                    st.position = None;
                    st.buffer.clear();
                    st.session += 1;
                    st.fetching = false;
                }
            }
        }
        group.owner = new_owner;
        for m in group.members.iter_mut() {
            m.owned.clear();
        }
        for (pi, owner) in group.owner.iter().enumerate() {
            if let Some(o) = owner {
                group.members[*o as usize].owned.push(pi as u32);
            }
        }
        if count_rebalance {
            group.rebalances += 1;
            let id = group.id.clone();
            self.log.push(self.now, "group", format!("Group {id} rebalanced: {} live members share {} partitions (range).", live.len(), self.groups[gi].parts.len()));
        }
        for m in live {
            self.ensure_fetches(g, m);
        }
    }

    fn commit(&mut self, g: u32, m: u32) {
        let group = &mut self.groups[g as usize];
        let member = &group.members[m as usize];
        for &pi in &member.owned {
            if let Some(pos) = member.state[pi as usize].position {
                group.committed[pi as usize] = Some(pos);
            }
        }
    }

    /// Send a fetch for every owned partition that has nothing buffered and nothing in flight.
    fn ensure_fetches(&mut self, g: u32, m: u32) {
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
            let committed = self.groups[gi].committed[pi as usize];
            let pos = match committed {
                Some(c) => Some(c),
                None => self.reset_position(g, tp, leader),
            };
            let Some(pos) = pos else { return };
            let st = &mut self.groups[gi].members[m as usize].state[pi as usize];
            st.position = Some(pos);
            st.fetch_offset = pos;
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

    fn part_index(&self, g: u32, tp: u32) -> Option<u32> {
        self.groups[g as usize].parts.iter().position(|&x| x == tp).map(|i| i as u32)
    }

    pub(crate) fn on_consumer_fetch_retry(&mut self, g: u32, m: u32, tp: u32, session: u64) {
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
                    if b.last_offset < from || b.base_offset >= upto {
                        continue;
                    }
                    end = end.max((b.last_offset + 1).min(upto));
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
                st.position = None;
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
    fn start_poll(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let max = self.groups[gi].cfg.max_poll_records as usize;
        let spec = self.groups[gi].processing.clone();
        let group = &mut self.groups[gi];
        let member = &mut group.members[m as usize];
        if member.busy || !member.alive {
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
        for k in 0..n_owned {
            if out.len() >= max {
                break;
            }
            let pi = member.owned[(member.rr + k) % n_owned] as usize;
            let st = &mut member.state[pi];
            let Some(mut pos) = st.position else { continue };
            while out.len() < max {
                let Some((b, _, upto)) = st.buffer.front() else { break };
                let mut i = b.index_from(pos);
                while i < b.len() && out.len() < max {
                    let off = b.offset_at(i);
                    if off >= *upto {
                        break;
                    }
                    let dt = match constant_us {
                        Some(dt) => dt,
                        None => exp_us(&mut member.rng, mean_ms * slow * 1000.0),
                    };
                    t += dt;
                    out.push((pi as u32, off, b.record(i), t));
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
        member.rr = member.rr.wrapping_add(1);
        if out.is_empty() {
            member.processing = out;
            self.ensure_fetches(g, m);
            return;
        }
        // The positions above are where the member will be once done; restore them until then so a
        // crash mid-poll redelivers what was not finished.
        for &(pi, off, _, _) in out.iter().rev() {
            member.state[pi as usize].position = Some(off);
        }
        member.busy = true;
        member.token += 1;
        let token = member.token;
        member.processing = out;
        self.at(t, Event::ConsumerBatchDone { group: g, member: m, token });
        // Prefetch: partitions with nothing buffered fetch while this poll is processed.
        self.ensure_fetches(g, m);
    }

    pub(crate) fn on_consumer_batch_done(&mut self, g: u32, m: u32, token: u64) {
        let gi = g as usize;
        let member = &mut self.groups[gi].members[m as usize];
        if !member.alive || member.token != token || !member.busy {
            return;
        }
        member.busy = false;
        let done = std::mem::take(&mut member.processing);
        for &(pi, off, rec, t_done) in &done {
            let owner_ok = self.groups[gi].owner[pi as usize] == Some(m);
            if !owner_ok {
                continue;
            }
            self.checker.on_consume(g, rec.id);
            self.metrics.delivered += 1;
            self.metrics.e2e_latency(t_done.saturating_sub(rec.ts_us));
            let st = &mut self.groups[gi].members[m as usize].state[pi as usize];
            if st.position.is_some_and(|p| p <= off) {
                st.position = Some(off + 1);
            }
        }
        self.groups[gi].members[m as usize].processing = done;
        let cfg = &self.groups[gi].cfg;
        let interval = cfg.auto_commit_interval_ms * US_PER_MS;
        if !cfg.enable_auto_commit {
            self.commit(g, m);
        } else if self.now >= self.groups[gi].members[m as usize].next_commit {
            self.commit(g, m);
            self.groups[gi].members[m as usize].next_commit = self.now + interval;
        }
        self.start_poll(g, m);
    }

    pub(crate) fn on_group_session_expired(&mut self, g: u32, m: u32, incarnation: u32) {
        let member = &self.groups[g as usize].members[m as usize];
        if member.alive || member.incarnation != incarnation || member.left {
            return;
        }
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "group", format!("Group {id}: member {m} missed session.timeout.ms; the coordinator removed it."));
        self.reassign(g, true);
    }

    pub(crate) fn crash_consumer(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get_mut(g as usize).and_then(|gr| gr.members.get_mut(m as usize)) else { return };
        if !member.alive {
            return;
        }
        member.stop();
        member.incarnation += 1;
        let inc = member.incarnation;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "fault", format!("Consumer {m} of group {id} crashed; its partitions stop until the session times out."));
        self.at(self.now + SESSION_TIMEOUT_US, Event::GroupSessionExpired { group: g, member: m, incarnation: inc });
    }

    pub(crate) fn restart_consumer(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get_mut(g as usize).and_then(|gr| gr.members.get_mut(m as usize)) else { return };
        if member.alive {
            return;
        }
        member.alive = true;
        member.left = false;
        member.incarnation += 1;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} of group {id} restarted and rejoins."));
        self.reassign(g, true);
    }

    pub(crate) fn add_consumer(&mut self, g: u32) {
        let m = self.new_member(g);
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} joined group {id}."));
        self.reassign(g, true);
    }

    pub(crate) fn remove_consumer(&mut self, g: u32, m: u32) {
        let Some(member) = self.groups.get(g as usize).and_then(|gr| gr.members.get(m as usize)) else { return };
        if !member.alive {
            return;
        }
        if self.groups[g as usize].cfg.enable_auto_commit {
            self.commit(g, m);
        }
        let member = &mut self.groups[g as usize].members[m as usize];
        member.stop();
        member.left = true;
        let id = self.groups[g as usize].id.clone();
        self.log.push(self.now, "action", format!("Consumer {m} left group {id} (LeaveGroup)."));
        self.reassign(g, true);
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

    pub(crate) fn reset_offsets(&mut self, _g: u32, _topic: Option<&str>, _partition: Option<u32>, _to: &crate::scenario::ResetTo) {
        todo!()
    }

    pub(crate) fn add_group(&mut self, _spec: &GroupSpec) {
        todo!()
    }
}
