//! `QueueSim`: the queue design. The same scenario as `Sim` (producers, consumer groups, timeline)
//! runs on a RabbitMQ-style broker instead of a log: every producer publishes to an exchange named
//! after its topic; every consumer group is a queue of its name bound to the exchanges of the topics
//! it subscribes to (fanout by default, so each group gets every message as each Kafka group does);
//! the group's members compete for the queue's messages under a prefetch limit (`basic.qos`), and a
//! message is deleted when it is acknowledged. There is no offset, so nothing can be replayed: a
//! queue created later (`add_consumer_group`) sees only what is published after it exists.
//!
//! It shares the kernel with `Sim` and keeps its guarantees: integer virtual time, one `EventQueue`
//! ordered by (time, insertion), one root `ChaCha8Rng` from the seed with sub-generators drawn in a
//! fixed order (producers, then queues, then queues added later in event order), `libm` for `ln`,
//! ordered maps only, and a `TraceHash` folded over every processed event.
//!
//! What is modelled (RabbitMQ 3.13/4.x): publisher confirms (a copy routed to several queues is
//! confirmed when every queue accepted it; a nack if one refused it); classic queues on one node
//! (durable queues keep persistent messages, ready and unacknowledged, across a node crash; transient
//! messages and non-durable queues are lost with the node); quorum queues on three nodes (or every
//! node of a smaller cluster) with a leader: a message is enqueued and confirmed once a majority
//! holds it (one round trip to a follower), and a crashed leader is replaced after
//! `leader.election.ms` with nothing committed lost; round-robin delivery to consumers with prefetch
//! room; ack, nack with requeue (the message goes back to the head and is flagged `redelivered`),
//! reject (dead-letter); `x-delivery-limit` (quorum only), `x-message-ttl` (expiry at the head),
//! `x-max-length` with `x-overflow`, `x-dead-letter-exchange`; consumer crash (its unacknowledged
//! messages are requeued once the broker sees the connection close, one network delay later).
//!
//! Simplified, and said so in the README: every link has the network's `latency_ms` (no jitter, no
//! per-link overrides, no loss); disk writes are instantaneous; a producer does not republish a
//! nacked or unconfirmed message (it counts as failed); consumers connect to the node of their
//! queue's leader; network partitions between nodes and the KRaft controller actions have no
//! equivalent and are logged and ignored, as is `reset_offsets` (a queue cannot rewind).

use std::collections::{BTreeMap, VecDeque};

use hdrhistogram::Histogram;

use super::kernel::{exp_us, ms_to_us, rng_from_seed, sub_rng, unit, EventQueue, SimRng, SimTime, TraceHash, US_PER_MS, Traced};
use super::workload::{arrival_gap_us, KeyDraw};
use crate::scenario::{
    Acks, Action, Arrival, BrokerRef, ExchangeType, FailurePolicy, GroupSpec, KeySpec, Overflow, ProcessingSpec, QueueType, Scenario,
};

/// The routing key of a message without a key.
const NULL_KEY: u32 = u32::MAX;
/// Per-message bytes beyond the value, as the log design counts them (headers; 8 more with a key).
const RECORD_OVERHEAD: u32 = 20;
/// The bounded list of notable events kept for views and tests.
const MAX_NOTES: usize = 2_000;
/// Quorum queues are placed on this many nodes (RabbitMQ's default initial group size).
const QUORUM_SIZE: u32 = 3;
/// RabbitMQ 4.0's default `x-delivery-limit` for quorum queues.
const DEFAULT_DELIVERY_LIMIT: u32 = 20;

const SENT: u8 = 1;
const ACKED: u8 = 2;
const FAILED: u8 = 4;
const CONSUMED: u8 = 8;
const LOST: u8 = 16;
const ROUTED: u8 = 32;

/// One message copy in one queue.
#[derive(Clone, Debug)]
pub struct Msg {
    pub producer: u32,
    pub seq: u32,
    pub key: u32,
    pub sent_us: SimTime,
    pub enqueued_us: SimTime,
    /// How many times it was delivered; above 1 the delivery carries `redelivered`.
    pub deliveries: u32,
    pub persistent: bool,
    pub bytes: u32,
}

/// What a consumer tells the broker about a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// `basic.ack`: done, delete it.
    Ack,
    /// `basic.nack` with requeue: put it back (flagged redelivered), unless the delivery limit is hit.
    Requeue,
    /// `basic.reject` without requeue: dead-letter it.
    Reject,
}

/// Everything that can happen in the queue design. One closed enum, handled by one `match`.
#[derive(Clone, Debug)]
enum Event {
    Timeline { index: u32 },
    SpikeEnd { producer: u32, token: u64 },
    Arrival { producer: u32, token: u64 },
    /// A published copy reaches its queue's node (the leader for a quorum queue).
    PublishArrive { queue: u32, msg: Box<Msg> },
    /// A quorum queue's follower acknowledged the append: the copy is committed if the term held.
    QuorumCommit { queue: u32, term: u64, msg: Box<Msg> },
    /// The broker's confirm (or nack) of one copy reaches the producer.
    Confirm { producer: u32, seq: u32, ok: bool },
    Deliver { queue: u32, consumer: u32, incarnation: u32, tag: u64, msg: Box<Msg> },
    ProcessDone { queue: u32, consumer: u32, incarnation: u32 },
    SettleArrive { queue: u32, tag: u64, how: Settle },
    /// The broker sees a consumer's connection close.
    ConsumerGone { queue: u32, consumer: u32 },
    /// A consumer's `basic.consume` reaches the queue.
    Subscribe { queue: u32, consumer: u32, incarnation: u32 },
    TtlCheck { queue: u32 },
    Election { queue: u32 },
}

impl Traced for Event {
    fn trace_word(&self) -> u64 {
        (self.kind() << 56) ^ self.subject()
    }
}

