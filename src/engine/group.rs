//! The group coordinator and the membership side of Kafka's classic consumer group protocol.
//!
//! - The coordinator is a broker: Kafka hashes the group id (Java's `String.hashCode`) onto one of the
//!   50 partitions of `__consumer_offsets` and the leader of that partition coordinates. We do not
//!   simulate that topic: partition `p` is led by broker `p % brokers`, or the next broker up when that
//!   one is down, so the coordinator moves when its broker dies.
//! - Members join, heartbeat every `heartbeat.interval.ms` and learn of a rebalance from the heartbeat
//!   answer. A member in the middle of processing a poll rejoins only when that poll is done, as a real
//!   consumer does from `poll()`. A rebalance completes when every known member rejoined, or after the
//!   rebalance timeout (`max.poll.interval.ms`) without the missing ones. A new empty group waits
//!   `group.initial.rebalance.delay.ms` (each join extends the wait) before its first assignment.
//! - A member that stops heartbeating is removed after `session.timeout.ms`; one whose poll takes
//!   longer than `max.poll.interval.ms` leaves the group (a dynamic member sends LeaveGroup; a static
//!   one just stops heartbeating). Its commits then fail and the next owner processes again what it
//!   had processed: duplicates of side effects, counted per group.
//! - Eager protocol: a member revokes (commits and drops) all its partitions before it rejoins, so the
//!   whole group stops. Cooperative protocol (KIP-429): members keep their partitions while they
//!   rejoin; the assignor withholds partitions that change owner; their old owners revoke them and
//!   rejoin at once, and a second round hands them over. A member's JoinGroup reports as owned only
//!   what reached it in a SyncGroup answer (never an assignment overtaken by the next rebalance, nor
//!   what it held before a restart), so every withheld partition has an owner that revokes it. The
//!   protocol is chosen as Kafka chooses it: cooperative only when every configured assignor
//!   supports it.
//! - Static membership (KIP-345): a member with `group.instance.id` that comes back before its
//!   session times out takes its old place and assignment with no rebalance.
//!
//! The coordinator's messages are not put on the network one by one: a member reaches the
//! coordinator when the link between them works, and an assignment reaches the members one round trip
//! after the join completes.

use std::collections::BTreeMap;

use super::assignor::{self, MemberSubscription, Protocol, Strategy, TopicPartition};
use super::cluster::Node;
use super::consumer::{Group, Member};
use super::kernel::{unit, SimRng, SimTime, US_PER_MS};
use super::sim::{Event, Sim};
use crate::scenario::AssignorName;

/// Partitions of `__consumer_offsets` (`offsets.topic.num.partitions`).
const OFFSETS_TOPIC_PARTITIONS: u32 = 50;
/// How many failed commits are written to the event log per group.
const COMMIT_FAILURES_LOGGED: u64 = 10;

/// Kafka's group states (`kafka-consumer-groups --describe --state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// The coordinator's record of one member: one incarnation of one consumer (a consumer that restarts
/// without `group.instance.id` is a new member; the old record stays until its session times out).
#[derive(Clone, Debug)]
pub struct RosterEntry {
    pub member_id: String,
    pub instance_id: Option<String>,
    /// The consumer (index into `Group::members`) and its incarnation.
    pub slot: u32,
    pub incarnation: u32,
    pub last_heartbeat: SimTime,
    /// Rejoined in the current round.
    pub joined: bool,
    /// Whether this member stopped heartbeating on purpose (static member past its poll interval).
    pub silent: bool,
    /// The partitions (indices into `Group::parts`) last assigned, and in which generation.
    pub assignment: Vec<u32>,
    pub generation: i32,
    /// What its JoinGroup of the current round reported owning (KIP-429's `ownedPartitions`), and
    /// the generation it received them in: the assignor's input for the sticky assignors.
    pub reported: Vec<u32>,
    pub reported_generation: i32,
}

/// One rebalance, for the report and the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct Rebalance {
    pub start_us: SimTime,
    pub end_us: Option<SimTime>,
    /// The generation it produced (0 until it completes).
    pub generation: i32,
    pub reason: String,
}

/// Java's `String.hashCode`, as the coordinator lookup uses it.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The `__consumer_offsets` partition of a group: `Utils.abs(groupId.hashCode) % 50`.
pub fn offsets_partition(group_id: &str) -> u32 {
    (java_string_hash(group_id) & 0x7fff_ffff) as u32 % OFFSETS_TOPIC_PARTITIONS
}

