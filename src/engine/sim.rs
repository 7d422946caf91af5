//! `Sim`: the whole simulated system and its event loop. Every change of state happens in `dispatch`,
//! one `match` over the closed `Event` enum, at an integer virtual time; running in chunks
//! (`run_until`, `run_events`, `step`) gives exactly the same run as one call, because the clock only
//! moves to the next event's time and every random draw comes from a seeded per-component generator.

use std::rc::Rc;

use super::checker::Checker;
use super::cluster::{Broker, ControllerNode, Network, PartitionMeta, Quorum, Replica, TopicState};
use super::consumer::Group;
use super::eventlog::EventLog;
use super::kernel::{rng_from_seed, sub_rng, EventQueue, SimRng, SimTime, TraceHash, US_PER_MS, Traced};
use super::log::Batch;
use super::metrics::Metrics;
use super::producer::Producer;
use crate::scenario::{Acks, Action, AppliedAction, Scenario, Session, StopAt};

/// Why a produce or fetch request failed, with Kafka's error names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KafkaError {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    OutOfOrderSequence,
    RequestTimedOut,
    NetworkException,
    OffsetOutOfRange,
}

impl KafkaError {
    pub fn name(self) -> &'static str {
        match self {
            KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            KafkaError::OutOfOrderSequence => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KafkaError::RequestTimedOut => "REQUEST_TIMED_OUT",
            KafkaError::NetworkException => "NETWORK_EXCEPTION",
            KafkaError::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
        }
    }
}

/// A produce request: one batch for one partition (Kafka groups batches per broker; we send one
/// request per batch and keep `max.in.flight.requests.per.connection` per partition). The event
/// `ProduceArrive` carries the same fields, packed; the handler gets them as this struct.
#[derive(Clone, Debug)]
pub struct ProduceRequest {
    pub producer: u32,
    /// The partition's index within the producer's topic.
    pub part: u32,
    pub tp: u32,
    pub broker: u32,
    pub req_id: u64,
    pub sent_us: SimTime,
    /// Written by the producer, not yet shared: the leader fills in offsets and epoch in place.
    pub batch: Rc<Batch>,
    pub idempotent: bool,
    pub acks: Acks,
}

/// What a leader answers a fetch with.
#[derive(Clone, Debug)]
pub enum FetchResult {
    Records { batches: Vec<Rc<Batch>>, high_watermark: u64, log_start_offset: u64, upto: u64 },
    /// KIP-101/KIP-595: the follower's log diverged from the leader's at this offset.
    Diverging { end_offset: u64 },
    Error(KafkaError),
}

/// Everything that can happen. One closed enum, handled by one `match` in `dispatch`.
#[derive(Clone, Debug)]
pub enum Event {
    Timeline { index: u32 },
    SpikeEnd { producer: u32, token: u64 },
    MetricsSample,
    // Producers.
    ProducerArrival { producer: u32, token: u64 },
    LingerExpired { producer: u32, part: u32, batch_id: u64 },
    RetryReady { producer: u32, part: u32 },
    /// `idempotent` is `batch.producer != u32::MAX`; the partition index is `parts[tp].partition`.
    ProduceArrive { producer: u32, tp: u32, broker: u32, acks: Acks, req_id: u64, sent_us: SimTime, batch: Rc<Batch> },
    ProduceResponse { producer: u32, part: u32, req_id: u64, result: Result<u64, KafkaError> },
    // Replication.
    ReplicaFetch { leader: u32, tp: u32, follower: u32, fetch_offset: u64, last_epoch: u32, session: u64 },
    ReplicaFetchResponse { follower: u32, tp: u32, session: u64, result: Box<FetchResult> },
    ReplicaFetchRetry { follower: u32, tp: u32, session: u64 },
    FetchWaitExpired { broker: u32, tp: u32 },
    // Consumers.
    ConsumerFetch { broker: u32, tp: u32, group: u32, member: u32, offset: u64, session: u64 },
    ConsumerFetchResponse { group: u32, member: u32, tp: u32, session: u64, result: Box<FetchResult> },
    ConsumerFetchRetry { group: u32, member: u32, tp: u32, session: u64 },
    ConsumerBatchDone { group: u32, member: u32, token: u64 },
    GroupSessionExpired { group: u32, member: u32, incarnation: u32 },
    GroupHeartbeat { group: u32, member: u32, incarnation: u32 },
    GroupJoinDelay { group: u32, round: u64 },
    RebalanceTimeout { group: u32, round: u64 },
    GroupSync { group: u32, generation: i32 },
    PollTimeout { group: u32, member: u32, token: u64 },
    RetryTopicDue { group: u32 },
    /// Share groups: the locks taken by one acquisition on one share-partition run out.
    ShareLockExpired { group: u32, part: u32, acq: u32 },
    // Brokers and the controller quorum.
    BrokerHeartbeat { broker: u32, incarnation: u32 },
    HeartbeatArrive { controller: u32, broker: u32 },
    BrokerTick { broker: u32, incarnation: u32 },
    ControllerTick { controller: u32, term: u64 },
    ControllerElection { attempt: u64 },
    MetadataArrive { broker: u32, incarnation: u32 },
    AlterPartition { controller: u32, leader: u32, tp: u32, leader_epoch: u32, partition_epoch: u32, isr: Rc<[u32]> },
    AlterPartitionResponse { broker: u32, tp: u32, ok: bool, leader_epoch: u32 },
    RetentionCheck,
}