impl Event {
    fn kind(&self) -> u64 {
        match self {
            Event::Timeline { .. } => 1,
            Event::SpikeEnd { .. } => 2,
            Event::Arrival { .. } => 3,
            Event::PublishArrive { .. } => 4,
            Event::QuorumCommit { .. } => 5,
            Event::Confirm { .. } => 6,
            Event::Deliver { .. } => 7,
            Event::ProcessDone { .. } => 8,
            Event::SettleArrive { .. } => 9,
            Event::ConsumerGone { .. } => 10,
            Event::Subscribe { .. } => 11,
            Event::TtlCheck { .. } => 12,
            Event::Election { .. } => 13,
        }
    }
    fn subject(&self) -> u64 {
        match self {
            Event::Timeline { index } => *index as u64,
            Event::SpikeEnd { producer, .. } | Event::Arrival { producer, .. } => *producer as u64,
            Event::PublishArrive { queue, msg } | Event::QuorumCommit { queue, msg, .. } => ((*queue as u64) << 48) ^ ((msg.producer as u64) << 32) ^ msg.seq as u64,
            Event::Confirm { producer, seq, ok } => ((*producer as u64) << 33) ^ ((*seq as u64) << 1) ^ *ok as u64,
            Event::Deliver { queue, tag, .. } | Event::SettleArrive { queue, tag, .. } => ((*queue as u64) << 48) ^ tag,
            Event::ProcessDone { queue, consumer, .. } | Event::ConsumerGone { queue, consumer } | Event::Subscribe { queue, consumer, .. } => ((*queue as u64) << 32) | *consumer as u64,
            Event::TtlCheck { queue } | Event::Election { queue } => *queue as u64,
        }
    }
}

struct QProducer {
    name: String,
    exchange: String,
    base_rate: f64,
    rate: f64,
    arrival: Arrival,
    keys: KeyDraw,
    rng: SimRng,
    seq: u32,
    token: u64,
    spike_token: u64,
    confirms: bool,
    bytes: u32,
    /// Sequence → copies not yet confirmed, and whether one was refused.
    pending: BTreeMap<u32, (u32, bool)>,
    /// Status bits per sequence number.
    status: Vec<u8>,
}

impl QProducer {
    fn next_key(&mut self) -> u32 {
        self.keys.next(&mut self.rng).unwrap_or(NULL_KEY)
    }
    fn interval_us(&mut self) -> SimTime {
        arrival_gap_us(self.arrival, self.rate, &mut self.rng)
    }
}

/// One consumer (a group member): its channel on the broker side and its client side.
struct QConsumer {
    alive: bool,
    removed: bool,
    incarnation: u32,
    /// Broker side: the broker delivers to it.
    subscribed: bool,
    /// Broker side: deliveries not yet settled.
    unacked: u32,
    /// Client side: deliveries received, not yet processed.
    buffer: VecDeque<(u64, Msg)>,
    /// Client side: the delivery being processed.
    current: Option<(u64, Msg)>,
    slow: f64,
    /// Deliveries received over the run.
    received: u64,
}

impl QConsumer {
    fn new() -> QConsumer {
        QConsumer { alive: true, removed: false, incarnation: 0, subscribed: false, unacked: 0, buffer: VecDeque::new(), current: None, slow: 1.0, received: 0 }
    }
}

/// One queue's counters, as the report shows them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct QueueStats {
    pub delivered: u64,
    /// Deliveries flagged `redelivered` (the message was delivered before).
    pub redelivered: u64,
    pub acked: u64,
    /// Messages processed a second time by this queue's consumers.
    pub processed_twice: u64,
    pub failed_tries: u64,
    pub requeued: u64,
    pub skipped: u64,
    /// Moved to the dead-letter exchange (delivery limit, reject, expiry or overflow with a DLX).
    pub dead_lettered: u64,
    /// Over the delivery limit, rejected, expired or overflowing without a dead-letter exchange.
    pub discarded: u64,
    pub expired: u64,
    /// Ready messages dropped from the head by `x-overflow: drop-head`.
    pub dropped_overflow: u64,
    /// Publishes refused by `reject-publish` / `reject-publish-dlx`.
    pub rejected_overflow: u64,
    /// Message copies lost when the queue's node crashed (transient messages, non-durable queues).
    pub lost_in_crash: u64,
    pub order_violations: u64,
    /// Largest depth (ready + unacknowledged) seen.
    pub depth_max: u64,
    pub leader_changes: u64,
}

struct QueueState {
    name: String,
    exchanges: Vec<String>,
    bindings: Option<Vec<String>>,
    qtype: QueueType,
    durable: bool,
    ttl_us: Option<SimTime>,
    max_length: Option<u64>,
    overflow: Overflow,
    /// Deliveries after which a returned message is dead-lettered (quorum queues); None: never.
    delivery_limit: Option<u32>,
    dlx: bool,
    prefetch: u32,
    processing: ProcessingSpec,
    fail_rate: f64,
    poison: Vec<u32>,
    policy: FailurePolicy,
    /// The nodes holding the queue (one for classic), in placement order.
    nodes: Vec<u32>,
    leader: Option<u32>,
    term: u64,
    election_pending: bool,
    ready: VecDeque<Msg>,
    unacked: BTreeMap<u64, (u32, Msg)>,
    next_tag: u64,
    consumers: Vec<QConsumer>,
    rr: u32,
    rng: SimRng,
    ttl_armed: Option<SimTime>,
    dlq_messages: u64,
    dlq_bytes: u64,
    /// Per producer: bitset of sequences this queue processed.
    processed: Vec<Vec<u64>>,
    /// (producer, key) → highest sequence processed, for per-key order.
    last_seq: BTreeMap<(u32, u32), u32>,
    stats: QueueStats,
}

impl QueueState {
    fn depth(&self) -> u64 {
        (self.ready.len() + self.unacked.len()) as u64
    }
    fn available(&self) -> bool {
        self.leader.is_some()
    }
}

/// A queue's state for views and tests.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueView {
    pub name: String,
    pub queue_type: QueueType,
    pub nodes: Vec<u32>,
    pub leader: Option<u32>,
    pub ready: u64,
    pub unacked: u64,
    pub dead_letter_queue: u64,
    /// Per consumer: deliveries received over the run.
    pub consumer_deliveries: Vec<u64>,
    pub stats: QueueStats,
}

/// The queue design's simulated system.
pub struct QueueSim {
    pub(crate) scenario: Scenario,
    pub(crate) now: SimTime,
    pub(crate) end: SimTime,
    queue: EventQueue<Event>,
    pub(crate) hash: TraceHash,
    pub(crate) events: u64,
    rng: SimRng,
    latency: SimTime,
    /// Per node: up (process running) and isolated (cut off from everyone).
    up: Vec<bool>,
    isolated: Vec<bool>,
    crashed: Vec<u32>,
    producers: Vec<QProducer>,
    queues: Vec<QueueState>,
    pub(crate) e2e: Histogram<u64>,
    pub(crate) sent: u64,
    pub(crate) acked: u64,
    pub(crate) failed: u64,
    pub(crate) delivered: u64,
    pub(crate) unique: u64,
    pub(crate) unroutable: u64,
    notes: Vec<(SimTime, String)>,
    pub(crate) ignored_actions: u64,
}

fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("valid bounds");
    h.auto(true);
    h
}

/// `key-17` → 17; `hot` is key 0 (the hot key of a `hot` distribution).
fn key_index(name: &str) -> Option<u32> {
    if name == "hot" {
        return Some(0);
    }
    name.strip_prefix("key-")?.parse().ok()
}

/// The routing key of a record: its key's name, or empty for a null key.
fn routing_key(key: u32) -> String {
    if key == NULL_KEY {
        String::new()
    } else {
        super::producer::key_name(key)
    }
}

/// AMQP topic matching: words split on '.', `*` is exactly one word, `#` zero or more.
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match p.split_first() {
            None => k.is_empty(),
            Some((&"#", rest)) => (0..=k.len()).any(|i| go(rest, &k[i..])),
            Some((&w, rest)) => match k.split_first() {
                Some((&kw, krest)) => (w == "*" || w == kw) && go(rest, krest),
                None => false,
            },
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = if key.is_empty() { Vec::new() } else { key.split('.').collect() };
    go(&p, &k)
}

impl QueueSim {
    /// Build the broker for a validated scenario, at time zero.
    pub fn new(scenario: &Scenario) -> QueueSim {
        let mut rng = rng_from_seed(scenario.seed);
        let nodes = scenario.cluster.brokers.max(1);
        let mut sim = QueueSim {
            scenario: scenario.clone(),
            now: 0,
            end: scenario.duration_ms.saturating_mul(US_PER_MS),
            queue: EventQueue::default(),
            hash: TraceHash::default(),
            events: 0,
            latency: ms_to_us(scenario.cluster.network.latency_ms),
            up: vec![true; nodes as usize],
            isolated: vec![false; nodes as usize],
            crashed: Vec::new(),
            producers: Vec::new(),
            queues: Vec::new(),
            e2e: histogram(),
            sent: 0,
            acked: 0,
            failed: 0,
            delivered: 0,
            unique: 0,
            unroutable: 0,
            notes: Vec::new(),
            ignored_actions: 0,
            rng: rng_from_seed(0),
        };
        sim.hash.fold(scenario.seed);
        // A different first fold from the log design, so the two designs never share a hash.
        sim.hash.fold(0x9_0e0e);
        for spec in &scenario.producers {
            let keyed = !matches!(spec.keys, KeySpec::None);
            let confirms = scenario.queue.publisher_confirms && spec.config.acks != Acks::Zero;
            sim.producers.push(QProducer {
                name: spec.name.clone(),
                exchange: spec.topic.clone(),
                base_rate: spec.rate_per_sec,
                rate: spec.rate_per_sec,
                arrival: spec.arrival,
                keys: KeyDraw::new(spec.keys.clone()),
                rng: sub_rng(&mut rng),
                seq: 0,
                token: 0,
                spike_token: 0,
                confirms,
                bytes: spec.value_bytes + RECORD_OVERHEAD + if keyed { 8 } else { 0 },
                pending: BTreeMap::new(),
                status: Vec::new(),
            });
        }
        sim.rng = rng;
        for g in &scenario.consumer_groups.clone() {
            sim.add_queue(g);
        }
        for p in 0..sim.producers.len() as u32 {
            sim.restart_arrivals(p);
        }
        for (i, entry) in scenario.timeline.iter().enumerate() {
            sim.queue.push(entry.at_ms.saturating_mul(US_PER_MS), Event::Timeline { index: i as u32 });
        }
        sim
    }

    super::kernel::run_loop!();

    /// Apply an action now (as a timeline entry would).
    pub fn apply(&mut self, action: Action) {
        self.hash.fold(0xac710 ^ self.now);
        self.apply_action(&action);
    }

    /// Notable events in words (crashes, elections, dead letters), oldest first; bounded.
    pub fn notes(&self) -> &[(SimTime, String)] {
        &self.notes
    }

    /// Every queue's state, in creation order.
    pub fn queue_views(&self) -> Vec<QueueView> {
        self.queues
            .iter()
            .map(|q| QueueView {
                name: q.name.clone(),
                queue_type: q.qtype,
                nodes: q.nodes.clone(),
                leader: q.leader,
                ready: q.ready.len() as u64,
                unacked: q.unacked.len() as u64,
                dead_letter_queue: q.dlq_messages,
                consumer_deliveries: q.consumers.iter().map(|c| c.received).collect(),
                stats: q.stats.clone(),
            })
            .collect()
    }