pub fn strategy_of(a: AssignorName) -> Strategy {
    match a {
        AssignorName::Range => Strategy::Range,
        AssignorName::RoundRobin => Strategy::RoundRobin,
        AssignorName::Sticky => Strategy::Sticky,
        AssignorName::CooperativeSticky => Strategy::CooperativeSticky,
    }
}

impl Sim {
    /// The broker coordinating group `g` now, if any broker is up.
    pub fn coordinator_of(&self, g: u32) -> Option<u32> {
        let n = self.brokers.len() as u32;
        let p = offsets_partition(&self.groups[g as usize].id);
        (0..n).map(|k| (p + k) % n).find(|&b| self.brokers[b as usize].up)
    }

    /// The coordinator, if member `m` can reach it; notes (and logs) a coordinator move.
    fn reach_coordinator(&mut self, g: u32, m: u32) -> Option<u32> {
        let c = self.coordinator_of(g);
        let gi = g as usize;
        if c != self.groups[gi].coordinator {
            if let (Some(old), Some(new)) = (self.groups[gi].coordinator, c) {
                let id = &self.groups[gi].id;
                self.log.push(self.now, "group", format!("Group {id}: coordinator moved from broker {old} to broker {new}."));
            }
            self.groups[gi].coordinator = c;
        }
        let c = c?;
        let node = self.groups[gi].members[m as usize].node;
        self.net.reachable(Node::Client(node), Node::Broker(c)).then_some(c)
    }

    fn entry_of(&self, g: u32, m: u32) -> Option<usize> {
        let gr = &self.groups[g as usize];
        let inc = gr.members[m as usize].incarnation;
        gr.roster.iter().position(|e| e.slot == m && e.incarnation == inc)
    }

    /// A consumer starts (or restarts): it joins at once.
    pub(crate) fn member_start(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let interval = self.groups[gi].cfg.heartbeat_interval_ms * US_PER_MS;
        let member = &mut self.groups[gi].members[m as usize];
        member.needs_join = true;
        let inc = member.incarnation;
        // Consumers start at slightly different moments, so their heartbeats are not in step.
        let phase = below_u64(&mut member.rng, interval.max(1));
        self.at(self.now + phase, Event::GroupHeartbeat { group: g, member: m, incarnation: inc });
        self.member_join(g, m);
    }

    /// JoinGroup from member `m` (between polls). Eager members revoke everything first.
    pub(crate) fn member_join(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let member = &self.groups[gi].members[m as usize];
        if !member.alive || member.busy || !member.needs_join {
            return;
        }
        if self.reach_coordinator(g, m).is_none() {
            // FindCoordinator fails; the heartbeat timer tries again.
            return;
        }
        if self.groups[gi].protocol == Protocol::Eager && !self.groups[gi].members[m as usize].owned.is_empty() {
            self.revoke(g, m, None);
        }
        self.groups[gi].members[m as usize].needs_join = false;
        let now = self.now;
        let (inc, instance) = {
            let mb = &self.groups[gi].members[m as usize];
            (mb.incarnation, mb.instance_id.clone())
        };
        let (reported, reported_generation) = reported_owned(&self.groups[gi].members[m as usize]);
        if let Some(e) = self.entry_of(g, m) {
            let entry = &mut self.groups[gi].roster[e];
            entry.joined = true;
            entry.last_heartbeat = now;
            entry.reported = reported;
            entry.reported_generation = reported_generation;
            self.try_complete_join(g);
            return;
        }
        // A static member coming back: it takes its old place, and its old assignment when the group
        // is stable, with no rebalance.
        if let Some(e) = instance.as_ref().and_then(|id| self.groups[gi].roster.iter().position(|x| x.instance_id.as_ref() == Some(id))) {
            let group = &mut self.groups[gi];
            group.member_seq += 1;
            let member_id = format!("{}-{}-{}", group.id, m, group.member_seq);
            let entry = &mut group.roster[e];
            let old_slot = entry.slot;
            entry.member_id = member_id.clone();
            entry.slot = m;
            entry.incarnation = inc;
            entry.last_heartbeat = now;
            entry.silent = false;
            entry.reported = reported;
            entry.reported_generation = reported_generation;
            let iid = instance.clone().unwrap_or_default();
            self.schedule_session_check(g, m, inc);
            if old_slot != m {
                // Another consumer took over this instance id: the old one is fenced.
                let old = &mut self.groups[gi].members[old_slot as usize];
                old.fenced = true;
            }
            match self.groups[gi].state {
                GroupState::Stable => {
                    let (assignment, generation) = {
                        let entry = &self.groups[gi].roster[e];
                        (entry.assignment.clone(), entry.generation)
                    };
                    let id = self.groups[gi].id.clone();
                    self.log.push(now, "group", format!("Group {id}: static member {iid} is back (as {member_id}) and keeps its {} partitions; no rebalance.", assignment.len()));
                    self.deliver_assignment(g, m, generation, assignment);
                }
                _ => {
                    self.groups[gi].roster[e].joined = true;
                    self.try_complete_join(g);
                }
            }
            return;
        }
        let group = &mut self.groups[gi];
        group.member_seq += 1;
        let member_id = format!("{}-{}-{}", group.id, m, group.member_seq);
        // The rebalance starts (every known member must rejoin), then this member is in.
        self.trigger_rebalance(g, format!("{member_id} joined"));
        self.groups[gi].roster.push(RosterEntry {
            member_id: member_id.clone(),
            instance_id: instance,
            slot: m,
            incarnation: inc,
            last_heartbeat: now,
            joined: true,
            silent: false,
            assignment: Vec::new(),
            generation: -1,
            reported,
            reported_generation,
        });
        self.schedule_session_check(g, m, inc);
        self.try_complete_join(g);
    }