impl Traced for Event {
    fn trace_word(&self) -> u64 {
        trace_word(self.kind(), self.subject())
    }
}

#[inline]
fn trace_word(kind: u64, subject: u64) -> u64 {
    (kind << 56) ^ subject
}

/// Kinds of the messages `Sim::deliver_now` can hand over without an event, and their subjects.
pub(crate) const KIND_PRODUCE_ARRIVE: u64 = 7;
pub(crate) const KIND_PRODUCE_RESPONSE: u64 = 8;
pub(crate) const KIND_CONSUMER_FETCH: u64 = 13;
pub(crate) const KIND_CONSUMER_FETCH_RESPONSE: u64 = 14;
#[inline]
pub(crate) fn produce_subject(tp: u32, base_seq: u32) -> u64 {
    ((tp as u64) << 32) | base_seq as u64
}
#[inline]
pub(crate) fn fetch_subject(tp: u32, offset: u64) -> u64 {
    ((tp as u64) << 40) ^ offset
}
#[inline]
pub(crate) fn fetch_response_subject(tp: u32, member: u32) -> u64 {
    ((tp as u64) << 16) | member as u64
}

impl Event {
    /// A stable small number per kind, folded into the trace hash.
    fn kind(&self) -> u64 {
        match self {
            Event::Timeline { .. } => 1,
            Event::SpikeEnd { .. } => 2,
            Event::MetricsSample => 3,
            Event::ProducerArrival { .. } => 4,
            Event::LingerExpired { .. } => 5,
            Event::RetryReady { .. } => 6,
            Event::ProduceArrive { .. } => KIND_PRODUCE_ARRIVE,
            Event::ProduceResponse { .. } => KIND_PRODUCE_RESPONSE,
            Event::ReplicaFetch { .. } => 9,
            Event::ReplicaFetchResponse { .. } => 10,
            Event::ReplicaFetchRetry { .. } => 11,
            Event::FetchWaitExpired { .. } => 12,
            Event::ConsumerFetch { .. } => KIND_CONSUMER_FETCH,
            Event::ConsumerFetchResponse { .. } => KIND_CONSUMER_FETCH_RESPONSE,
            Event::ConsumerFetchRetry { .. } => 15,
            Event::ConsumerBatchDone { .. } => 16,
            Event::GroupSessionExpired { .. } => 17,
            Event::BrokerHeartbeat { .. } => 18,
            Event::HeartbeatArrive { .. } => 19,
            Event::BrokerTick { .. } => 20,
            Event::ControllerTick { .. } => 21,
            Event::ControllerElection { .. } => 22,
            Event::MetadataArrive { .. } => 23,
            Event::AlterPartition { .. } => 24,
            Event::AlterPartitionResponse { .. } => 25,
            Event::RetentionCheck => 26,
            Event::GroupHeartbeat { .. } => 27,
            Event::GroupJoinDelay { .. } => 28,
            Event::RebalanceTimeout { .. } => 29,
            Event::GroupSync { .. } => 30,
            Event::PollTimeout { .. } => 31,
            Event::RetryTopicDue { .. } => 32,
            Event::ShareLockExpired { .. } => 33,
        }
    }
    /// The main subject (a broker, producer, partition …) folded into the trace hash.
    fn subject(&self) -> u64 {
        match self {
            Event::Timeline { index } => *index as u64,
            Event::SpikeEnd { producer, .. } | Event::ProducerArrival { producer, .. } => *producer as u64,
            Event::LingerExpired { producer, part, .. } | Event::RetryReady { producer, part } => ((*producer as u64) << 32) | *part as u64,
            Event::ProduceArrive { tp, batch, .. } => produce_subject(*tp, batch.base_seq),
            Event::ProduceResponse { req_id, .. } => *req_id,
            Event::ReplicaFetch { tp, fetch_offset, .. } => fetch_subject(*tp, *fetch_offset),
            Event::ReplicaFetchResponse { tp, follower, .. } | Event::ReplicaFetchRetry { tp, follower, .. } => ((*tp as u64) << 8) | *follower as u64,
            Event::FetchWaitExpired { broker, tp } => ((*tp as u64) << 8) | *broker as u64,
            Event::ConsumerFetch { tp, offset, .. } => fetch_subject(*tp, *offset),
            Event::ConsumerFetchResponse { tp, member, .. } | Event::ConsumerFetchRetry { tp, member, .. } => fetch_response_subject(*tp, *member),
            Event::ConsumerBatchDone { token, .. } => *token,
            Event::GroupSessionExpired { group, member, .. } | Event::GroupHeartbeat { group, member, .. } => ((*group as u64) << 32) | *member as u64,
            Event::GroupJoinDelay { group, round } | Event::RebalanceTimeout { group, round } => ((*group as u64) << 32) ^ round,
            Event::GroupSync { group, generation } => ((*group as u64) << 32) | *generation as u32 as u64,
            Event::PollTimeout { group, member, token } => ((*group as u64) << 48) ^ ((*member as u64) << 32) ^ token,
            Event::RetryTopicDue { group } => *group as u64,
            Event::ShareLockExpired { group, part, acq } => ((*group as u64) << 48) ^ ((*part as u64) << 32) ^ *acq as u64,
            Event::BrokerHeartbeat { broker, .. } | Event::HeartbeatArrive { broker, .. } | Event::BrokerTick { broker, .. } | Event::MetadataArrive { broker, .. } => *broker as u64,
            Event::ControllerTick { controller, .. } => *controller as u64,
            Event::ControllerElection { attempt } => *attempt,
            Event::AlterPartition { tp, .. } | Event::AlterPartitionResponse { tp, .. } => *tp as u64,
            Event::RetentionCheck | Event::MetricsSample => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every event is moved in and out of the queue: keep it small (big payloads go behind a pointer).
    #[test]
    fn event_is_40_bytes() {
        assert!(std::mem::size_of::<super::Event>() <= 40, "{}", std::mem::size_of::<super::Event>());
    }
}

/// Live figures of a run, cheap to compute every frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub now_us: u64,
    pub end_us: u64,
    pub events: u64,
    pub trace_hash: u64,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub delivered: u64,
    pub lag_total: u64,
    pub under_replicated: u32,
    pub offline: u32,
}

/// Going back in time, before the work (`Sim::rewind`): the run to start from (a copy of an earlier
/// moment, or a fresh run), the actions to replay on it, where to stop, and how many later actions
/// are left out.
pub struct Rewind {
    pub start: Sim,
    pub actions: Vec<AppliedAction>,
    pub stop: StopAt,
    pub dropped: usize,
}

/// Kafka's JMX metrics as they stood just before the latest fault, and which fault it was.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSnapshot {
    pub t_us: SimTime,
    pub action: &'static str,
    pub before: Vec<(&'static str, f64)>,
}


/// The simulated system.
#[derive(Clone)]
pub struct Sim {
    pub(crate) scenario: Scenario,
    pub(crate) now: SimTime,
    pub(crate) end: SimTime,
    pub(crate) queue: EventQueue<Event>,
    pub(crate) hash: TraceHash,
    pub(crate) events: u64,
    pub(crate) rng: SimRng,
    pub(crate) net: Network,
    pub(crate) brokers: Vec<Broker>,
    pub(crate) controllers: Vec<ControllerNode>,
    pub(crate) quorum: Quorum,
    pub(crate) topics: Vec<TopicState>,
    pub(crate) parts: Vec<PartitionMeta>,
    pub(crate) replicas: Vec<Replica>,
    pub(crate) producers: Vec<Producer>,
    pub(crate) groups: Vec<Group>,
    pub(crate) checker: Checker,
    pub(crate) metrics: Metrics,
    pub(crate) log: EventLog,
    pub(crate) next_id: u64,
    /// Brokers crashed and not yet restarted, most recent last (`"broker": "crashed"`).
    pub(crate) crashed: Vec<u32>,
    /// Actions applied interactively, with when they were applied (for sharing and rewinding a run).
    pub(crate) applied: Vec<AppliedAction>,
    /// The JMX metrics just before the latest fault (read by views only; not part of the run).
    pub(crate) last_fault: Option<FaultSnapshot>,
    /// Emptied fetch-response vectors, reused by the next read.
    pub(crate) batch_vecs: Vec<Vec<Rc<Batch>>>,
    /// Emptied fetch-response boxes, reused by the next response (one allocation less per fetch).
    #[allow(clippy::vec_box)] // The boxes themselves are what is reused.
    pub(crate) fetch_boxes: Vec<Box<FetchResult>>,
    /// An empty vector with capacity, where `wake_parked` collects the fetches parked while it
    /// answers others.
    pub(crate) parked_spare: Vec<super::cluster::Parked>,
    /// How many messages are being delivered inline, one inside another (see `deliver_now`);
    /// `INLINE_OFF` while inline delivery is off (building the run, applying an action, or for the
    /// rest of an event once a chain went too deep).
    pub(crate) inline_depth: u32,
}

/// Messages delivered inline nest at most this deep, so a chain of zero-latency requests and
/// responses cannot grow the stack without bound.
const INLINE_DEPTH_MAX: u32 = 8;
/// `inline_depth` while inline delivery is off: far above the maximum, and it stays above it while
/// the messages being delivered return.
const INLINE_OFF: u32 = u32::MAX / 2;

impl Sim {
    /// Build the cluster described by a validated scenario, at time zero.
    pub fn new(scenario: &Scenario) -> Sim {
        let mut rng = rng_from_seed(scenario.seed);
        let net_rng = sub_rng(&mut rng);
        let mut sim = Sim {
            scenario: scenario.clone(),
            now: 0,
            end: scenario.duration_ms.saturating_mul(US_PER_MS),
            queue: EventQueue::default(),
            hash: TraceHash::default(),
            events: 0,
            net: Network::new(&scenario.cluster, net_rng),
            rng,
            brokers: Vec::new(),
            controllers: Vec::new(),
            quorum: Quorum::default(),
            topics: Vec::new(),
            parts: Vec::new(),
            replicas: Vec::new(),
            producers: Vec::new(),
            groups: Vec::new(),
            checker: Checker::default(),
            metrics: Metrics::default(),
            log: EventLog::default(),
            next_id: 1,
            crashed: Vec::new(),
            applied: Vec::new(),
            last_fault: None,
            batch_vecs: Vec::new(),
            fetch_boxes: Vec::new(),
            parked_spare: Vec::new(),
            // No inline delivery while the run is being built.
            inline_depth: INLINE_OFF,
        };
        sim.hash.fold(scenario.seed);
        sim.build_cluster();
        sim.build_clients();
        for (i, entry) in scenario.timeline.iter().enumerate() {
            sim.queue.push(entry.at_ms.saturating_mul(US_PER_MS), Event::Timeline { index: i as u32 });
        }
        sim.metrics.start(&sim.groups, sim.end);
        sim.queue.push(0, Event::MetricsSample);
        sim.inline_depth = 0;
        sim
    }