    fn note(&mut self, text: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push((self.now, text));
        }
    }

    fn at(&mut self, t: SimTime, ev: Event) {
        self.queue.push(t, ev);
    }

    fn reachable(&self, n: u32) -> bool {
        self.up.get(n as usize).copied().unwrap_or(false) && !self.isolated[n as usize]
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Timeline { index } => {
                let action = self.scenario.timeline[index as usize].action.clone();
                self.apply_action(&action);
            }
            Event::SpikeEnd { producer, token } => {
                let p = &mut self.producers[producer as usize];
                if p.spike_token == token {
                    p.rate = p.base_rate;
                    self.restart_arrivals(producer);
                }
            }
            Event::Arrival { producer, token } => self.on_arrival(producer, token),
            Event::PublishArrive { queue, msg } => self.on_publish_arrive(queue, *msg),
            Event::QuorumCommit { queue, term, msg } => self.on_quorum_commit(queue, term, *msg),
            Event::Confirm { producer, seq, ok } => self.on_confirm(producer, seq, ok),
            Event::Deliver { queue, consumer, incarnation, tag, msg } => self.on_deliver(queue, consumer, incarnation, tag, *msg),
            Event::ProcessDone { queue, consumer, incarnation } => self.on_process_done(queue, consumer, incarnation),
            Event::SettleArrive { queue, tag, how } => self.on_settle(queue, tag, how),
            Event::ConsumerGone { queue, consumer } => self.on_consumer_gone(queue, consumer),
            Event::Subscribe { queue, consumer, incarnation } => self.on_subscribe(queue, consumer, incarnation),
            Event::TtlCheck { queue } => {
                self.queues[queue as usize].ttl_armed = None;
                self.expire_head(queue);
                self.dispatch_queue(queue);
            }
            Event::Election { queue } => self.on_election(queue),
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Queues
    // -----------------------------------------------------------------------------------------------

    fn add_queue(&mut self, g: &GroupSpec) {
        let qs = &self.scenario.queue;
        let args = qs.args_for(&g.group_id);
        let qtype = args.queue_type.unwrap_or_default();
        let n = self.up.len() as u32;
        let qi = self.queues.len() as u32;
        // Placement: queue i's (first) node is i mod nodes, the way RabbitMQ 4's `balanced` locator
        // spreads leaders; a quorum queue's members are the next nodes round the ring.
        let size = match qtype {
            QueueType::Classic => 1,
            QueueType::Quorum => QUORUM_SIZE.min(n),
        };
        let nodes: Vec<u32> = (0..size).map(|k| (qi + k) % n).collect();
        let delivery_limit = match (qtype, args.delivery_limit) {
            (QueueType::Classic, _) => None,
            (QueueType::Quorum, None) => Some(DEFAULT_DELIVERY_LIMIT),
            (QueueType::Quorum, Some(l)) if l < 0 => None,
            (QueueType::Quorum, Some(l)) => Some(l as u32),
        };
        let (fail_rate, poison, policy) = match &g.failures {
            Some(f) => (f.rate, f.poison_keys.iter().filter_map(|k| key_index(k)).collect(), f.policy.clone()),
            None => (0.0, Vec::new(), FailurePolicy::Retry),
        };
        let mut q = QueueState {
            name: g.group_id.clone(),
            exchanges: g.topics.clone(),
            bindings: args.binding_keys.clone(),
            qtype,
            durable: args.durable.unwrap_or(true) || qtype == QueueType::Quorum,
            ttl_us: args.message_ttl_ms.map(|ms| ms.saturating_mul(US_PER_MS)),
            max_length: args.max_length,
            overflow: args.overflow.unwrap_or_default(),
            delivery_limit,
            dlx: args.dead_letter_exchange.is_some(),
            prefetch: g.config.prefetch.unwrap_or(qs.prefetch),
            processing: g.processing_ms.clone(),
            fail_rate,
            poison,
            policy,
            nodes: nodes.clone(),
            leader: None,
            term: 1,
            election_pending: false,
            ready: VecDeque::new(),
            unacked: BTreeMap::new(),
            next_tag: 1,
            consumers: Vec::new(),
            rr: 0,
            rng: sub_rng(&mut self.rng),
            ttl_armed: None,
            dlq_messages: 0,
            dlq_bytes: 0,
            processed: vec![Vec::new(); self.producers.len()],
            last_seq: BTreeMap::new(),
            stats: QueueStats::default(),
        };
        q.leader = self.pick_leader(&q.nodes);
        self.queues.push(q);
        for _ in 0..g.members {
            self.add_consumer(qi);
        }
    }

    /// The first reachable member, when a majority of the members is reachable.
    fn pick_leader(&self, nodes: &[u32]) -> Option<u32> {
        let live = nodes.iter().filter(|&&n| self.reachable(n)).count();
        if live * 2 > nodes.len() {
            nodes.iter().copied().find(|&n| self.reachable(n))
        } else {
            None
        }
    }

    fn add_consumer(&mut self, q: u32) {
        let c = self.queues[q as usize].consumers.len() as u32;
        self.queues[q as usize].consumers.push(QConsumer::new());
        self.at(self.now + self.latency, Event::Subscribe { queue: q, consumer: c, incarnation: 0 });
    }

    fn on_subscribe(&mut self, q: u32, c: u32, incarnation: u32) {
        let qs = &mut self.queues[q as usize];
        let available = qs.available();
        let cons = &mut qs.consumers[c as usize];
        if !cons.alive || cons.incarnation != incarnation || !available {
            // Not there, or the queue is down: the client subscribes again when the queue is back.
            return;
        }
        cons.subscribed = true;
        self.dispatch_queue(q);
    }

    /// Deliver ready messages to consumers with prefetch room, round robin.
    fn dispatch_queue(&mut self, q: u32) {
        let now = self.now;
        let latency = self.latency;
        if !self.queues[q as usize].available() {
            return;
        }
        loop {
            self.expire_head(q);
            let qs = &mut self.queues[q as usize];
            if qs.ready.is_empty() {
                break;
            }
            let n = qs.consumers.len() as u32;
            let prefetch = qs.prefetch;
            let Some(c) = (0..n).map(|k| (qs.rr + k) % n).find(|&c| {
                let x = &qs.consumers[c as usize];
                x.subscribed && (prefetch == 0 || x.unacked < prefetch)
            }) else {
                break;
            };
            let Some(mut msg) = qs.ready.pop_front() else { break };
            msg.deliveries += 1;
            qs.stats.delivered += 1;
            if msg.deliveries > 1 {
                qs.stats.redelivered += 1;
            }
            let tag = qs.next_tag;
            qs.next_tag += 1;
            qs.rr = (c + 1) % n;
            let cons = &mut qs.consumers[c as usize];
            cons.unacked += 1;
            let incarnation = cons.incarnation;
            qs.unacked.insert(tag, (c, msg.clone()));
            self.queue.push(now + latency, Event::Deliver { queue: q, consumer: c, incarnation, tag, msg: Box::new(msg) });
        }
    }

    /// Expire messages at the head whose TTL ran out, and arm a check for the next head.
    fn expire_head(&mut self, q: u32) {
        let now = self.now;
        let Some(ttl) = self.queues[q as usize].ttl_us else { return };
        if !self.queues[q as usize].available() {
            return;
        }
        while let Some(m) = self.queues[q as usize].ready.front() {
            if m.enqueued_us.saturating_add(ttl) > now {
                break;
            }
            let Some(m) = self.queues[q as usize].ready.pop_front() else { break };
            self.queues[q as usize].stats.expired += 1;
            self.dead_letter(q, m);
        }
        let qs = &mut self.queues[q as usize];
        if let Some(m) = qs.ready.front() {
            let due = m.enqueued_us.saturating_add(ttl);
            if qs.ttl_armed.is_none_or(|t| t > due) {
                qs.ttl_armed = Some(due);
                self.queue.push(due, Event::TtlCheck { queue: q });
            }
        }
    }

    /// To the dead-letter exchange if the queue has one, else dropped.
    fn dead_letter(&mut self, q: u32, m: Msg) {
        let qs = &mut self.queues[q as usize];
        if qs.dlx {
            qs.stats.dead_lettered += 1;
            qs.dlq_messages += 1;
            qs.dlq_bytes += m.bytes as u64;
        } else {
            qs.stats.discarded += 1;
        }
    }

    fn track_depth(&mut self, q: u32) {
        let qs = &mut self.queues[q as usize];
        let d = qs.depth();
        if d > qs.stats.depth_max {
            qs.stats.depth_max = d;
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Publishing
    // -----------------------------------------------------------------------------------------------

    fn restart_arrivals(&mut self, p: u32) {
        let pr = &mut self.producers[p as usize];
        pr.token += 1;
        let token = pr.token;
        if pr.rate <= 0.0 {
            return;
        }
        let dt = pr.interval_us();
        self.at(self.now + dt, Event::Arrival { producer: p, token });
    }

    fn routes(&self, exchange: &str, key: u32) -> Vec<u32> {
        let rk = routing_key(key);
        let ty = self.scenario.queue.exchange_type;
        self.queues
            .iter()
            .enumerate()
            .filter(|(_, q)| q.exchanges.iter().any(|e| e == exchange))
            .filter(|(_, q)| match ty {
                ExchangeType::Fanout => true,
                ExchangeType::Direct => q.bindings.as_ref().is_some_and(|b| b.contains(&rk)),
                ExchangeType::Topic => match &q.bindings {
                    None => true,
                    Some(b) => b.iter().any(|k| topic_matches(k, &rk)),
                },
            })
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn on_arrival(&mut self, p: u32, token: u64) {
        let now = self.now;
        let pr = &mut self.producers[p as usize];
        if pr.token != token {
            return;
        }
        let key = pr.next_key();
        let seq = pr.seq;
        pr.seq += 1;
        pr.status.push(SENT);
        let confirms = pr.confirms;
        let msg = Msg { producer: p, seq, key, sent_us: now, enqueued_us: now, deliveries: 0, persistent: self.scenario.queue.persistent, bytes: pr.bytes };
        let exchange = pr.exchange.clone();
        self.sent += 1;
        let targets = self.routes(&exchange, key);
        if targets.is_empty() {
            self.unroutable += 1;
        } else {
            self.producers[p as usize].status[seq as usize] |= ROUTED;
        }
        if confirms && !targets.is_empty() {
            self.producers[p as usize].pending.insert(seq, (targets.len() as u32, false));
        } else {
            // Fire and forget, or unroutable (the broker confirms a message it routes nowhere):
            // acknowledged now.
            self.producers[p as usize].status[seq as usize] |= ACKED;
            self.acked += 1;
        }
        for q in targets {
            self.at(now + self.latency, Event::PublishArrive { queue: q, msg: Box::new(msg.clone()) });
        }
        let dt = self.producers[p as usize].interval_us();
        self.at(now + dt, Event::Arrival { producer: p, token });
    }

    fn confirm(&mut self, p: u32, seq: u32, ok: bool) {
        // Whether the publish waits for a confirm was decided when it was sent (confirms can be
        // switched by `set_producer_acks` in between).
        if self.producers[p as usize].pending.contains_key(&seq) {
            self.at(self.now + self.latency, Event::Confirm { producer: p, seq, ok });
        } else if !ok {
            // Fire and forget: the producer never hears; the message was acknowledged and is gone.
            self.producers[p as usize].status[seq as usize] |= LOST;
        }
    }

    fn on_publish_arrive(&mut self, q: u32, msg: Msg) {
        let qs = &self.queues[q as usize];
        if qs.leader.is_none() {
            return self.confirm(msg.producer, msg.seq, false);
        }
        match qs.qtype {
            QueueType::Classic => {
                let ok = self.enqueue(q, msg.clone());
                self.confirm(msg.producer, msg.seq, ok);
            }
            QueueType::Quorum => {
                // The leader appends and replicates; a follower's answer one round trip later makes a
                // majority of three (leader and one follower). Disk writes are instantaneous.
                let term = qs.term;
                self.at(self.now + 2 * self.latency, Event::QuorumCommit { queue: q, term, msg: Box::new(msg) });
            }
        }
    }

    fn on_quorum_commit(&mut self, q: u32, term: u64, msg: Msg) {
        let qs = &self.queues[q as usize];
        if qs.term != term || qs.leader.is_none() {
            // The leader that appended it is gone before a majority had it: never confirmed.
            return self.confirm(msg.producer, msg.seq, false);
        }
        let ok = self.enqueue(q, msg.clone());
        self.confirm(msg.producer, msg.seq, ok);
    }

    /// Put a published copy in the queue, applying `x-max-length`; false when it is refused.
    fn enqueue(&mut self, q: u32, mut msg: Msg) -> bool {
        msg.enqueued_us = self.now;
        let qs = &mut self.queues[q as usize];
        if let Some(max) = qs.max_length {
            if qs.ready.len() as u64 >= max {
                match qs.overflow {
                    Overflow::DropHead => {
                        qs.stats.dropped_overflow += 1;
                        // With room for nothing, the new message itself is the head.
                        let head = if max == 0 { Some(msg.clone()) } else { qs.ready.pop_front() };
                        if let Some(h) = head {
                            self.dead_letter(q, h);
                        }
                        if max == 0 {
                            return true;
                        }
                    }
                    Overflow::RejectPublish => {
                        qs.stats.rejected_overflow += 1;
                        return false;
                    }
                    Overflow::RejectPublishDlx => {
                        qs.stats.rejected_overflow += 1;
                        self.dead_letter(q, msg);
                        return false;
                    }
                }
            }
        }
        self.queues[q as usize].ready.push_back(msg);
        self.track_depth(q);
        self.dispatch_queue(q);
        true
    }

    fn on_confirm(&mut self, p: u32, seq: u32, ok: bool) {
        let pr = &mut self.producers[p as usize];
        let Some(entry) = pr.pending.get_mut(&seq) else { return };
        entry.0 -= 1;
        entry.1 |= !ok;
        if entry.0 > 0 {
            return;
        }
        let failed = entry.1;
        pr.pending.remove(&seq);
        if failed {
            pr.status[seq as usize] |= FAILED;
            self.failed += 1;
        } else {
            pr.status[seq as usize] |= ACKED;
            self.acked += 1;
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Consuming
    // -----------------------------------------------------------------------------------------------

    fn on_deliver(&mut self, q: u32, c: u32, incarnation: u32, tag: u64, msg: Msg) {
        let cons = &mut self.queues[q as usize].consumers[c as usize];
        if !cons.alive || cons.incarnation != incarnation {
            return;
        }
        cons.received += 1;
        cons.buffer.push_back((tag, msg));
        if cons.current.is_none() {
            self.start_next(q, c);
        }
    }

    fn start_next(&mut self, q: u32, c: u32) {
        let now = self.now;
        let qs = &mut self.queues[q as usize];
        let cons = &mut qs.consumers[c as usize];
        let Some(next) = cons.buffer.pop_front() else { return };
        let mean_us = match qs.processing {
            ProcessingSpec::Constant { mean } | ProcessingSpec::Exponential { mean } => mean * 1000.0 * cons.slow,
        };
        let t = match qs.processing {
            ProcessingSpec::Constant { .. } => ms_to_us(mean_us / 1000.0),
            ProcessingSpec::Exponential { .. } => exp_us(&mut qs.rng, mean_us),
        };
        cons.current = Some(next);
        let incarnation = cons.incarnation;
        self.queue.push(now + t, Event::ProcessDone { queue: q, consumer: c, incarnation });
    }

    fn on_process_done(&mut self, q: u32, c: u32, incarnation: u32) {
        let now = self.now;
        let qs = &mut self.queues[q as usize];
        let cons = &mut qs.consumers[c as usize];
        if !cons.alive || cons.incarnation != incarnation {
            return;
        }
        let Some((tag, msg)) = cons.current.take() else { return };
        let fails = qs.poison.contains(&msg.key) || (qs.fail_rate > 0.0 && unit(&mut qs.rng) < qs.fail_rate);
        let how = if fails {
            qs.stats.failed_tries += 1;
            match qs.policy {
                FailurePolicy::Retry | FailurePolicy::Stop => Settle::Requeue,
                FailurePolicy::Skip => {
                    qs.stats.skipped += 1;
                    Settle::Ack
                }
                FailurePolicy::DeadLetter => Settle::Reject,
            }
        } else {
            self.record_processed(q, &msg, now);
            Settle::Ack
        };
        self.at(now + self.latency, Event::SettleArrive { queue: q, tag, how });
        self.start_next(q, c);
    }

    /// A consumer finished a message: latency, first or second time, per-key order.
    fn record_processed(&mut self, q: u32, msg: &Msg, now: SimTime) {
        self.delivered += 1;
        self.e2e.record(now.saturating_sub(msg.sent_us).clamp(1, 3_600_000_000)).ok();
        self.producers[msg.producer as usize].status[msg.seq as usize] |= CONSUMED;
        let qs = &mut self.queues[q as usize];
        let bits = &mut qs.processed[msg.producer as usize];
        let (w, mask) = ((msg.seq / 64) as usize, 1u64 << (msg.seq % 64));
        if bits.len() <= w {
            bits.resize(w + 1, 0);
        }
        if bits[w] & mask != 0 {
            qs.stats.processed_twice += 1;
        } else {
            bits[w] |= mask;
            self.unique += 1;
        }
        if msg.key != NULL_KEY {
            let last = qs.last_seq.entry((msg.producer, msg.key)).or_insert(msg.seq);
            if msg.seq < *last {
                qs.stats.order_violations += 1;
            } else {
                *last = msg.seq;
            }
        }
    }

    fn on_settle(&mut self, q: u32, tag: u64, how: Settle) {
        let qs = &mut self.queues[q as usize];
        if !qs.available() {
            return;
        }
        // A tag from before a crash or failover is gone: its message was requeued.
        let Some((c, mut msg)) = qs.unacked.remove(&tag) else { return };
        let cons = &mut qs.consumers[c as usize];
        cons.unacked = cons.unacked.saturating_sub(1);
        match how {
            Settle::Ack => qs.stats.acked += 1,
            Settle::Requeue => {
                if qs.delivery_limit.is_some_and(|l| msg.deliveries >= l) {
                    let text = format!("queue {}: message {}/{} returned after {} deliveries (x-delivery-limit), dead-lettered", qs.name, msg.producer, msg.seq, msg.deliveries);
                    self.dead_letter(q, msg);
                    self.note(text);
                } else {
                    qs.stats.requeued += 1;
                    msg.enqueued_us = msg.enqueued_us.min(self.now);
                    qs.ready.push_front(msg);
                }
            }
            Settle::Reject => self.dead_letter(q, msg),
        }
        self.dispatch_queue(q);
    }

    /// Return every unacknowledged delivery of consumer `c` (or of all, when None) to the head of
    /// the queue in their original order; they will be delivered flagged `redelivered`.
    fn requeue_unacked(&mut self, q: u32, c: Option<u32>) {
        let qs = &mut self.queues[q as usize];
        let tags: Vec<u64> = qs.unacked.iter().filter(|(_, (owner, _))| c.is_none_or(|c| *owner == c)).map(|(t, _)| *t).collect();
        for &t in tags.iter().rev() {
            if let Some((owner, m)) = qs.unacked.remove(&t) {
                qs.consumers[owner as usize].unacked = qs.consumers[owner as usize].unacked.saturating_sub(1);
                qs.ready.push_front(m);
            }
        }
    }

    fn on_consumer_gone(&mut self, q: u32, c: u32) {
        let cons = &mut self.queues[q as usize].consumers[c as usize];
        cons.subscribed = false;
        self.requeue_unacked(q, Some(c));
        self.dispatch_queue(q);
    }

    // -----------------------------------------------------------------------------------------------
    // Nodes
    // -----------------------------------------------------------------------------------------------

    /// Node `n` stops serving: crashed (memory lost) or isolated (memory kept).
    fn node_down(&mut self, n: u32, crash: bool) {
        for q in 0..self.queues.len() as u32 {
            let qs = &self.queues[q as usize];
            if !qs.nodes.contains(&n) {
                continue;
            }
            let was_leader = qs.leader == Some(n);
            let had_leader = qs.leader.is_some();
            let still = self.pick_leader(&qs.nodes.clone());
            match qs.qtype {
                QueueType::Classic => {
                    self.queues[q as usize].leader = None;
                    self.disconnect_consumers(q);
                    self.requeue_unacked(q, None);
                    if crash {
                        self.lose_volatile(q);
                    }
                    let name = self.queues[q as usize].name.clone();
                    self.note(format!("classic queue {name}: node {n} {}, the queue is unavailable", if crash { "crashed" } else { "is cut off" }));
                }
                QueueType::Quorum => {
                    if had_leader && (was_leader || still.is_none()) {
                        let qs = &mut self.queues[q as usize];
                        qs.leader = None;
                        qs.term += 1;
                        self.disconnect_consumers(q);
                        self.requeue_unacked(q, None);
                        let name = self.queues[q as usize].name.clone();
                        self.note(format!("quorum queue {name}: {} lost (node {n} down); election in {} ms", if was_leader { "leader" } else { "majority" }, self.scenario.queue.leader_election_ms));
                        self.schedule_election(q);
                    }
                }
            }
        }
    }

    fn schedule_election(&mut self, q: u32) {
        let qs = &mut self.queues[q as usize];
        if qs.election_pending || qs.leader.is_some() {
            return;
        }
        qs.election_pending = true;
        let t = self.now + ms_to_us(self.scenario.queue.leader_election_ms as f64);
        self.at(t, Event::Election { queue: q });
    }

    fn on_election(&mut self, q: u32) {
        self.queues[q as usize].election_pending = false;
        if self.queues[q as usize].leader.is_some() {
            return;
        }
        let nodes = self.queues[q as usize].nodes.clone();
        let Some(l) = self.pick_leader(&nodes) else {
            // No majority: the next restart schedules another election.
            return;
        };
        let qs = &mut self.queues[q as usize];
        qs.leader = Some(l);
        qs.term += 1;
        qs.stats.leader_changes += 1;
        let name = qs.name.clone();
        self.note(format!("quorum queue {name}: node {l} elected leader"));
        self.resubscribe(q);
        self.expire_head(q);
    }

    /// The queue's node is gone: consumers' channels close. What they were processing finishes (the
    /// side effects happen) but its acknowledgement has nowhere to go.
    fn disconnect_consumers(&mut self, q: u32) {
        for cons in self.queues[q as usize].consumers.iter_mut() {
            cons.subscribed = false;
            cons.buffer.clear();
        }
    }

    /// Consumers still running subscribe again (one network delay).
    fn resubscribe(&mut self, q: u32) {
        let t = self.now + self.latency;
        let subs: Vec<(u32, u32)> = self.queues[q as usize].consumers.iter().enumerate().filter(|(_, c)| c.alive).map(|(i, c)| (i as u32, c.incarnation)).collect();
        for (c, incarnation) in subs {
            self.at(t, Event::Subscribe { queue: q, consumer: c, incarnation });
        }
    }

    /// A classic queue's node crashed: transient messages (and every message of a non-durable
    /// queue) are gone; persistent messages of a durable queue are on disk.
    fn lose_volatile(&mut self, q: u32) {
        let qs = &mut self.queues[q as usize];
        let durable = qs.durable;
        let ready = std::mem::take(&mut qs.ready);
        let mut lost = Vec::new();
        for m in ready {
            if durable && m.persistent {
                qs.ready.push_back(m);
            } else {
                lost.push(m);
            }
        }
        if !durable {
            qs.dlq_messages = 0;
            qs.dlq_bytes = 0;
        }
        qs.stats.lost_in_crash += lost.len() as u64;
        let name = qs.name.clone();
        let n = lost.len();
        for m in lost {
            self.producers[m.producer as usize].status[m.seq as usize] |= LOST;
        }
        if n > 0 {
            self.note(format!("classic queue {name}: {n} messages lost with the node ({})", if durable { "transient" } else { "non-durable queue" }));
        }
    }

    fn node_up(&mut self, n: u32) {
        for q in 0..self.queues.len() as u32 {
            let qs = &self.queues[q as usize];
            if !qs.nodes.contains(&n) || qs.leader.is_some() {
                continue;
            }
            match qs.qtype {
                QueueType::Classic => {
                    self.queues[q as usize].leader = Some(n);
                    let name = self.queues[q as usize].name.clone();
                    let ready = self.queues[q as usize].ready.len();
                    self.note(format!("classic queue {name}: node {n} back with {ready} messages"));
                    self.resubscribe(q);
                    self.expire_head(q);
                }
                QueueType::Quorum => self.schedule_election(q),
            }
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Actions
    // -----------------------------------------------------------------------------------------------

    fn producer_index(&self, name: &str) -> Option<u32> {
        self.producers.iter().position(|p| p.name == name).map(|i| i as u32)
    }
    fn queue_index(&self, name: &str) -> Option<u32> {
        self.queues.iter().position(|q| q.name == name).map(|i| i as u32)
    }

    fn ignore(&mut self, action: &Action, why: &str) {
        self.ignored_actions += 1;
        self.note(format!("{} ignored: {why}", action.name()));
    }

    fn apply_action(&mut self, action: &Action) {
        let n_nodes = self.up.len() as u32;
        match action {
            Action::CrashBroker { broker } => {
                let b = match broker {
                    BrokerRef::Id(b) => Some(*b),
                    BrokerRef::Crashed => self.crashed.last().copied(),
                };
                if let Some(b) = b.filter(|&b| b < n_nodes && self.up[b as usize]) {
                    self.up[b as usize] = false;
                    self.crashed.push(b);
                    self.note(format!("node {b} crashed"));
                    self.node_down(b, true);
                }
            }
            Action::RestartBroker { broker } => {
                let b = match broker {
                    BrokerRef::Id(b) => Some(*b),
                    BrokerRef::Crashed => self.crashed.last().copied(),
                };
                if let Some(b) = b.filter(|&b| b < n_nodes && !self.up[b as usize]) {
                    self.up[b as usize] = true;
                    self.crashed.retain(|&x| x != b);
                    self.note(format!("node {b} restarted"));
                    if !self.isolated[b as usize] {
                        self.node_up(b);
                    }
                }
            }
            Action::CrashLeader { topic, partition } => {
                // No partitions here: crash the node leading the `partition`-th queue (mod their
                // number) bound to the exchange `topic`.
                let bound: Vec<u32> = self.queues.iter().enumerate().filter(|(_, q)| q.exchanges.contains(topic)).map(|(i, _)| i as u32).collect();
                let leader = (!bound.is_empty()).then(|| bound[(*partition as usize) % bound.len()]).and_then(|q| self.queues[q as usize].leader);
                match leader {
                    Some(b) => self.apply_action(&Action::CrashBroker { broker: BrokerRef::Id(b) }),
                    None => self.ignore(action, "no queue with a leader is bound to that exchange"),
                }
            }
            Action::IsolateBroker { broker } => {
                let b = *broker;
                if b < n_nodes && !self.isolated[b as usize] {
                    let serving = self.reachable(b);
                    self.isolated[b as usize] = true;
                    self.note(format!("node {b} cut off"));
                    if serving {
                        self.node_down(b, false);
                    }
                }
            }
            Action::HealNetwork => {
                for b in 0..n_nodes {
                    if self.isolated[b as usize] {
                        self.isolated[b as usize] = false;
                        if self.up[b as usize] {
                            self.node_up(b);
                        }
                    }
                }
            }
            Action::PartitionNetwork { .. } => self.ignore(action, "network partitions between RabbitMQ nodes are not modelled"),
            Action::CrashController { .. } | Action::RestartController { .. } => self.ignore(action, "RabbitMQ has no KRaft controllers"),
            Action::ResetOffsets { .. } => self.ignore(action, "a queue keeps no offsets: acknowledged messages are deleted and cannot be replayed"),
            Action::CrashService { .. } | Action::RestartService { .. } => self.ignore(action, "services belong to the rest and events designs; the queue design has none"),
            Action::SlowConsumer { group, member, factor } => {
                if let Some(c) = self.queue_index(group).and_then(|q| self.queues[q as usize].consumers.get_mut(*member as usize)) {
                    c.slow = factor.max(1.0);
                }
            }
            Action::CrashConsumer { group, member } => {
                let Some(q) = self.queue_index(group) else { return };
                let t = self.now + self.latency;
                if let Some(c) = self.queues[q as usize].consumers.get_mut(*member as usize) {
                    if c.alive {
                        c.alive = false;
                        c.incarnation += 1;
                        c.buffer.clear();
                        c.current = None;
                        // The broker sees the connection close one network delay later.
                        self.at(t, Event::ConsumerGone { queue: q, consumer: *member });
                    }
                }
            }
            Action::RestartConsumer { group, member } => {
                let Some(q) = self.queue_index(group) else { return };
                let t = self.now + self.latency;
                if let Some(c) = self.queues[q as usize].consumers.get_mut(*member as usize) {
                    if !c.alive && !c.removed {
                        c.alive = true;
                        c.incarnation += 1;
                        let incarnation = c.incarnation;
                        self.at(t, Event::Subscribe { queue: q, consumer: *member, incarnation });
                    }
                }
            }
            Action::AddConsumer { group } => {
                if let Some(q) = self.queue_index(group) {
                    self.add_consumer(q);
                }
            }
            Action::RemoveConsumer { group, member } => {
                let Some(q) = self.queue_index(group) else { return };
                let t = self.now + self.latency;
                if let Some(c) = self.queues[q as usize].consumers.get_mut(*member as usize) {
                    if !c.removed {
                        // basic.cancel and close: what it holds unacknowledged goes back.
                        c.removed = true;
                        c.alive = false;
                        c.incarnation += 1;
                        c.buffer.clear();
                        c.current = None;
                        self.at(t, Event::ConsumerGone { queue: q, consumer: *member });
                    }
                }
            }
            Action::TrafficSpike { producer, factor, duration_ms } => {
                if let Some(p) = self.producer_index(producer) {
                    let pr = &mut self.producers[p as usize];
                    pr.rate = pr.base_rate * factor;
                    pr.spike_token += 1;
                    let token = pr.spike_token;
                    self.restart_arrivals(p);
                    self.at(self.now + duration_ms.saturating_mul(US_PER_MS), Event::SpikeEnd { producer: p, token });
                }
            }
            Action::SetProducerRate { producer, rate_per_sec } => {
                if let Some(p) = self.producer_index(producer) {
                    let pr = &mut self.producers[p as usize];
                    pr.base_rate = *rate_per_sec;
                    pr.rate = *rate_per_sec;
                    pr.spike_token += 1;
                    self.restart_arrivals(p);
                }
            }
            Action::SetProducerAcks { producer, acks } => {
                if let Some(p) = self.producer_index(producer) {
                    // acks=0 is fire and forget; 1 and all turn publisher confirms on.
                    self.producers[p as usize].confirms = *acks != Acks::Zero;
                }
            }
            Action::AddConsumerGroup { group } => {
                if self.queue_index(&group.group_id).is_none() {
                    self.add_queue(group);
                    self.note(format!("queue {} declared and bound: it receives what is published from now on", group.group_id));
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Figures
    // -----------------------------------------------------------------------------------------------

    /// Acknowledged (confirmed, or sent without confirms) and then lost by a crash.
    pub fn lost_acked(&self) -> u64 {
        self.producers.iter().flat_map(|p| p.status.iter()).filter(|&&s| s & ACKED != 0 && s & LOST != 0).count() as u64
    }

    /// Acknowledged and routed somewhere, processed by no queue (includes what is still queued).
    pub fn unseen(&self) -> u64 {
        self.producers.iter().flat_map(|p| p.status.iter()).filter(|&&s| s & ACKED != 0 && s & ROUTED != 0 && s & CONSUMED == 0).count() as u64
    }

    /// Messages held at the end (ready, unacknowledged and dead-lettered) and their bytes, counted
    /// once per replica (a quorum queue holds every message on each member).
    pub fn storage(&self) -> (u64, u64) {
        let mut records = 0;
        let mut bytes = 0;
        for q in &self.queues {
            let copies = q.nodes.len() as u64;
            let n = q.depth() + q.dlq_messages;
            let b: u64 = q.ready.iter().map(|m| m.bytes as u64).sum::<u64>() + q.unacked.values().map(|(_, m)| m.bytes as u64).sum::<u64>() + q.dlq_bytes;
            records += n;
            bytes += b * copies;
        }
        (records, bytes)
    }

    /// The deepest queue now (ready plus unacknowledged).
    pub(crate) fn depth_now(&self) -> u64 {
        self.queues.iter().map(|q| q.depth()).max().unwrap_or(0)
    }

    /// Distinct messages the consumers of queue `name` processed.
    pub fn queue_processed(&self, name: &str) -> u64 {
        self.queues.iter().find(|q| q.name == name).map_or(0, |q| q.processed.iter().flatten().map(|w| w.count_ones() as u64).sum())
    }

    /// Per queue, what the report needs.
    pub(crate) fn queue_rows(&self) -> Vec<QueueRow> {
        self.queues
            .iter()
            .map(|q| QueueRow {
                name: q.name.clone(),
                stats: q.stats.clone(),
                depth: q.depth(),
                idle: q.consumers.iter().filter(|c| c.alive && c.received == 0).count() as u32,
                queue_type: q.qtype,
                leader: q.leader,
                nodes: q.nodes.clone(),
                dead_letter_queue: q.dlq_messages,
            })
            .collect()
    }
}

/// One queue's figures for the report.
pub(crate) struct QueueRow {
    pub name: String,
    pub stats: QueueStats,
    /// Ready plus unacknowledged, now.
    pub depth: u64,
    /// Alive consumers that received no message in the whole run.
    pub idle: u32,
    pub queue_type: QueueType,
    pub leader: Option<u32>,
    pub nodes: Vec<u32>,
    pub dead_letter_queue: u64,
}