    fn schedule_session_check(&mut self, g: u32, m: u32, inc: u32) {
        let timeout = self.groups[g as usize].cfg.session_timeout_ms * US_PER_MS;
        self.at(self.now + timeout, Event::GroupSessionExpired { group: g, member: m, incarnation: inc });
    }

    /// The coordinator starts a rebalance (or lets the one under way take the change in).
    pub(crate) fn trigger_rebalance(&mut self, g: u32, reason: String) {
        let gi = g as usize;
        let now = self.now;
        let group = &mut self.groups[gi];
        match group.state {
            GroupState::PreparingRebalance => {
                if group.initial_join {
                    // A new group: each join extends the initial delay, within the rebalance timeout.
                    let cap = group.round_started + group.cfg.max_poll_interval_ms * US_PER_MS;
                    let delay = self.scenario.cluster.config.group_initial_rebalance_delay_ms * US_PER_MS;
                    group.join_deadline = (now + delay).min(cap).max(group.join_deadline);
                    let round = group.round;
                    let t = group.join_deadline;
                    self.at(t, Event::GroupJoinDelay { group: g, round });
                }
            }
            state => {
                group.round += 1;
                group.round_started = now;
                group.initial_join = state == GroupState::Empty;
                for e in group.roster.iter_mut() {
                    e.joined = false;
                }
                let delay = if group.initial_join { self.scenario.cluster.config.group_initial_rebalance_delay_ms * US_PER_MS } else { 0 };
                group.join_deadline = now + delay;
                group.state = GroupState::PreparingRebalance;
                group.history.push(Rebalance { start_us: now, end_us: None, generation: 0, reason: reason.clone() });
                let round = group.round;
                let timeout = group.cfg.max_poll_interval_ms * US_PER_MS;
                let protocol = match group.protocol {
                    Protocol::Eager => "eager",
                    Protocol::Cooperative => "cooperative",
                };
                let msg = format!("Group {} rebalancing ({protocol}, {}): {reason}.", group.id, group.strategy_name);
                self.log.push(now, "group", msg);
                self.at(now + timeout, Event::RebalanceTimeout { group: g, round });
                if delay > 0 {
                    self.at(now + delay, Event::GroupJoinDelay { group: g, round });
                }
                // Members between polls that still hold a live connection learn it from their next
                // heartbeat; the member that caused the change already rejoined.
            }
        }
    }

    pub(crate) fn on_group_join_delay(&mut self, g: u32, round: u64) {
        if self.groups[g as usize].round == round {
            self.try_complete_join(g);
        }
    }