    /// A fetch response in a box from the pool.
    pub(crate) fn boxed(&mut self, result: FetchResult) -> Box<FetchResult> {
        match self.fetch_boxes.pop() {
            Some(mut b) => {
                *b = result;
                b
            }
            None => Box::new(result),
        }
    }

    /// Take a fetch response out of its box and keep the box for the next one.
    fn unbox(&mut self, mut b: Box<FetchResult>) -> FetchResult {
        let result = std::mem::replace(&mut *b, FetchResult::Error(KafkaError::NetworkException));
        if self.fetch_boxes.len() < 64 {
            self.fetch_boxes.push(b);
        }
        result
    }

    pub(crate) fn at(&mut self, time: SimTime, event: Event) {
        self.queue.push(time, event);
    }

    /// Whether a network message that arrives at `time` (a produce request, a consumer's fetch
    /// request or its response) is handled at once, inside the handler that sent it, instead of
    /// going through the queue as an event of its own. It is when it arrives now, over a
    /// zero-latency link: it would be handled at this same instant anyway, only after the other
    /// events due now. Then its time and trace word (`kind`, `subject`, as its event's would be)
    /// go into the trace hash, the nesting depth goes up, and the caller calls the handler and
    /// then `delivered`. It does not count as an event.
    ///
    /// Senders use this only where nothing they do after sending depends on the message not
    /// having been handled yet (the last step of a handler, or a loop that re-reads its state);
    /// code that does not fit that, such as applying an action or handing a consumer its
    /// assignment, turns inline delivery off around itself with `queued`. Of the produce responses
    /// only an acks=1 success is read at once, as the leader's last step (`on_produce`): a producer
    /// sends every ready batch before it reads any response, as Kafka's sender thread does, and an
    /// error read mid-send would hold back the batches after it.
    /// The handler is called directly, not through `dispatch`: nesting through the whole of
    /// `dispatch` cost more than the queue it saves.
    #[inline]
    pub(crate) fn deliver_now(&mut self, time: SimTime, kind: u64, subject: u64) -> bool {
        if time != self.now {
            return false;
        }
        if self.inline_depth >= INLINE_DEPTH_MAX {
            // Too deep: this message and every later one of this event go through the queue, so
            // none overtakes another on its way (a link delivers in order).
            self.inline_depth = INLINE_OFF;
            return false;
        }
        self.hash.fold(time);
        self.hash.fold(trace_word(kind, subject));
        self.inline_depth += 1;
        true
    }

    /// The message `deliver_now` let through was handled.
    #[inline]
    pub(crate) fn delivered(&mut self) {
        self.inline_depth -= 1;
    }

    /// Run `f` with inline delivery off: every message it sends goes through the queue.
    pub(crate) fn queued<R>(&mut self, f: impl FnOnce(&mut Sim) -> R) -> R {
        let depth = std::mem::replace(&mut self.inline_depth, INLINE_OFF);
        let r = f(self);
        self.inline_depth = depth;
        r
    }

    super::kernel::run_loop!();

    pub fn is_finished(&self) -> bool {
        self.now >= self.end
    }

    /// Process at most `max_events` events; returns how many ran.
    pub fn run_events(&mut self, max_events: u64) -> u64 {
        let mut n = 0;
        while n < max_events && self.step() {
            n += 1;
        }
        if n < max_events && self.now < self.end {
            self.now = self.end;
        }
        n
    }

    /// Apply an action now (a user's click). Recorded with its time so a run can be shared.
    pub fn apply(&mut self, action: Action) {
        self.applied.push(AppliedAction { t_us: self.now, after_events: self.events, action: action.clone() });
        self.hash.fold(0xac710 ^ self.now);
        self.apply_action(&action);
    }

    /// Kafka's JMX metrics just before the latest fault (scheduled or clicked), if any.
    pub fn last_fault(&self) -> Option<&FaultSnapshot> {
        self.last_fault.as_ref()
    }