    pub(crate) fn on_rebalance_timeout(&mut self, g: u32, round: u64) {
        let gi = g as usize;
        if self.groups[gi].round != round || self.groups[gi].state != GroupState::PreparingRebalance {
            return;
        }
        let missing: Vec<String> = self.groups[gi].roster.iter().filter(|e| !e.joined).map(|e| e.member_id.clone()).collect();
        if !missing.is_empty() {
            let id = self.groups[gi].id.clone();
            self.log.push(self.now, "group", format!("Group {id}: {} did not rejoin within the rebalance timeout (max.poll.interval.ms) and {} removed.", missing.join(", "), if missing.len() == 1 { "is" } else { "are" }));
            self.groups[gi].roster.retain(|e| e.joined);
        }
        self.complete_join(g);
    }

    fn try_complete_join(&mut self, g: u32) {
        let group = &self.groups[g as usize];
        if group.state == GroupState::PreparingRebalance && self.now >= group.join_deadline && group.roster.iter().all(|e| e.joined) {
            self.complete_join(g);
        }
    }

    /// Every member rejoined: a new generation, the leader's assignment, SyncGroup.
    fn complete_join(&mut self, g: u32) {
        let gi = g as usize;
        let now = self.now;
        if self.groups[gi].roster.is_empty() {
            let group = &mut self.groups[gi];
            group.state = GroupState::Empty;
            group.generation += 1;
            if let Some(r) = group.history.last_mut() {
                r.end_us = Some(now);
                r.generation = group.generation;
            }
            let id = group.id.clone();
            self.log.push(now, "group", format!("Group {id} is empty."));
            self.refresh_owners(g);
            return;
        }
        let mut topics: BTreeMap<String, u32> = BTreeMap::new();
        for &t in &self.groups[gi].topics {
            let topic = &self.topics[t as usize];
            topics.insert(topic.name.clone(), topic.parts.len() as u32);
        }
        let names: Vec<String> = topics.keys().cloned().collect();
        let group = &self.groups[gi];
        let tp_of = |pi: u32| -> TopicPartition {
            let (t, p) = group.part_names[pi as usize].clone();
            TopicPartition { topic: t, partition: p }
        };
        let subs: Vec<MemberSubscription> = group
            .roster
            .iter()
            .map(|e| MemberSubscription {
                member_id: e.member_id.clone(),
                group_instance_id: e.instance_id.clone(),
                subscription: names.clone(),
                owned: e.reported.iter().copied().map(tp_of).collect(),
                generation: (e.reported_generation >= 0).then_some(e.reported_generation),
            })
            .collect();
        let result = assignor::assign(group.strategy, &topics, &subs);
        let index: BTreeMap<(String, u32), u32> = group.part_names.iter().enumerate().map(|(i, (t, p))| ((t.clone(), *p), i as u32)).collect();
        let group = &mut self.groups[gi];
        group.generation += 1;
        let generation = group.generation;
        for e in group.roster.iter_mut() {
            let tps = result.get(&e.member_id).cloned().unwrap_or_default();
            e.assignment = tps.iter().filter_map(|tp| index.get(&(tp.topic.clone(), tp.partition)).copied()).collect();
            e.generation = generation;
        }
        group.state = GroupState::CompletingRebalance;
        let c = group.coordinator.unwrap_or(0);
        let rtt = 2 * self.net.latency(Node::ANY_CLIENT, Node::Broker(c));
        self.at(now + rtt, Event::GroupSync { group: g, generation });
    }