    /// The interactive actions applied so far, with their simulated time.
    pub fn applied_actions(&self) -> &[AppliedAction] {
        &self.applied
    }

    /// The same run as it was at `t_us` (at most now): the actions applied up to then are replayed,
    /// each after exactly as many events as the first time, so the copy is identical to the
    /// original at that moment, trace hash included. Stepping backwards in time is this:
    /// determinism makes re-simulating exact. The replay starts from `base`, an earlier copy of this
    /// run (a checkpoint), when it can, else from t = 0. Actions applied after `t_us` are not
    /// replayed; the second value counts them.
    pub fn rewound(&self, t_us: SimTime, base: Option<&Sim>) -> (Sim, usize) {
        let Rewind { start, actions, stop, dropped } = self.rewind(t_us, base);
        (start.replayed(&actions, Some(stop)), dropped)
    }

    /// `rewound` before the work: where the replay starts, what it replays, where it stops. A caller
    /// that must stay responsive (the app) runs it in slices with `replay_at_most`.
    pub fn rewind(&self, t_us: SimTime, base: Option<&Sim>) -> Rewind {
        let t = t_us.min(self.now);
        let actions: Vec<AppliedAction> = self.applied.iter().filter(|a| a.t_us <= t).cloned().collect();
        let dropped = self.applied.len() - actions.len();
        // Exactly where the original stands when going to now, even if it stopped between events of
        // one instant.
        let stop = if t == self.now { StopAt { t_us: t, events: self.events } } else { StopAt { t_us: t, events: 0 } };
        // A copy at most at `t` will do when the stop is a time; one no further than the original's
        // events when it is now.
        let most_events = if stop.events == 0 { u64::MAX } else { stop.events };
        Rewind { start: self.start_from(base, &actions, t, most_events), actions, stop, dropped }
    }