    /// SyncGroup answers: every member gets its part of the leader's assignment.
    pub(crate) fn on_group_sync(&mut self, g: u32, generation: i32) {
        let gi = g as usize;
        if self.groups[gi].generation != generation || self.groups[gi].state != GroupState::CompletingRebalance {
            return;
        }
        let now = self.now;
        let group = &mut self.groups[gi];
        group.state = GroupState::Stable;
        let first = !group.stable_once;
        group.stable_once = true;
        if !first {
            group.rebalances += 1;
        }
        if let Some(r) = group.history.last_mut() {
            r.end_us = Some(now);
            r.generation = generation;
        }
        let members = group.roster.len();
        let id = group.id.clone();
        let took = group.history.last().map(|r| now - r.start_us).unwrap_or(0);
        let deliveries: Vec<(u32, u32, Vec<u32>)> = group.roster.iter().map(|e| (e.slot, e.incarnation, e.assignment.clone())).collect();
        self.log.push(now, "group", format!("Group {id} is stable: generation {generation}, {members} members, after {:.1} s.", took as f64 / 1e6));
        let mut revoked_any = false;
        for (slot, inc, assignment) in deliveries {
            let mb = &self.groups[gi].members[slot as usize];
            if !mb.alive || mb.incarnation != inc {
                continue;
            }
            revoked_any |= self.deliver_assignment(g, slot, generation, assignment);
        }
        self.refresh_owners(g);
        if revoked_any && self.groups[gi].protocol == Protocol::Cooperative {
            // KIP-429: a member that gave partitions up rejoins at once, so they find their new owner.
            self.trigger_rebalance(g, "partitions revoked in the first cooperative round are handed over".into());
            let slots: Vec<u32> = self.groups[gi].members.iter().filter(|m| m.needs_join).map(|m| m.idx).collect();
            for m in slots {
                self.member_join(g, m);
            }
        }
    }

    /// Member `m` receives its assignment. Returns whether it had to give partitions up (cooperative).
    /// A member busy with a poll takes it when the poll is done.
    pub(crate) fn deliver_assignment(&mut self, g: u32, m: u32, generation: i32, assignment: Vec<u32>) -> bool {
        let gi = g as usize;
        if self.groups[gi].members[m as usize].busy {
            let revokes = self.groups[gi].members[m as usize].owned.iter().any(|p| !assignment.contains(p));
            if revokes {
                self.groups[gi].members[m as usize].needs_join = true;
            }
            self.groups[gi].members[m as usize].pending = Some((generation, assignment));
            return revokes;
        }
        // The new generation first: the commit in the revocation callback is made with it.
        self.groups[gi].members[m as usize].generation = generation;
        let revoked: Vec<u32> = self.groups[gi].members[m as usize].owned.iter().copied().filter(|p| !assignment.contains(p)).collect();
        if !revoked.is_empty() {
            self.revoke(g, m, Some(&revoked));
            self.groups[gi].members[m as usize].needs_join = true;
        }
        let member = &mut self.groups[gi].members[m as usize];
        member.generation = generation;
        for &pi in &assignment {
            if !member.owned.contains(&pi) {
                let st = &mut member.state[pi as usize];
                st.position = None;
                st.buffer.clear();
                st.session += 1;
                st.fetching = false;
            }
        }
        member.received = assignment.clone();
        member.owned = assignment;
        self.refresh_owners(g);
        // Its callers go on (another member's assignment, a JoinGroup that only a member not busy
        // with a poll sends): the fetches' answers must wait for them, as over a network.
        self.queued(|sim| {
            sim.ensure_fetches(g, m);
            sim.start_poll(g, m);
        });
        !revoked.is_empty()
    }

    /// A busy member finished its poll: take a pending assignment, or rejoin.
    pub(crate) fn member_between_polls(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        if self.groups[gi].members[m as usize].kicked {
            // It was removed from the group while processing: its commit failed above; it starts
            // over as a new member (a static one under its instance id).
            let member = &mut self.groups[gi].members[m as usize];
            member.kicked = false;
            let owned = std::mem::take(&mut member.owned);
            for pi in owned {
                member.drop_partition(pi);
            }
            member.received.clear();
            member.incarnation += 1;
            member.needs_join = true;
            self.refresh_owners(g);
            let inc = self.groups[gi].members[m as usize].incarnation;
            let interval = self.groups[gi].cfg.heartbeat_interval_ms * US_PER_MS;
            self.at(self.now + interval, Event::GroupHeartbeat { group: g, member: m, incarnation: inc });
        }
        if let Some((generation, assignment)) = self.groups[gi].members[m as usize].pending.take() {
            self.deliver_assignment(g, m, generation, assignment);
        }
        if self.groups[gi].members[m as usize].needs_join {
            self.member_join(g, m);
        }
    }

    /// The member gives partitions up (all when `which` is None): commit first when auto-commit is
    /// on (Kafka's `onPartitionsRevoked`), then forget them.
    fn revoke(&mut self, g: u32, m: u32, which: Option<&[u32]>) {
        let gi = g as usize;
        if self.groups[gi].cfg.enable_auto_commit {
            self.commit(g, m);
        }
        let member = &mut self.groups[gi].members[m as usize];
        let gone: Vec<u32> = match which {
            None => std::mem::take(&mut member.owned),
            Some(list) => {
                member.owned.retain(|p| !list.contains(p));
                list.to_vec()
            }
        };
        for pi in gone {
            member.drop_partition(pi);
        }
        self.refresh_owners(g);
    }