    /// `replayed` in slices: carry this run on along `actions` (of which it has applied the first
    /// `applied_actions().len()`) towards `stop`, processing at most `max_events` events; true once
    /// it is there. However it is sliced, the run is the same.
    pub fn replay_at_most(&mut self, actions: &[AppliedAction], stop: StopAt, max_events: u64) -> bool {
        let mut budget = max_events;
        for a in actions.iter().skip(self.applied.len()) {
            if !self.run_to_at_most(a.after_events, a.t_us, &mut budget) {
                return false;
            }
            self.apply(a.action.clone());
        }
        self.run_to_at_most(stop.events, stop.t_us, &mut budget)
    }

    /// `run_to` within `budget` events (what it uses is taken off): true once it got there.
    fn run_to_at_most(&mut self, events: u64, t_us: SimTime, budget: &mut u64) -> bool {
        while self.events < events {
            if *budget == 0 {
                return false;
            }
            if !self.step() {
                break;
            }
            *budget -= 1;
        }
        if self.now >= t_us {
            return true;
        }
        let before = self.events;
        let there = self.run_until_at_most(t_us, *budget);
        *budget -= self.events - before;
        there
    }

    /// A fresh run of `scenario` with `actions` applied where they were first applied (after the
    /// same number of events, at the same time), stopped at `stop` (after at least `stop.events`
    /// events and at `stop.t_us`), or at the last action when there is no stop. Actions must be in
    /// the order they were applied; the session reader checks that.
    pub fn replay(scenario: &Scenario, actions: &[AppliedAction], stop: Option<StopAt>) -> Sim {
        Sim::new(scenario).replayed(actions, stop)
    }

    /// This run carried on along `actions`, of which it has applied the first `self.applied.len()`
    /// already: the rest applied where they were first applied, then stopped at `stop` (see
    /// `replay`).
    fn replayed(mut self, actions: &[AppliedAction], stop: Option<StopAt>) -> Sim {
        // No stop: (0 events, t = 0) is reached as soon as the last action is applied.
        self.replay_at_most(actions, stop.unwrap_or(StopAt { t_us: 0, events: 0 }), u64::MAX);
        self
    }

    /// Where a replay of this run along `actions` to (`t_us`, `events`) can start: a copy of `base`
    /// when it is an earlier moment of this same run that has applied a prefix of `actions`, else
    /// a fresh run.
    fn start_from(&self, base: Option<&Sim>, actions: &[AppliedAction], t_us: SimTime, events: u64) -> Sim {
        match base {
            Some(b) if b.now <= t_us && b.events <= events && actions.starts_with(&b.applied) && b.scenario.seed == self.scenario.seed => b.clone(),
            _ => Sim::new(&self.scenario),
        }
    }

    /// Run until at least `events` events have been processed and the clock reads `t_us`: where an
    /// action was first applied, or where a replay stops.
    fn run_to(&mut self, events: u64, t_us: SimTime) {
        let mut unlimited = u64::MAX;
        self.run_to_at_most(events, t_us, &mut unlimited);
    }

    /// Process the next event, as `step` does, and say in words what it was; None when nothing is
    /// left to do before the end of the run.
    pub fn step_narrated(&mut self) -> Option<String> {
        let ev = super::kernel::take_due(&mut self.queue, self.end, &mut self.now, &mut self.events, &mut self.hash)?;
        let words = self.narrate(&ev);
        self.dispatch(ev);
        Some(words)
    }

    /// This run one event back: re-simulated (from `base` when it can, as `rewound`) to one event
    /// fewer, with the actions applied before that point; the last of those events in words (None
    /// back at event 0), and how many actions applied later were dropped. None when no event has
    /// happened yet.
    pub fn back_one_event(&self, base: Option<&Sim>) -> Option<(Sim, Option<String>, usize)> {
        let n = self.events.checked_sub(1)?;
        let before: Vec<AppliedAction> = self.applied.iter().filter(|a| a.after_events < n).cloned().collect();
        let start = self.start_from(base, &before, SimTime::MAX, n.saturating_sub(1));
        let mut sim = start.replayed(&before, Some(StopAt { t_us: 0, events: n.saturating_sub(1) }));
        let words = if n > 0 { sim.step_narrated() } else { None };
        for a in self.applied.iter().filter(|a| a.after_events == n) {
            sim.run_to(a.after_events, a.t_us);
            sim.apply(a.action.clone());
        }
        let dropped = self.applied.iter().filter(|a| a.after_events > n).count();
        Some((sim, words, dropped))
    }

    /// A session replays to this very moment of this run: the scenario, the actions, where it stands.
    pub fn session(&self) -> Session {
        Session { scenario: self.scenario.clone(), actions: self.applied.clone(), stop: Some(StopAt { t_us: self.now, events: self.events }) }
    }

    fn dispatch(&mut self, ev: Event) {
        // Every event starts with inline delivery on (see `deliver_now`).
        self.inline_depth = 0;
        match ev {
            Event::Timeline { index } => {
                let action = self.scenario.timeline[index as usize].action.clone();
                self.apply_action(&action);
            }
            Event::SpikeEnd { producer, token } => self.on_spike_end(producer, token),
            Event::MetricsSample => self.on_metrics_sample(),
            Event::ProducerArrival { producer, token } => self.on_producer_arrival(producer, token),
            Event::LingerExpired { producer, part, batch_id } => self.on_linger_expired(producer, part, batch_id),
            Event::RetryReady { producer, part } => self.producer_drain(producer, part),
            Event::ProduceArrive { producer, tp, broker, acks, req_id, sent_us, batch } => {
                let part = self.parts[tp as usize].partition;
                let idempotent = batch.producer != u32::MAX;
                self.on_produce(ProduceRequest { producer, part, tp, broker, req_id, sent_us, batch, idempotent, acks })
            }
            Event::ProduceResponse { producer, part, req_id, result } => self.on_produce_response(producer, part, req_id, result),
            Event::ReplicaFetch { leader, tp, follower, fetch_offset, last_epoch, session } => {
                self.on_replica_fetch(leader, tp, follower, fetch_offset, last_epoch, session)
            }
            Event::ReplicaFetchResponse { follower, tp, session, result } => {
                let result = self.unbox(result);
                self.on_replica_fetch_response(follower, tp, session, result)
            },
            Event::ReplicaFetchRetry { follower, tp, session } => self.on_replica_fetch_retry(follower, tp, session),
            Event::FetchWaitExpired { broker, tp } => self.on_fetch_wait_expired(broker, tp),
            Event::ConsumerFetch { broker, tp, group, member, offset, session } => self.on_consumer_fetch(broker, tp, group, member, offset, session),
            Event::ConsumerFetchResponse { group, member, tp, session, result } => {
                let result = self.unbox(result);
                self.on_consumer_fetch_response(group, member, tp, session, result)
            },
            Event::ConsumerFetchRetry { group, member, tp, session } => self.on_consumer_fetch_retry(group, member, tp, session),
            Event::ConsumerBatchDone { group, member, token } => self.on_consumer_batch_done(group, member, token),
            Event::GroupSessionExpired { group, member, incarnation } => self.on_group_session_expired(group, member, incarnation),
            Event::GroupHeartbeat { group, member, incarnation } => self.on_group_heartbeat(group, member, incarnation),
            Event::GroupJoinDelay { group, round } => self.on_group_join_delay(group, round),
            Event::RebalanceTimeout { group, round } => self.on_rebalance_timeout(group, round),
            Event::GroupSync { group, generation } => self.on_group_sync(group, generation),
            Event::PollTimeout { group, member, token } => self.on_poll_timeout(group, member, token),
            Event::RetryTopicDue { group } => self.on_retry_topic_due(group),
            Event::ShareLockExpired { group, part, acq } => self.on_share_lock_expired(group, part, acq),
            Event::BrokerHeartbeat { broker, incarnation } => self.on_broker_heartbeat(broker, incarnation),
            Event::HeartbeatArrive { controller, broker } => self.on_heartbeat_arrive(controller, broker),
            Event::BrokerTick { broker, incarnation } => self.on_broker_tick(broker, incarnation),
            Event::ControllerTick { controller, term } => self.on_controller_tick(controller, term),
            Event::ControllerElection { attempt } => self.on_controller_election(attempt),
            Event::MetadataArrive { broker, incarnation } => self.on_metadata_arrive(broker, incarnation),
            Event::AlterPartition { controller, leader, tp, leader_epoch, partition_epoch, isr } => {
                self.on_alter_partition(controller, leader, tp, leader_epoch, partition_epoch, isr)
            }
            Event::AlterPartitionResponse { broker, tp, ok, leader_epoch } => self.on_alter_partition_response(broker, tp, ok, leader_epoch),
            Event::RetentionCheck => self.on_retention_check(),
        }
    }