    /// Heartbeat of member `m`: keeps its session and tells it when to rejoin.
    pub(crate) fn on_group_heartbeat(&mut self, g: u32, m: u32, inc: u32) {
        let gi = g as usize;
        let member = &self.groups[gi].members[m as usize];
        if !member.alive || member.incarnation != inc || member.fenced {
            return;
        }
        let interval = self.groups[gi].cfg.heartbeat_interval_ms * US_PER_MS;
        self.at(self.now + interval, Event::GroupHeartbeat { group: g, member: m, incarnation: inc });
        if self.reach_coordinator(g, m).is_none() {
            return;
        }
        match self.entry_of(g, m) {
            Some(e) => {
                let now = self.now;
                let preparing = self.groups[gi].state == GroupState::PreparingRebalance;
                let entry = &mut self.groups[gi].roster[e];
                if entry.silent {
                    return;
                }
                entry.last_heartbeat = now;
                if preparing && !entry.joined {
                    self.groups[gi].members[m as usize].needs_join = true;
                }
            }
            // UNKNOWN_MEMBER_ID: the coordinator removed it; it rejoins.
            None => {
                if !self.groups[gi].members[m as usize].kicked {
                    let member = &mut self.groups[gi].members[m as usize];
                    if !member.owned.is_empty() {
                        let owned = std::mem::take(&mut member.owned);
                        for pi in owned {
                            member.drop_partition(pi);
                        }
                    }
                    member.received.clear();
                    member.needs_join = true;
                    self.refresh_owners(g);
                }
            }
        }
        self.member_join(g, m);
    }

    /// The coordinator checks a member's session.
    pub(crate) fn on_group_session_expired(&mut self, g: u32, m: u32, inc: u32) {
        let gi = g as usize;
        let Some(e) = self.groups[gi].roster.iter().position(|e| e.slot == m && e.incarnation == inc) else { return };
        let timeout = self.groups[gi].cfg.session_timeout_ms * US_PER_MS;
        let last = self.groups[gi].roster[e].last_heartbeat;
        // A coordinator that is down checks nothing; its successor starts the clocks afresh.
        if self.coordinator_of(g).is_none() {
            self.at(self.now + timeout, Event::GroupSessionExpired { group: g, member: m, incarnation: inc });
            return;
        }
        if self.now < last + timeout {
            self.at(last + timeout, Event::GroupSessionExpired { group: g, member: m, incarnation: inc });
            return;
        }
        let entry = self.groups[gi].roster.remove(e);
        let id = self.groups[gi].id.clone();
        let who = match &entry.instance_id {
            Some(iid) => format!("static member {iid} ({})", entry.member_id),
            None => entry.member_id.clone(),
        };
        self.log.push(self.now, "group", format!("Group {id}: {who} sent no heartbeat for session.timeout.ms ({} s) and is removed.", timeout / 1_000_000));
        self.member_removed(g, format!("{who} timed out"));
    }

    fn member_removed(&mut self, g: u32, reason: String) {
        match self.groups[g as usize].state {
            GroupState::PreparingRebalance => self.try_complete_join(g),
            _ => self.trigger_rebalance(g, reason),
        }
        self.refresh_owners(g);
    }

    /// A dynamic member leaves on purpose (LeaveGroup); static members never send it.
    pub(crate) fn leave_group(&mut self, g: u32, m: u32, why: &str) {
        let gi = g as usize;
        let Some(e) = self.entry_of(g, m) else { return };
        if self.groups[gi].roster[e].instance_id.is_some() {
            self.groups[gi].roster[e].silent = true;
            return;
        }
        let entry = self.groups[gi].roster.remove(e);
        self.member_removed(g, format!("{} left ({why})", entry.member_id));
    }