    /// Live figures for the UI's header and the CLI.
    pub fn summary(&self) -> Summary {
        Summary {
            now_us: self.now,
            end_us: self.end,
            events: self.events,
            trace_hash: self.hash.0,
            sent: self.metrics.sent,
            acked: self.metrics.acked,
            failed: self.metrics.failed,
            delivered: self.metrics.delivered,
            lag_total: self.groups.iter().map(|g| self.group_lag(g).0).sum(),
            under_replicated: self.under_replicated_count(),
            offline: self.offline_count(),
        }
    }
}

impl Sim {
    /// A plain-text dump of partitions and group positions, for debugging a run.
    pub fn debug_state(&self) -> String {
        let mut s = String::new();
        for (tp, m) in self.parts.iter().enumerate() {
            s += &format!("{} leader {:?} epoch {} isr {:?}\n", self.tp_name(tp as u32), m.leader, m.leader_epoch, m.isr);
            for &b in &m.replicas {
                let r = &self.replicas[self.replica_of(tp as u32, b).unwrap()];
                s += &format!("   b{b} up={} leader={} known_leader={:?} e{} leo {} hw {} session {} parked {}\n", self.brokers[b as usize].up, r.is_leader, r.leader, r.leader_epoch, r.log.log_end_offset, r.high_watermark, r.session, r.parked.len());
            }
        }
        for g in &self.groups {
            for (pi, &tp) in g.parts.iter().enumerate() {
                let o = g.owner[pi];
                let st = o.map(|o| &g.members[o as usize].state[pi]);
                s += &format!("group {} {} owner {:?} committed {:?} pos {:?} fetching {:?} buffered {:?} busy {:?}\n", g.id, self.tp_name(tp), o, g.committed[pi], st.map(|x| x.position), st.map(|x| x.fetching), st.map(|x| x.buffer.len()), o.map(|o| g.members[o as usize].busy));
            }
        }
        s += &format!("controller {:?} fenced {:?}\n", self.quorum.active, self.quorum.fenced);
        for l in self.log.lines.iter().rev().take(15).collect::<Vec<_>>().into_iter().rev() {
            s += &format!("{:>10} {}\n", l.t_us / 1000, l.text);
        }
        s
    }
}

/// Memory held by the logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Storage {
    /// Distinct records retained (each counted once however many replicas hold it).
    pub records: u64,
    /// Bytes of log memory: record data (shared between replicas) plus every replica's batch headers.
    pub bytes: u64,
}

impl Sim {
    pub fn storage(&self) -> Storage {
        use super::log::{Batch, Compacted, Rec};
        let mut st = Storage::default();
        // Replicas share batches (and a batch its records): count each allocation once, plus one
        // pointer per batch per replica.
        let mut batches: Vec<(*const Batch, u64)> = Vec::new();
        let mut blocks: Vec<(*const Rec, u64)> = Vec::new();
        let mut offsets: Vec<(*const Compacted, u64)> = Vec::new();
        for r in &self.replicas {
            st.bytes += (r.log.batches.len() * std::mem::size_of::<Rc<Batch>>()) as u64;
            for b in &r.log.batches {
                // A lone record is held inline in the batch and counted with it.
                batches.push((Rc::as_ptr(b), b.block.recs.shared().is_none() as u64));
                if let Some(v) = b.block.recs.shared() {
                    blocks.push((v.as_ptr(), v.len() as u64));
                }
                if let Some(c) = &b.compacted {
                    offsets.push((Rc::as_ptr(c), c.offsets.len() as u64));
                }
            }
        }
        batches.sort_unstable();
        batches.dedup();
        blocks.sort_unstable();
        blocks.dedup();
        offsets.sort_unstable();
        offsets.dedup();
        // An `Rc` allocation is its two counts (16 bytes) and the value.
        st.bytes += (batches.len() * (16 + std::mem::size_of::<Batch>())) as u64;
        st.records += batches.iter().map(|b| b.1).sum::<u64>();
        for (_, n) in blocks {
            st.records += n;
            st.bytes += 16 + n * std::mem::size_of::<Rec>() as u64;
        }
        // Offsets kept by compaction: the shared `Compacted` and its vector.
        for (_, n) in offsets {
            st.bytes += (16 + std::mem::size_of::<Compacted>()) as u64 + n * 8;
        }
        st
    }
}