    /// The poll of member `m` is still running after `max.poll.interval.ms`.
    pub(crate) fn on_poll_timeout(&mut self, g: u32, m: u32, token: u64) {
        let gi = g as usize;
        let member = &self.groups[gi].members[m as usize];
        if !member.alive || !member.busy || member.token != token || member.kicked {
            return;
        }
        let id = self.groups[gi].id.clone();
        let limit = self.groups[gi].cfg.max_poll_interval_ms;
        self.log.push(self.now, "group", format!("Group {id}: consumer {m} spent more than max.poll.interval.ms ({limit} ms) on one poll; it leaves the group and its commits will fail."));
        self.groups[gi].members[m as usize].kicked = true;
        self.groups[gi].poll_timeouts += 1;
        self.leave_group(g, m, "max.poll.interval.ms exceeded");
        self.refresh_owners(g);
    }

    /// Commit the positions of what member `m` processed, if the coordinator accepts it.
    pub(crate) fn commit(&mut self, g: u32, m: u32) {
        let gi = g as usize;
        let ok = !self.groups[gi].members[m as usize].kicked
            && self.entry_of(g, m).is_some_and(|e| self.groups[gi].roster[e].generation == self.groups[gi].members[m as usize].generation)
            && self.reach_coordinator(g, m).is_some();
        let group = &mut self.groups[gi];
        let member = &group.members[m as usize];
        if member.owned.iter().all(|&pi| member.state[pi as usize].position.is_none() || member.state[pi as usize].position == group.committed[pi as usize]) {
            return;
        }
        if !ok {
            group.commit_failures += 1;
            if group.commit_failures <= COMMIT_FAILURES_LOGGED {
                let id = group.id.clone();
                self.log.push(self.now, "group", format!("Group {id}: consumer {m} failed to commit (CommitFailedException: not a member of the current generation, or no coordinator); its records will be processed again."));
            }
            return;
        }
        for &pi in &member.owned {
            if let Some(pos) = member.state[pi as usize].position {
                group.committed[pi as usize] = Some(pos);
            }
        }
    }

    /// Recompute who consumes each partition and account for paused partitions.
    pub(crate) fn refresh_owners(&mut self, g: u32) {
        let now = self.now;
        let group = &mut self.groups[g as usize];
        let n = group.parts.len();
        let mut owner = vec![None; n];
        for mb in &group.members {
            if mb.alive && !mb.kicked && !mb.fenced {
                for &pi in &mb.owned {
                    owner[pi as usize] = Some(mb.idx);
                }
            }
        }
        let before = std::mem::replace(&mut group.owner, owner);
        if !group.stable_once {
            return;
        }
        for (pi, was_owned) in before.iter().map(Option::is_some).enumerate() {
            match (group.owner[pi].is_some(), group.paused_since[pi]) {
                // A pause starts when a partition loses its owner (not while it waits for its first).
                (false, None) if was_owned => {
                    group.paused_since[pi] = Some(now);
                    group.partition_pauses += 1;
                }
                (true, Some(s)) => {
                    let d = now - s;
                    group.pause_total_us += d;
                    group.pause_max_us = group.pause_max_us.max(d);
                    group.paused_since[pi] = None;
                }
                _ => {}
            }
        }
    }

    /// (total, longest) partition pause of group `g` up to now, microseconds.
    pub fn group_pause_us(&self, g: &Group) -> (SimTime, SimTime) {
        let mut total = g.pause_total_us;
        let mut max = g.pause_max_us;
        for s in g.paused_since.iter().flatten() {
            let d = self.now - s;
            total += d;
            max = max.max(d);
        }
        (total, max)
    }
}

/// The partitions a member reports as owned in its JoinGroup, and the generation it got them in:
/// what it holds now (cooperative, and eager members that have not revoked yet), or for an eager
/// member that already revoked, the last assignment it received (Kafka's sticky assignor carries it
/// in the subscription's user data). Only what reached the member: an assignment the coordinator
/// computed whose SyncGroup answer was overtaken by the next rebalance was never owned, and
/// reporting it would make cooperative-sticky withhold partitions that nobody will revoke.
fn reported_owned(mb: &Member) -> (Vec<u32>, i32) {
    let owned = if mb.owned.is_empty() { &mb.received } else { &mb.owned };
    (owned.clone(), mb.generation)
}

/// Uniform in [0, n).
fn below_u64(rng: &mut SimRng, n: u64) -> u64 {
    ((unit(rng) * n as f64) as u64).min(n - 1)
}
