//! The cluster: the network, brokers with racks, the KRaft controller quorum (active controller,
//! broker heartbeats and fencing, leader elections, leader epochs, ISR changes by AlterPartition) and
//! replication (followers fetch from the leader, the high watermark is the minimum log end offset of
//! the ISR, truncation by leader epoch when a replica returns).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use super::kernel::{ms_to_us, sub_rng, unit, SimRng, SimTime, US_PER_MS};
use super::log::{Batch, Compacted, Log, RecBlock, Recs};
use super::sim::{fetch_response_subject, Event, FetchResult, KafkaError, ProduceRequest, Sim, KIND_CONSUMER_FETCH_RESPONSE, KIND_PRODUCE_RESPONSE};
use crate::scenario::{Acks, ClusterSpec, CleanupPolicy, Endpoint, TopicSpec};

/// Who sends or receives a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Broker(u32),
    Controller(u32),
    Client(u32),
}

impl Node {
    /// Every client shares one network site, so any client stands for all of them in latency lookups.
    pub const ANY_CLIENT: Node = Node::Client(0);
}

/// Links between nodes: latency with optional jitter (FIFO per link, like TCP), random loss, and the
/// cuts a user makes (isolated brokers, groups of brokers that cannot reach each other).
#[derive(Clone)]
pub struct Network {
    /// The default one-way latency (`network.latency_ms`).
    pub latency_us: SimTime,
    pub loss: f64,
    brokers: u32,
    controllers: u32,
    /// (latency, jitter) per pair of sites, row-major: brokers, then controllers, then one site for
    /// every client. Filled from the default and the `links` overrides once, at the start.
    links: Vec<(SimTime, SimTime)>,
    /// The latency of every link when all links have the same one, without jitter, and nothing is
    /// lost: `transit` then answers without a lookup or a draw while nothing is cut.
    uniform: Option<SimTime>,
    rng: SimRng,
    pub isolated: BTreeSet<u32>,
    /// Broker -> group number while the network is partitioned.
    pub group_of: BTreeMap<u32, u32>,
    last_arrival: BTreeMap<(Node, Node), SimTime>,
}

impl Network {
    pub fn new(spec: &ClusterSpec, rng: SimRng) -> Network {
        let (nb, nc) = (spec.brokers, spec.controllers);
        let sites = (nb + nc + 1) as usize;
        let default = (ms_to_us(spec.network.latency_ms), ms_to_us(spec.network.jitter_ms));
        let mut links = vec![default; sites * sites];
        let matches = |e: &Endpoint| -> Vec<usize> {
            match e {
                Endpoint::Broker(b) => vec![*b as usize],
                Endpoint::Rack(name) => (0..nb).filter(|&b| spec.rack_of(b) == Some(name.as_str())).map(|b| b as usize).collect(),
                Endpoint::Controllers => (nb..nb + nc).map(|c| c as usize).collect(),
                Endpoint::Clients => vec![sites - 1],
            }
        };
        for l in &spec.network.links {
            let v = (ms_to_us(l.latency_ms), ms_to_us(l.jitter_ms));
            for a in matches(&l.between[0]) {
                for b in matches(&l.between[1]) {
                    links[a * sites + b] = v;
                    links[b * sites + a] = v;
                }
            }
        }
        let uniform = (spec.network.loss <= 0.0 && links.iter().all(|&l| l == (default.0, 0))).then_some(default.0);
        Network {
            latency_us: default.0,
            uniform,
            loss: spec.network.loss,
            brokers: nb,
            controllers: nc,
            links,
            rng,
            isolated: BTreeSet::new(),
            group_of: BTreeMap::new(),
            last_arrival: BTreeMap::new(),
        }
    }

    fn site(&self, n: Node) -> usize {
        match n {
            Node::Broker(b) => b as usize,
            Node::Controller(c) => (self.brokers + c) as usize,
            Node::Client(_) => (self.brokers + self.controllers) as usize,
        }
    }

    /// (latency, jitter) of the link between two nodes.
    #[inline]
    fn link(&self, a: Node, b: Node) -> (SimTime, SimTime) {
        let sites = (self.brokers + self.controllers + 1) as usize;
        self.links[self.site(a) * sites + self.site(b)]
    }

    /// The one-way latency between two nodes without jitter: for timeouts and failure replies.
    pub fn latency(&self, a: Node, b: Node) -> SimTime {
        self.link(a, b).0
    }

    pub fn reachable(&self, a: Node, b: Node) -> bool {
        if a == b {
            return true;
        }
        for n in [a, b] {
            if let Node::Broker(x) = n {
                if self.isolated.contains(&x) {
                    return false;
                }
            }
        }
        if let (Node::Broker(x), Node::Broker(y)) = (a, b) {
            if let (Some(gx), Some(gy)) = (self.group_of.get(&x), self.group_of.get(&y)) {
                return gx == gy;
            }
        }
        true
    }

    /// When a message sent now from `a` arrives at `b`, or None if it is lost or cannot get through.
    /// Every message arrives the instant it is sent: one zero latency for every link, no jitter, no
    /// loss, nothing cut.
    pub fn instant(&self) -> bool {
        self.uniform == Some(0) && self.isolated.is_empty() && self.group_of.is_empty()
    }

    pub fn transit(&mut self, now: SimTime, a: Node, b: Node) -> Option<SimTime> {
        match self.uniform {
            Some(latency) if self.isolated.is_empty() && self.group_of.is_empty() => Some(now + latency),
            _ => self.transit_any(now, a, b),
        }
    }

    /// `transit` over links with their own latency, jitter or loss, or with cuts: apart, so the
    /// common case above stays a few instructions.
    #[inline(never)]
    fn transit_any(&mut self, now: SimTime, a: Node, b: Node) -> Option<SimTime> {
        let uncut = self.isolated.is_empty() && self.group_of.is_empty();
        if !uncut && !self.reachable(a, b) {
            return None;
        }
        // Loss models a dropped client connection: a request or its response never arrives. Traffic
        // between brokers and controllers is not dropped (TCP retransmits it); cuts stop it.
        let client_link = matches!(a, Node::Client(_)) || matches!(b, Node::Client(_));
        if self.loss > 0.0 && client_link && unit(&mut self.rng) < self.loss {
            return None;
        }
        let (latency, jitter) = self.link(a, b);
        if jitter == 0 {
            return Some(now + latency);
        }
        let j = self.rng_below(jitter + 1);
        let t = now + latency + j;
        let last = self.last_arrival.entry((a, b)).or_insert(0);
        let t = t.max(*last);
        *last = t;
        Some(t)
    }

    fn rng_below(&mut self, n: u64) -> u64 {
        (unit(&mut self.rng) * n as f64) as u64
    }

    pub fn heal(&mut self) {
        self.isolated.clear();
        self.group_of.clear();
    }
}

#[derive(Clone)]
pub struct Broker {
    pub id: u32,
    pub rack: Option<String>,
    pub up: bool,
    /// Bumped at every crash and restart; stale timers carry the old value and are ignored.
    pub incarnation: u32,
    pub metadata_push_pending: bool,
    /// Indices into `Sim::replicas` of the replicas this broker hosts.
    pub replicas: Vec<u32>,
}

#[derive(Clone)]
pub struct ControllerNode {
    pub up: bool,
}

/// What the active controller knows and decides; replicated by the KRaft quorum, so it survives a
/// controller failover intact.
#[derive(Clone, Default)]
pub struct Quorum {
    pub active: Option<u32>,
    pub term: u64,
    pub election_attempt: u64,
    pub leaderless_since: Option<SimTime>,
    pub last_heartbeat: Vec<SimTime>,
    pub fenced: Vec<bool>,
    pub registered_incarnation: Vec<u32>,
    pub next_rebalance_check: SimTime,
}

#[derive(Clone)]
pub struct TopicState {
    pub name: String,
    pub spec: TopicSpec,
    /// Global partition indices of this topic's partitions, in partition order.
    pub parts: Vec<u32>,
}

/// The controller's record of one partition.
#[derive(Clone)]
pub struct PartitionMeta {
    pub topic: u32,
    pub partition: u32,
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub isr: Vec<u32>,
    pub partition_epoch: u32,
    /// Index in `Sim::replicas` of the replica on `replicas[0]`; the others follow in order.
    pub replica_base: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct FollowerProgress {
    pub log_end_offset: u64,
    pub last_fetch_us: SimTime,
    pub leo_at_last_fetch: u64,
    pub last_caught_up_us: SimTime,
}

#[derive(Clone, Copy, Debug)]
pub enum Parked {
    Replica { deadline: SimTime, follower: u32, session: u64, offset: u64 },
    Consumer { deadline: SimTime, group: u32, member: u32, session: u64, offset: u64 },
}

impl Parked {
    /// When the fetch's maximum wait runs out and it is answered with what there is.
    fn deadline(&self) -> SimTime {
        match self {
            Parked::Replica { deadline, .. } | Parked::Consumer { deadline, .. } => *deadline,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PendingProduce {
    pub producer: u32,
    pub part: u32,
    pub req_id: u64,
    pub base_offset: u64,
    pub last_offset: u64,
    pub sent_us: SimTime,
}

/// Idempotence state of one producer on one replica: its last five batches.
#[derive(Clone, Debug, Default)]
pub struct ProducerEntry {
    pub recent: VecDeque<(u32, u32, u64)>,
}

/// One replica of one partition on one broker.
#[derive(Clone)]
pub struct Replica {
    pub broker: u32,
    pub tp: u32,
    pub log: Log,
    pub high_watermark: u64,
    pub leader_epoch: u32,
    pub leader: Option<u32>,
    pub is_leader: bool,
    pub isr: Vec<u32>,
    pub pending_alter: bool,
    pub partition_epoch_seen: u32,
    pub followers: Vec<FollowerProgress>,
    pub epoch_start_offset: u64,
    pub parked: Vec<Parked>,
    /// The time of the one pending wait timer for `parked` (one timer per replica, armed for the
    /// earliest deadline, instead of one per fetch: most fetches are answered by new data well
    /// before their wait runs out, and their timers would fire for nothing).
    pub wait_timer: Option<SimTime>,
    pub purgatory: VecDeque<PendingProduce>,
    pub session: u64,
    pub producers: Vec<ProducerEntry>,
}

/// Kafka's rack-alternated broker list: one broker from each rack in turn, racks in name order.
fn rack_alternated(brokers: &[(u32, String)]) -> Vec<u32> {
    let mut by_rack: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (b, r) in brokers {
        by_rack.entry(r.as_str()).or_default().push(*b);
    }
    let mut out = Vec::new();
    let max = by_rack.values().map(|v| v.len()).max().unwrap_or(0);
    for i in 0..max {
        for v in by_rack.values() {
            if i < v.len() {
                out.push(v[i]);
            }
        }
    }
    out
}

fn replica_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    let s = 1 + (shift + j) % (n - 1);
    (first + s) % n
}

/// Kafka's replica placement (`AdminUtils.assignReplicasToBrokers`), rack-aware when racks are set:
/// a random start and shift (from our seeded generator), each partition's replicas spread over racks.
pub fn assign_replicas(partitions: u32, rf: u32, racks: &[Option<String>], rng: &mut SimRng) -> Vec<Vec<u32>> {
    let n = racks.len();
    let rf = rf as usize;
    let rack_aware = racks.iter().all(|r| r.is_some()) && n > 0;
    let list: Vec<u32> = if rack_aware {
        let pairs: Vec<(u32, String)> = racks.iter().enumerate().map(|(i, r)| (i as u32, r.clone().unwrap_or_default())).collect();
        rack_alternated(&pairs)
    } else {
        (0..n as u32).collect()
    };
    let num_racks = if rack_aware { racks.iter().flatten().collect::<BTreeSet<_>>().len() } else { 1 };
    let start = (unit(rng) * n as f64) as usize % n;
    let mut shift = (unit(rng) * n as f64) as usize % n;
    let mut out = Vec::with_capacity(partitions as usize);
    for p in 0..partitions as usize {
        if p > 0 && p % n == 0 {
            shift += 1;
        }
        let first = (p + start) % n;
        let leader = list[first];
        let mut reps = vec![leader];
        if rf > 1 {
            if !rack_aware {
                for j in 0..rf - 1 {
                    reps.push(list[replica_index(first, shift, j, n)]);
                }
            } else {
                let rack = |b: u32| racks[b as usize].clone().unwrap_or_default();
                let mut racks_with: BTreeSet<String> = [rack(leader)].into_iter().collect();
                let mut k = 0usize;
                for _ in 0..rf - 1 {
                    loop {
                        let b = list[replica_index(first, shift * num_racks, k, n)];
                        k += 1;
                        let r = rack(b);
                        if (!racks_with.contains(&r) || racks_with.len() == num_racks) && (!reps.contains(&b) || reps.len() == n) {
                            racks_with.insert(r);
                            reps.push(b);
                            break;
                        }
                    }
                }
            }
        }
        out.push(reps);
    }
    out
}

impl Sim {
    pub(crate) fn build_cluster(&mut self) {
        let spec = self.scenario.cluster.clone();
        for b in 0..spec.brokers {
            let rack = spec.rack_of(b).map(str::to_string);
            self.brokers.push(Broker { id: b, rack, up: true, incarnation: 0, metadata_push_pending: false, replicas: Vec::new() });
        }
        for _ in 0..spec.controllers {
            self.controllers.push(ControllerNode { up: true });
        }
        let nb = spec.brokers as usize;
        self.quorum = Quorum {
            active: Some(0),
            term: 1,
            election_attempt: 0,
            leaderless_since: None,
            last_heartbeat: vec![0; nb],
            fenced: vec![false; nb],
            registered_incarnation: vec![0; nb],
            next_rebalance_check: spec.config.leader_imbalance_check_interval_seconds * 1_000_000,
        };
        let racks: Vec<Option<String>> = self.brokers.iter().map(|b| b.rack.clone()).collect();
        let mut placement_rng = sub_rng(&mut self.rng);
        let nproducers = self.scenario.producers.len();
        for (ti, t) in self.scenario.topics.clone().into_iter().enumerate() {
            let assignment = assign_replicas(t.partitions, t.replication_factor.min(spec.brokers), &racks, &mut placement_rng);
            let mut parts = Vec::new();
            for (p, reps) in assignment.into_iter().enumerate() {
                let tp = self.parts.len() as u32;
                let base = self.replicas.len() as u32;
                for &b in &reps {
                    let ri = self.replicas.len() as u32;
                    self.brokers[b as usize].replicas.push(ri);
                    self.replicas.push(Replica {
                        broker: b,
                        tp,
                        log: Log::default(),
                        high_watermark: 0,
                        leader_epoch: 0,
                        leader: Some(reps[0]),
                        is_leader: b == reps[0],
                        isr: if b == reps[0] { reps.clone() } else { Vec::new() },
                        pending_alter: false,
                        partition_epoch_seen: 0,
                        followers: vec![FollowerProgress::default(); reps.len()],
                        epoch_start_offset: 0,
                        parked: Vec::new(),
                        wait_timer: None,
                        purgatory: VecDeque::new(),
                        session: 0,
                        producers: vec![ProducerEntry::default(); nproducers],
                    });
                }
                self.parts.push(PartitionMeta {
                    topic: ti as u32,
                    partition: p as u32,
                    leader: Some(reps[0]),
                    isr: reps.clone(),
                    replicas: reps,
                    leader_epoch: 0,
                    partition_epoch: 0,
                    replica_base: base,
                });
                parts.push(tp);
            }
            self.topics.push(TopicState { name: t.name.clone(), spec: t, parts });
        }
        // Followers start fetching; brokers start heartbeating, staggered so they do not beat in step.
        for ri in 0..self.replicas.len() {
            if !self.replicas[ri].is_leader {
                self.send_replica_fetch(ri);
            }
        }
        let hb = spec.config.broker_heartbeat_interval_ms * US_PER_MS;
        for b in 0..spec.brokers {
            let offset = hb * b as u64 / spec.brokers.max(1) as u64;
            self.at(offset, Event::BrokerHeartbeat { broker: b, incarnation: 0 });
            self.at(US_PER_MS * 1000 * (b as u64 + 1) / (spec.brokers as u64 + 1), Event::BrokerTick { broker: b, incarnation: 0 });
        }
        self.at(0, Event::ControllerTick { controller: 0, term: 1 });
        self.at(spec.config.log_retention_check_interval_ms * US_PER_MS, Event::RetentionCheck);
    }

    pub(crate) fn tp_name(&self, tp: u32) -> String {
        let m = &self.parts[tp as usize];
        format!("{}-{}", self.topics[m.topic as usize].name, m.partition)
    }

    /// Index in `replicas` of `broker`'s replica of `tp`.
    pub(crate) fn replica_of(&self, tp: u32, broker: u32) -> Option<usize> {
        let m = &self.parts[tp as usize];
        m.replicas.iter().position(|&b| b == broker).map(|i| (m.replica_base as usize) + i)
    }

    fn topic_of(&self, tp: u32) -> &TopicSpec {
        &self.topics[self.parts[tp as usize].topic as usize].spec
    }

    /// `segment.bytes` and `segment.ms` (in µs) of `tp`'s topic.
    fn segment_limits(&self, tp: u32) -> (u64, SimTime) {
        let c = &self.topic_of(tp).config;
        (c.segment_bytes, c.segment_ms * US_PER_MS)
    }

    pub fn under_replicated_count(&self) -> u32 {
        self.parts.iter().filter(|m| m.isr.len() < m.replicas.len()).count() as u32
    }
    pub fn offline_count(&self) -> u32 {
        self.parts.iter().filter(|m| m.leader.is_none()).count() as u32
    }

    // ---- Faults ---------------------------------------------------------------------------------

    pub(crate) fn crash_broker(&mut self, b: u32) {
        if !self.brokers[b as usize].up {
            return;
        }
        let lat = self.net.latency(Node::Broker(b), Node::ANY_CLIENT);
        let br = &mut self.brokers[b as usize];
        br.up = false;
        br.incarnation += 1;
        br.metadata_push_pending = false;
        self.crashed.retain(|&x| x != b);
        self.crashed.push(b);
        self.log.push(self.now, "fault", format!("Broker {b} crashed."));
        // The process is gone: its sockets close, so clients and followers learn at once (after one
        // network delay) that their requests failed; its in-memory state is lost, its log is not.
        let reps = self.brokers[b as usize].replicas.clone();
        for ri in reps {
            let r = &mut self.replicas[ri as usize];
            r.is_leader = false;
            r.leader = None;
            r.session += 1;
            r.pending_alter = false;
            let purgatory: Vec<PendingProduce> = r.purgatory.drain(..).collect();
            let parked: Vec<Parked> = r.parked.drain(..).collect();
            r.wait_timer = None;
            for p in purgatory {
                self.at(self.now + lat, Event::ProduceResponse { producer: p.producer, part: p.part, req_id: p.req_id, result: Err(KafkaError::NetworkException) });
            }
            for p in parked {
                self.fail_parked(p, ri as usize);
            }
        }
    }

    /// A parked fetch at replica `ri` fails: the fetcher learns it one network delay later.
    fn fail_parked(&mut self, p: Parked, ri: usize) {
        let (tp, b) = (self.replicas[ri].tp, self.replicas[ri].broker);
        match p {
            Parked::Replica { follower, session, .. } => {
                let delay = self.net.latency(Node::Broker(b), Node::Broker(follower));
                let backoff = self.scenario.cluster.config.replica_fetch_backoff_ms * US_PER_MS;
                self.at(self.now + delay + backoff, Event::ReplicaFetchRetry { follower, tp, session });
            }
            Parked::Consumer { group, member, session, .. } => {
                let delay = self.net.latency(Node::Broker(b), Node::ANY_CLIENT);
                let backoff = self.groups[group as usize].cfg.retry_backoff_ms * US_PER_MS;
                self.at(self.now + delay + backoff, Event::ConsumerFetchRetry { group, member, tp, session });
            }
        }
    }

    pub(crate) fn restart_broker(&mut self, b: u32) {
        if self.brokers[b as usize].up {
            return;
        }
        let br = &mut self.brokers[b as usize];
        br.up = true;
        br.incarnation += 1;
        let inc = br.incarnation;
        self.crashed.retain(|&x| x != b);
        self.log.push(self.now, "action", format!("Broker {b} restarted; it registers with the controller and recovers its log from disk."));
        self.at(self.now, Event::BrokerHeartbeat { broker: b, incarnation: inc });
        self.at(self.now + US_PER_MS * 1000, Event::BrokerTick { broker: b, incarnation: inc });
    }

    pub(crate) fn crash_controller(&mut self, c: u32) {
        if (c as usize) >= self.controllers.len() || !self.controllers[c as usize].up {
            return;
        }
        self.controllers[c as usize].up = false;
        self.log.push(self.now, "fault", format!("Controller {c} crashed."));
        if self.quorum.active == Some(c) {
            self.quorum.active = None;
            self.quorum.leaderless_since = Some(self.now);
            self.schedule_controller_election();
        }
    }

    pub(crate) fn restart_controller(&mut self, c: u32) {
        if (c as usize) >= self.controllers.len() || self.controllers[c as usize].up {
            return;
        }
        self.controllers[c as usize].up = true;
        self.log.push(self.now, "action", format!("Controller {c} restarted."));
        if self.quorum.active.is_none() {
            self.schedule_controller_election();
        }
    }

    fn schedule_controller_election(&mut self) {
        let cfg = &self.scenario.cluster.config;
        let timeout = cfg.controller_quorum_election_timeout_ms * US_PER_MS;
        let fetch = cfg.controller_quorum_fetch_timeout_ms * US_PER_MS;
        let jitter = (unit(&mut self.rng) * timeout as f64) as u64;
        self.quorum.election_attempt += 1;
        let attempt = self.quorum.election_attempt;
        self.at(self.now + fetch + timeout + jitter, Event::ControllerElection { attempt });
    }

    pub(crate) fn on_controller_election(&mut self, attempt: u64) {
        if attempt != self.quorum.election_attempt || self.quorum.active.is_some() {
            return;
        }
        let up: Vec<u32> = (0..self.controllers.len() as u32).filter(|&c| self.controllers[c as usize].up).collect();
        if up.len() * 2 <= self.controllers.len() {
            self.log.push(self.now, "fault", format!("No controller quorum: {} of {} controllers are up; metadata cannot change.", up.len(), self.controllers.len()));
            self.schedule_controller_election();
            return;
        }
        // Whichever candidate's randomized election timer fires first wins.
        let c = up[(unit(&mut self.rng) * up.len() as f64) as usize % up.len()];
        self.quorum.active = Some(c);
        self.quorum.term += 1;
        let since = self.quorum.leaderless_since.take().unwrap_or(self.now);
        for t in self.quorum.last_heartbeat.iter_mut() {
            *t = self.now;
        }
        self.metrics.controller_failovers += 1;
        self.log.push(
            self.now,
            "controller",
            format!("Controller {c} became the active controller (term {}) after {:.3} s without one.", self.quorum.term, (self.now - since) as f64 / 1e6),
        );
        let term = self.quorum.term;
        self.at(self.now, Event::ControllerTick { controller: c, term });
    }

    // ---- Broker liveness -------------------------------------------------------------------------

    pub(crate) fn on_broker_heartbeat(&mut self, b: u32, inc: u32) {
        let br = &self.brokers[b as usize];
        if !br.up || br.incarnation != inc {
            return;
        }
        if let Some(c) = self.quorum.active {
            if self.controllers[c as usize].up {
                if let Some(t) = self.net.transit(self.now, Node::Broker(b), Node::Controller(c)) {
                    self.at(t, Event::HeartbeatArrive { controller: c, broker: b });
                }
            }
        }
        let hb = self.scenario.cluster.config.broker_heartbeat_interval_ms * US_PER_MS;
        self.at(self.now + hb, Event::BrokerHeartbeat { broker: b, incarnation: inc });
    }

    pub(crate) fn on_heartbeat_arrive(&mut self, c: u32, b: u32) {
        if self.quorum.active != Some(c) || !self.controllers[c as usize].up || !self.brokers[b as usize].up {
            return;
        }
        let bi = b as usize;
        self.quorum.last_heartbeat[bi] = self.now;
        let inc = self.brokers[bi].incarnation;
        if self.quorum.registered_incarnation[bi] != inc {
            // A new incarnation registers: its old registration (and any leadership) ends first.
            if !self.quorum.fenced[bi] {
                self.fence(b, "restarted with a new broker epoch");
            }
            self.quorum.registered_incarnation[bi] = inc;
        }
        if self.quorum.fenced[bi] {
            self.unfence(b);
        }
        self.push_metadata(b);
    }

    pub(crate) fn on_controller_tick(&mut self, c: u32, term: u64) {
        if self.quorum.active != Some(c) || self.quorum.term != term || !self.controllers[c as usize].up {
            return;
        }
        let timeout = self.scenario.cluster.config.broker_session_timeout_ms * US_PER_MS;
        for b in 0..self.brokers.len() {
            if !self.quorum.fenced[b] && self.now.saturating_sub(self.quorum.last_heartbeat[b]) > timeout {
                self.fence(b as u32, "stopped heartbeating");
            }
        }
        if self.scenario.cluster.config.auto_leader_rebalance_enable && self.now >= self.quorum.next_rebalance_check {
            self.quorum.next_rebalance_check = self.now + self.scenario.cluster.config.leader_imbalance_check_interval_seconds * 1_000_000;
            self.preferred_leader_election();
        }
        self.at(self.now + 250 * US_PER_MS, Event::ControllerTick { controller: c, term });
    }

    fn eligible(&self, b: u32) -> bool {
        !self.quorum.fenced[b as usize]
    }

    /// The controller fences a broker: it leaves every ISR it can leave, and partitions it led elect a
    /// new leader from the ISR (or go offline).
    fn fence(&mut self, b: u32, why: &str) {
        self.quorum.fenced[b as usize] = true;
        let mut shrunk = Vec::new();
        let mut moved = Vec::new();
        for tp in 0..self.parts.len() {
            let m = &self.parts[tp];
            if !m.replicas.contains(&b) {
                continue;
            }
            let was_leader = m.leader == Some(b);
            let in_isr = m.isr.contains(&b);
            if in_isr && m.isr.len() > 1 {
                let m = &mut self.parts[tp];
                m.isr.retain(|&x| x != b);
                m.partition_epoch += 1;
                shrunk.push(tp as u32);
            }
            if was_leader {
                let old = self.elect(tp as u32);
                moved.push((tp as u32, old));
            }
        }
        let names: Vec<String> = shrunk.iter().take(6).map(|&tp| self.tp_name(tp)).collect();
        let more = if shrunk.len() > 6 { format!(" and {} more", shrunk.len() - 6) } else { String::new() };
        if shrunk.is_empty() {
            self.log.push(self.now, "controller", format!("Broker {b} {why}; the controller fenced it."));
        } else {
            self.log.push(self.now, "controller", format!("Broker {b} {why}; the controller fenced it and removed it from the ISR of {}{more}.", names.join(", ")));
        }
        self.metrics.isr_shrinks += shrunk.len() as u64;
        self.push_all_metadata();
    }

    fn unfence(&mut self, b: u32) {
        self.quorum.fenced[b as usize] = false;
        self.log.push(self.now, "controller", format!("Broker {b} registered; the controller unfenced it."));
        for tp in 0..self.parts.len() as u32 {
            let m = &self.parts[tp as usize];
            if m.leader.is_none() && m.replicas.contains(&b) {
                self.elect(tp);
            }
        }
        self.push_all_metadata();
    }

    /// Leader election for `tp`: the first replica in assignment order that is alive and in the ISR;
    /// with `unclean.leader.election.enable`, any alive replica. Returns the previous leader.
    fn elect(&mut self, tp: u32) -> Option<u32> {
        let old = self.parts[tp as usize].leader;
        let m = &self.parts[tp as usize];
        let clean = m.replicas.iter().copied().find(|&r| self.eligible(r) && m.isr.contains(&r));
        let name = self.tp_name(tp);
        let new = match clean {
            Some(r) => Some((r, false)),
            None if self.scenario.cluster.config.unclean_leader_election_enable => m.replicas.iter().copied().find(|&r| self.eligible(r)).map(|r| (r, true)),
            None => None,
        };
        let m = &mut self.parts[tp as usize];
        match new {
            Some((r, unclean)) => {
                m.leader = Some(r);
                m.leader_epoch += 1;
                m.partition_epoch += 1;
                if unclean {
                    m.isr = vec![r];
                }
                let epoch = m.leader_epoch;
                self.metrics.leader_elections += 1;
                let from = old.map(|o| o.to_string()).unwrap_or_else(|| "none".into());
                if unclean {
                    self.metrics.unclean_elections += 1;
                    self.log.push(self.now, "election", format!("{name}: UNCLEAN election, leader {from} → {r}, epoch {epoch}; records only the old ISR had are lost."));
                } else {
                    self.log.push(self.now, "election", format!("{name}: leader {from} → {r}, epoch {epoch}."));
                }
            }
            None => {
                if m.leader.is_some() {
                    m.leader = None;
                    m.leader_epoch += 1;
                    m.partition_epoch += 1;
                    self.log.push(self.now, "election", format!("{name} is OFFLINE: no replica in the ISR is alive (unclean.leader.election.enable=false)."));
                }
            }
        }
        self.metrics.offline_changed(self.now, self.offline_count());
        old
    }

    fn preferred_leader_election(&mut self) {
        for tp in 0..self.parts.len() as u32 {
            let m = &self.parts[tp as usize];
            let pref = m.replicas[0];
            if m.leader != Some(pref) && m.leader.is_some() && m.isr.contains(&pref) && self.eligible(pref) && self.brokers[pref as usize].up {
                let name = self.tp_name(tp);
                let old = m.leader;
                let m = &mut self.parts[tp as usize];
                m.leader = Some(pref);
                m.leader_epoch += 1;
                m.partition_epoch += 1;
                let e = m.leader_epoch;
                self.metrics.leader_elections += 1;
                self.log.push(self.now, "election", format!("{name}: preferred leader election, leader {} → {pref}, epoch {e}.", old.map(|o| o.to_string()).unwrap_or_default()));
            }
        }
        self.push_all_metadata();
    }

    fn push_all_metadata(&mut self) {
        for b in 0..self.brokers.len() as u32 {
            self.push_metadata(b);
        }
    }

    fn push_metadata(&mut self, b: u32) {
        let Some(c) = self.quorum.active else { return };
        let br = &self.brokers[b as usize];
        if !br.up || br.metadata_push_pending {
            return;
        }
        let inc = br.incarnation;
        if let Some(t) = self.net.transit(self.now, Node::Controller(c), Node::Broker(b)) {
            self.brokers[b as usize].metadata_push_pending = true;
            self.at(t, Event::MetadataArrive { broker: b, incarnation: inc });
        }
    }

    pub(crate) fn on_metadata_arrive(&mut self, b: u32, inc: u32) {
        let br = &mut self.brokers[b as usize];
        if !br.up || br.incarnation != inc {
            return;
        }
        br.metadata_push_pending = false;
        let reps = br.replicas.clone();
        for ri in reps {
            self.sync_replica(ri as usize);
        }
    }

    /// Bring one replica in line with the controller's record: become leader, become a follower of a
    /// new leader, or adopt an ISR the controller changed.
    fn sync_replica(&mut self, ri: usize) {
        let tp = self.replicas[ri].tp;
        let (m_leader, m_epoch, m_pepoch) = {
            let m = &self.parts[tp as usize];
            (m.leader, m.leader_epoch, m.partition_epoch)
        };
        let b = self.replicas[ri].broker;
        let r = &self.replicas[ri];
        if m_epoch > r.leader_epoch || (m_epoch == r.leader_epoch && r.leader != m_leader) {
            let was_leader = r.is_leader;
            {
                let r = &mut self.replicas[ri];
                r.leader_epoch = m_epoch;
                r.leader = m_leader;
                r.session += 1;
            }
            if was_leader {
                self.resign_leadership(ri);
            }
            if m_leader == Some(b) {
                let now = self.now;
                let isr = self.parts[tp as usize].isr.clone();
                let r = &mut self.replicas[ri];
                r.is_leader = true;
                r.isr = isr;
                r.pending_alter = false;
                r.epoch_start_offset = r.log.log_end_offset;
                for f in r.followers.iter_mut() {
                    *f = FollowerProgress { last_caught_up_us: now, last_fetch_us: now, ..Default::default() };
                }
                self.advance_high_watermark(ri);
            } else {
                self.replicas[ri].is_leader = false;
                if m_leader.is_some() {
                    self.send_replica_fetch(ri);
                }
            }
        } else if r.is_leader && m_pepoch > r.partition_epoch_seen {
            let isr = self.parts[tp as usize].isr.clone();
            self.replicas[ri].isr = isr;
            self.advance_high_watermark(ri);
        }
        self.replicas[ri].partition_epoch_seen = m_pepoch;
    }

    /// A leader learns it is no longer leader: waiting producers and fetchers get NOT_LEADER.
    fn resign_leadership(&mut self, ri: usize) {
        let b = self.replicas[ri].broker;
        let tp = self.replicas[ri].tp;
        let r = &mut self.replicas[ri];
        r.is_leader = false;
        let purgatory: Vec<PendingProduce> = r.purgatory.drain(..).collect();
        let parked: Vec<Parked> = r.parked.drain(..).collect();
        r.wait_timer = None;
        for p in purgatory {
            self.respond_produce(b, p.producer, p.part, p.req_id, p.sent_us, Err(KafkaError::NotLeaderOrFollower));
        }
        for p in parked {
            match p {
                Parked::Replica { follower, session, .. } => self.respond_replica_fetch(b, follower, tp, session, FetchResult::Error(KafkaError::NotLeaderOrFollower)),
                Parked::Consumer { group, member, session, .. } => self.respond_consumer_fetch(b, group, member, tp, session, FetchResult::Error(KafkaError::NotLeaderOrFollower)),
            }
        }
    }

    // ---- ISR and the high watermark --------------------------------------------------------------

    pub(crate) fn on_broker_tick(&mut self, b: u32, inc: u32) {
        let br = &self.brokers[b as usize];
        if !br.up || br.incarnation != inc {
            return;
        }
        let lag_max = self.scenario.cluster.config.replica_lag_time_max_ms * US_PER_MS;
        let reps = br.replicas.clone();
        for ri in reps {
            let ri = ri as usize;
            if !self.replicas[ri].is_leader {
                continue;
            }
            // ISR expiration: followers that have not caught up within replica.lag.time.max.ms.
            let tp = self.replicas[ri].tp;
            let r = &self.replicas[ri];
            if !r.pending_alter {
                let m = &self.parts[tp as usize];
                let keep: Vec<u32> = r
                    .isr
                    .iter()
                    .copied()
                    .filter(|&f| {
                        f == b || {
                            let slot = m.replicas.iter().position(|&x| x == f).unwrap_or(0);
                            self.now.saturating_sub(r.followers[slot].last_caught_up_us) <= lag_max
                        }
                    })
                    .collect();
                if keep.len() < r.isr.len() {
                    self.send_alter_partition(ri, keep);
                }
            }
            // Produce requests waiting for acks=all past their timeout answer REQUEST_TIMED_OUT.
            while let Some(p) = self.replicas[ri].purgatory.front() {
                let timeout = self.producers[p.producer as usize].cfg.request_timeout_ms * US_PER_MS;
                if self.now < p.sent_us + timeout {
                    break;
                }
                let p = self.replicas[ri].purgatory.pop_front().expect("front");
                self.respond_produce(b, p.producer, p.part, p.req_id, p.sent_us, Err(KafkaError::RequestTimedOut));
            }
        }
        self.at(self.now + US_PER_MS * 1000, Event::BrokerTick { broker: b, incarnation: inc });
    }

    fn send_alter_partition(&mut self, ri: usize, isr: Vec<u32>) {
        let r = &mut self.replicas[ri];
        r.pending_alter = true;
        let (b, tp, le) = (r.broker, r.tp, r.leader_epoch);
        // The leader names the partition epoch it knows; the controller rejects a stale one.
        let pe = r.partition_epoch_seen;
        match self.quorum.active.filter(|&c| self.controllers[c as usize].up) {
            Some(c) => match self.net.transit(self.now, Node::Broker(b), Node::Controller(c)) {
                Some(t) => self.at(t, Event::AlterPartition { controller: c, leader: b, tp, leader_epoch: le, partition_epoch: pe, isr: isr.into() }),
                None => self.at(self.now + US_PER_MS * 1000, Event::AlterPartitionResponse { broker: b, tp, ok: false, leader_epoch: le }),
            },
            None => self.at(self.now + US_PER_MS * 1000, Event::AlterPartitionResponse { broker: b, tp, ok: false, leader_epoch: le }),
        }
    }

    pub(crate) fn on_alter_partition(&mut self, c: u32, leader: u32, tp: u32, le: u32, pe: u32, isr: Rc<[u32]>) {
        let valid = self.quorum.active == Some(c) && self.controllers[c as usize].up && {
            let m = &self.parts[tp as usize];
            m.leader == Some(leader) && m.leader_epoch == le && m.partition_epoch == pe
        };
        if valid {
            let name = self.tp_name(tp);
            let old = self.parts[tp as usize].isr.clone();
            let m = &mut self.parts[tp as usize];
            let mut new: Vec<u32> = m.replicas.iter().copied().filter(|r| isr.contains(r)).collect();
            if new.is_empty() {
                new = vec![leader];
            }
            let grew = new.len() > old.len();
            m.isr = new.clone();
            m.partition_epoch += 1;
            if grew {
                self.metrics.isr_expands += 1;
                self.log.push(self.now, "isr", format!("{name}: ISR expanded from {old:?} to {new:?}."));
            } else {
                self.metrics.isr_shrinks += 1;
                self.log.push(self.now, "isr", format!("{name}: ISR shrank from {old:?} to {new:?} (followers behind for more than replica.lag.time.max.ms)."));
            }
            self.metrics.urp_changed(self.under_replicated_count());
        }
        let t = self.net.transit(self.now, Node::Controller(c), Node::Broker(leader)).unwrap_or(self.now + US_PER_MS * 1000);
        self.at(t, Event::AlterPartitionResponse { broker: leader, tp, ok: valid, leader_epoch: le });
    }

    pub(crate) fn on_alter_partition_response(&mut self, b: u32, tp: u32, ok: bool, le: u32) {
        if !self.brokers[b as usize].up {
            return;
        }
        let Some(ri) = self.replica_of(tp, b) else { return };
        let r = &mut self.replicas[ri];
        r.pending_alter = false;
        if ok && r.is_leader && r.leader_epoch == le {
            r.isr = self.parts[tp as usize].isr.clone();
            r.partition_epoch_seen = self.parts[tp as usize].partition_epoch;
            self.advance_high_watermark(ri);
        }
    }

    /// Since Kafka 3.7 the HW does not advance while the ISR is smaller than min.insync.replicas.
    pub(crate) fn advance_high_watermark(&mut self, li: usize) {
        let tp = self.replicas[li].tp;
        let min_isr = self.topic_of(tp).config.min_insync_replicas as usize;
        let m = &self.parts[tp as usize];
        let r = &self.replicas[li];
        if !r.is_leader || r.isr.len() < min_isr {
            return;
        }
        let mut hw = r.log.log_end_offset;
        for &f in &r.isr {
            if f != r.broker {
                let slot = m.replicas.iter().position(|&x| x == f).unwrap_or(0);
                hw = hw.min(r.followers[slot].log_end_offset);
            }
        }
        if hw <= r.high_watermark {
            return;
        }
        let b = r.broker;
        self.replicas[li].high_watermark = hw;
        // acks=all produce requests complete once the HW passes their last record.
        while let Some(p) = self.replicas[li].purgatory.front() {
            if p.last_offset >= hw {
                break;
            }
            let p = self.replicas[li].purgatory.pop_front().expect("front");
            self.respond_produce(b, p.producer, p.part, p.req_id, p.sent_us, Ok(p.base_offset));
        }
        self.wake_parked(li, false);
    }

    // ---- Replication by fetch --------------------------------------------------------------------

    pub(crate) fn send_replica_fetch(&mut self, ri: usize) {
        let r = &mut self.replicas[ri];
        let (b, tp, session) = (r.broker, r.tp, r.session);
        let Some(l) = r.leader else { return };
        if l == b {
            return;
        }
        let (offset, epoch) = (r.log.log_end_offset, r.log.last_epoch());
        let backoff = self.scenario.cluster.config.replica_fetch_backoff_ms * US_PER_MS;
        if !self.brokers[l as usize].up {
            self.at(self.now + 2 * self.net.latency(Node::Broker(b), Node::Broker(l)) + backoff, Event::ReplicaFetchRetry { follower: b, tp, session });
            return;
        }
        match self.net.transit(self.now, Node::Broker(b), Node::Broker(l)) {
            Some(t) => self.at(t, Event::ReplicaFetch { leader: l, tp, follower: b, fetch_offset: offset, last_epoch: epoch, session }),
            // replica.socket.timeout.ms (30 s), then the fetch backoff.
            None => self.at(self.now + 30_000 * US_PER_MS + backoff, Event::ReplicaFetchRetry { follower: b, tp, session }),
        }
    }

    pub(crate) fn on_replica_fetch_retry(&mut self, f: u32, tp: u32, session: u64) {
        if !self.brokers[f as usize].up {
            return;
        }
        let Some(ri) = self.replica_of(tp, f) else { return };
        if self.replicas[ri].session == session && !self.replicas[ri].is_leader {
            self.send_replica_fetch(ri);
        }
    }

    pub(crate) fn on_replica_fetch(&mut self, l: u32, tp: u32, f: u32, offset: u64, last_epoch: u32, session: u64) {
        if !self.brokers[l as usize].up {
            let backoff = self.scenario.cluster.config.replica_fetch_backoff_ms * US_PER_MS;
            self.at(self.now + self.net.latency(Node::Broker(l), Node::Broker(f)) + backoff, Event::ReplicaFetchRetry { follower: f, tp, session });
            return;
        }
        let Some(li) = self.replica_of(tp, l) else { return };
        if !self.replicas[li].is_leader {
            self.respond_replica_fetch(l, f, tp, session, FetchResult::Error(KafkaError::NotLeaderOrFollower));
            return;
        }
        let r = &self.replicas[li];
        if offset > 0 && last_epoch < r.leader_epoch {
            let end = r.log.end_offset_for_epoch(last_epoch);
            if end < offset {
                self.respond_replica_fetch(l, f, tp, session, FetchResult::Diverging { end_offset: end });
                return;
            }
        }
        let slot = self.parts[tp as usize].replicas.iter().position(|&x| x == f).unwrap_or(0);
        let now = self.now;
        let r = &mut self.replicas[li];
        let leo = r.log.log_end_offset;
        let p = &mut r.followers[slot];
        // Kafka's rule: caught up now if at the LEO; caught up as of the previous fetch if this fetch
        // reaches what the LEO was then.
        if offset >= leo {
            p.last_caught_up_us = now;
        } else if offset >= p.leo_at_last_fetch {
            p.last_caught_up_us = p.last_caught_up_us.max(p.last_fetch_us);
        }
        p.log_end_offset = offset;
        p.last_fetch_us = now;
        p.leo_at_last_fetch = leo;
        // ISR expansion: a follower that reached the HW and the current epoch's start rejoins.
        if !r.isr.contains(&f) && !r.pending_alter && offset >= r.high_watermark && offset >= r.epoch_start_offset {
            let mut isr = r.isr.clone();
            isr.push(f);
            self.send_alter_partition(li, isr);
        }
        self.advance_high_watermark(li);
        let r = &mut self.replicas[li];
        if offset < r.log.log_end_offset {
            let result = self.read_for_replica(li, offset);
            self.respond_replica_fetch(l, f, tp, session, result);
        } else {
            let deadline = self.now + self.scenario.cluster.config.replica_fetch_wait_max_ms * US_PER_MS;
            self.park(li, Parked::Replica { deadline, follower: f, session, offset });
        }
    }

    fn read_for_replica(&mut self, li: usize, offset: u64) -> FetchResult {
        let mut batches = self.batch_vecs.pop().unwrap_or_default();
        let r = &self.replicas[li];
        r.log.read(offset, r.log.log_end_offset, 8192, &mut batches);
        FetchResult::Records { batches, high_watermark: r.high_watermark, log_start_offset: r.log.log_start_offset, upto: r.log.log_end_offset }
    }

    fn read_for_consumer(&mut self, li: usize, offset: u64) -> FetchResult {
        let mut batches = self.batch_vecs.pop().unwrap_or_default();
        let r = &self.replicas[li];
        r.log.read(offset, r.high_watermark, 4096, &mut batches);
        FetchResult::Records { batches, high_watermark: r.high_watermark, log_start_offset: r.log.log_start_offset, upto: r.high_watermark }
    }

    fn respond_replica_fetch(&mut self, l: u32, f: u32, tp: u32, session: u64, result: FetchResult) {
        match self.net.transit(self.now, Node::Broker(l), Node::Broker(f)) {
            Some(t) => {
                let result = self.boxed(result);
                self.at(t, Event::ReplicaFetchResponse { follower: f, tp, session, result })
            }
            None => {
                let backoff = self.scenario.cluster.config.replica_fetch_backoff_ms * US_PER_MS;
                self.at(self.now + 30_000 * US_PER_MS + backoff, Event::ReplicaFetchRetry { follower: f, tp, session });
            }
        }
    }

    pub(crate) fn on_replica_fetch_response(&mut self, f: u32, tp: u32, session: u64, result: FetchResult) {
        if !self.brokers[f as usize].up {
            return;
        }
        let Some(ri) = self.replica_of(tp, f) else { return };
        if self.replicas[ri].session != session || self.replicas[ri].is_leader {
            return;
        }
        match result {
            FetchResult::Records { mut batches, high_watermark, log_start_offset, .. } => {
                let (segment_bytes, seg_us) = self.segment_limits(tp);
                let now = self.now;
                let r = &mut self.replicas[ri];
                for mut b in batches.drain(..) {
                    let leo = r.log.log_end_offset;
                    if b.last_offset() < leo {
                        continue;
                    }
                    if b.base_offset < leo {
                        let keep = b.index_from(leo);
                        let nb = Rc::make_mut(&mut b);
                        nb.keep(keep..nb.len());
                        nb.base_offset = leo;
                    }
                    if b.base_offset > leo {
                        break;
                    }
                    if b.producer != u32::MAX {
                        record_producer_batch(&mut r.producers, &b);
                    }
                    r.log.append(b, now, segment_bytes, seg_us);
                }
                if log_start_offset > r.log.log_start_offset {
                    r.log.advance_start(log_start_offset);
                }
                let new_hw = high_watermark.min(r.log.log_end_offset);
                if new_hw > r.high_watermark {
                    r.high_watermark = new_hw;
                }
                recycle_batch_vec(&mut self.batch_vecs, batches);
                self.send_replica_fetch(ri);
            }
            FetchResult::Diverging { end_offset } => {
                let name = self.tp_name(tp);
                let r = &mut self.replicas[ri];
                let removed = r.log.log_end_offset.saturating_sub(end_offset);
                r.log.truncate_to(end_offset);
                rebuild_producer_state(r);
                if r.high_watermark > r.log.log_end_offset {
                    self.checker.hw_regressions += 1;
                    let r = &mut self.replicas[ri];
                    r.high_watermark = r.log.log_end_offset;
                }
                self.metrics.truncations += 1;
                self.log.push(self.now, "truncate", format!("{name}: broker {f} truncated its log to offset {end_offset} ({removed} records the new leader never had)."));
                self.send_replica_fetch(ri);
            }
            FetchResult::Error(_) => {
                let backoff = self.scenario.cluster.config.replica_fetch_backoff_ms * US_PER_MS;
                self.at(self.now + backoff, Event::ReplicaFetchRetry { follower: f, tp, session });
            }
        }
    }

    /// Answer parked fetches that can now be answered: followers when the log grew, consumers when
    /// the high watermark moved.
    pub(crate) fn wake_parked(&mut self, li: usize, replicas: bool) {
        // Nothing to do unless some entry can be answered (an entry's first condition below; a
        // share group's fetch is then also asked whether it can acquire something): most calls
        // find none, and leave at once.
        let r = &self.replicas[li];
        let answerable = |p: &Parked| match *p {
            Parked::Replica { offset, .. } => replicas && offset < r.log.log_end_offset,
            Parked::Consumer { offset, .. } => !replicas && offset < r.high_watermark,
        };
        if !r.parked.iter().any(answerable) {
            return;
        }
        let (b, tp) = (r.broker, r.tp);
        // Answered entries leave, the others keep their order; the vector keeps its capacity, and
        // fetches parked meanwhile go to the spare one (no allocation per wake-up).
        let spare = std::mem::take(&mut self.parked_spare);
        let mut parked = std::mem::replace(&mut self.replicas[li].parked, spare);
        let mut kept = 0;
        for i in 0..parked.len() {
            match parked[i] {
                Parked::Replica { follower, session, offset, .. } if replicas && offset < self.replicas[li].log.log_end_offset => {
                    let res = self.read_for_replica(li, offset);
                    self.respond_replica_fetch(b, follower, tp, session, res);
                }
                // A share group's fetch is answered only if it can acquire something.
                Parked::Consumer { group, member, session, offset, .. } if !replicas && offset < self.replicas[li].high_watermark && self.is_share(group) && self.share_answer(li, group, member, session, false) => {}
                Parked::Consumer { group, member, session, offset, .. } if !replicas && offset < self.replicas[li].high_watermark && !self.is_share(group) => {
                    let res = self.read_for_consumer(li, offset);
                    self.respond_consumer_fetch(b, group, member, tp, session, res);
                }
                _ => {
                    parked.swap(kept, i);
                    kept += 1;
                }
            }
        }
        parked.truncate(kept);
        // Anything parked meanwhile goes first, as before.
        let mut added = std::mem::replace(&mut self.replicas[li].parked, parked);
        if !added.is_empty() {
            std::mem::swap(&mut self.replicas[li].parked, &mut added);
            self.replicas[li].parked.append(&mut added);
        }
        self.parked_spare = added;
    }

    /// Hold a fetch at replica `li` until data arrives or its deadline, arming the replica's wait
    /// timer if this deadline is the earliest.
    pub(crate) fn park(&mut self, li: usize, p: Parked) {
        let deadline = p.deadline();
        let r = &mut self.replicas[li];
        r.parked.push(p);
        if r.wait_timer.is_none_or(|t| deadline < t) {
            r.wait_timer = Some(deadline);
            let (broker, tp) = (r.broker, r.tp);
            self.at(deadline, Event::FetchWaitExpired { broker, tp });
        }
    }

    /// The replica's wait timer: answer every parked fetch whose wait ran out, in the order they
    /// parked, and re-arm for the earliest deadline left. A timer that is no longer the armed one
    /// (re-armed earlier, or the broker crashed meanwhile) does nothing.
    pub(crate) fn on_fetch_wait_expired(&mut self, b: u32, tp: u32) {
        if !self.brokers[b as usize].up {
            return;
        }
        let Some(li) = self.replica_of(tp, b) else { return };
        let now = self.now;
        if self.replicas[li].wait_timer != Some(now) {
            return;
        }
        self.replicas[li].wait_timer = None;
        let mut parked = std::mem::take(&mut self.replicas[li].parked);
        let mut kept = 0;
        for i in 0..parked.len() {
            if parked[i].deadline() > now {
                parked.swap(kept, i);
                kept += 1;
                continue;
            }
            match parked[i] {
                Parked::Replica { follower, session, offset, .. } => {
                    let res = self.read_for_replica(li, offset);
                    self.respond_replica_fetch(b, follower, tp, session, res);
                }
                Parked::Consumer { group, member, session, .. } if self.is_share(group) => {
                    self.share_answer(li, group, member, session, true);
                }
                Parked::Consumer { group, member, session, offset, .. } => {
                    let res = self.read_for_consumer(li, offset);
                    self.respond_consumer_fetch(b, group, member, tp, session, res);
                }
            }
        }
        parked.truncate(kept);
        // Answering can park new fetches (an answer delivered inline, and the consumer's next
        // fetch): they go after the ones still waiting.
        let added = std::mem::replace(&mut self.replicas[li].parked, parked);
        self.replicas[li].parked.extend(added);
        // A fetch parked meanwhile (an answer delivered inline can lead to one) armed the timer.
        if let Some(next) = self.replicas[li].parked.iter().map(Parked::deadline).min() {
            if self.replicas[li].wait_timer.is_none_or(|t| next < t) {
                self.replicas[li].wait_timer = Some(next);
                self.at(next, Event::FetchWaitExpired { broker: b, tp });
            }
        }
    }

    // ---- Produce at the leader -------------------------------------------------------------------

    pub(crate) fn on_produce(&mut self, req: ProduceRequest) {
        let b = req.broker;
        if !self.brokers[b as usize].up {
            let t = self.now + self.net.latency(Node::Broker(b), Node::ANY_CLIENT);
            if req.acks != Acks::Zero {
                self.at(t, Event::ProduceResponse { producer: req.producer, part: req.part, req_id: req.req_id, result: Err(KafkaError::NetworkException) });
            }
            return;
        }
        let tp = req.tp;
        let reply = |sim: &mut Sim, result: Result<u64, KafkaError>| {
            if req.acks != Acks::Zero {
                sim.respond_produce(b, req.producer, req.part, req.req_id, req.sent_us, result);
            }
        };
        let Some(li) = self.replica_of(tp, b) else {
            reply(self, Err(KafkaError::NotLeaderOrFollower));
            return;
        };
        if !self.replicas[li].is_leader {
            self.metrics.failed_produce_requests += 1;
            reply(self, Err(KafkaError::NotLeaderOrFollower));
            return;
        }
        let min_isr = self.topic_of(tp).config.min_insync_replicas as usize;
        if req.acks == Acks::All && self.replicas[li].isr.len() < min_isr {
            self.metrics.failed_produce_requests += 1;
            if self.metrics.not_enough_replicas_logged < 20 {
                self.metrics.not_enough_replicas_logged += 1;
                let name = self.tp_name(tp);
                let isr = self.replicas[li].isr.clone();
                self.log.push(
                    self.now,
                    "produce",
                    format!("Produce to {name} failed: NOT_ENOUGH_REPLICAS — acks=all needs {min_isr} in-sync replicas, only {} is in the ISR ({isr:?}).", isr.len()),
                );
            }
            reply(self, Err(KafkaError::NotEnoughReplicas));
            return;
        }
        let mut batch = req.batch;
        if req.idempotent {
            let entry = &self.replicas[li].producers[req.producer as usize];
            if let Some(&(_, _, base)) = entry.recent.iter().find(|(s, _, _)| *s == batch.base_seq) {
                // An exact retry of a batch already written: answer with the original offset.
                self.metrics.duplicates_dropped += 1;
                reply(self, Ok(base));
                return;
            }
            if let Some(&(_, last, _)) = entry.recent.back() {
                if batch.base_seq != last.wrapping_add(1) {
                    self.metrics.failed_produce_requests += 1;
                    reply(self, Err(KafkaError::OutOfOrderSequence));
                    return;
                }
            }
        }
        let (segment_bytes, segment_us) = self.segment_limits(tp);
        let r = &mut self.replicas[li];
        let base = r.log.log_end_offset;
        let n = batch.len() as u64;
        // The request holds the only reference: this writes in place.
        let b = Rc::make_mut(&mut batch);
        b.base_offset = base;
        b.leader_epoch = r.leader_epoch;
        if req.idempotent {
            record_producer_batch(&mut r.producers, &batch);
        }
        self.metrics.bytes_in += batch.bytes as u64;
        self.metrics.messages_in += n;
        r.log.append(batch, self.now, segment_bytes, segment_us);
        let last = base + n - 1;
        // Over a zero-latency network an acks=1 acknowledgement is the leader's last step, after
        // the fetches it wakes, so the producer can read it at once (see `deliver_now`). Elsewhere
        // it goes out right after the append, as before.
        let ack_last = req.acks == Acks::One && self.net.instant();
        if req.acks == Acks::All {
            self.replicas[li].purgatory.push_back(PendingProduce { producer: req.producer, part: req.part, req_id: req.req_id, base_offset: base, last_offset: last, sent_us: req.sent_us });
        } else if !ack_last {
            reply(self, Ok(base));
        }
        self.advance_high_watermark(li);
        self.wake_parked(li, true);
        // The network is instant: the answer arrives now. Only a success is read at once: an error
        // read in the middle of the producer's sending would hold back the batches after it
        // (Kafka's sender sends every ready batch before it reads a response).
        if ack_last {
            if self.deliver_now(self.now, KIND_PRODUCE_RESPONSE, req.req_id) {
                self.on_produce_response(req.producer, req.part, req.req_id, Ok(base));
                self.delivered();
            } else {
                reply(self, Ok(base));
            }
        }
    }

    pub(crate) fn respond_produce(&mut self, b: u32, producer: u32, part: u32, req_id: u64, sent_us: SimTime, result: Result<u64, KafkaError>) {
        let node = self.producers[producer as usize].node;
        match self.net.transit(self.now, Node::Broker(b), Node::Client(node)) {
            Some(t) => self.at(t, Event::ProduceResponse { producer, part, req_id, result }),
            None => {
                let timeout = self.producers[producer as usize].cfg.request_timeout_ms * US_PER_MS;
                self.at((sent_us + timeout).max(self.now), Event::ProduceResponse { producer, part, req_id, result: Err(KafkaError::RequestTimedOut) });
            }
        }
    }

    // ---- Consumer fetch at the leader ------------------------------------------------------------

    pub(crate) fn on_consumer_fetch(&mut self, b: u32, tp: u32, g: u32, m: u32, offset: u64, session: u64) {
        if self.is_share(g) {
            return self.on_share_fetch(b, tp, g, m, session);
        }
        let backoff = self.groups[g as usize].cfg.retry_backoff_ms * US_PER_MS;
        if !self.brokers[b as usize].up {
            self.at(self.now + self.net.latency(Node::Broker(b), Node::ANY_CLIENT) + backoff, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            return;
        }
        let Some(li) = self.replica_of(tp, b) else { return };
        let r = &self.replicas[li];
        if !r.is_leader {
            self.respond_consumer_fetch(b, g, m, tp, session, FetchResult::Error(KafkaError::NotLeaderOrFollower));
            return;
        }
        if offset < r.log.log_start_offset || offset > r.log.log_end_offset {
            self.respond_consumer_fetch(b, g, m, tp, session, FetchResult::Error(KafkaError::OffsetOutOfRange));
            return;
        }
        if offset < r.high_watermark {
            let res = self.read_for_consumer(li, offset);
            self.respond_consumer_fetch(b, g, m, tp, session, res);
        } else {
            let deadline = self.now + self.groups[g as usize].cfg.fetch_max_wait_ms * US_PER_MS;
            self.park(li, Parked::Consumer { deadline, group: g, member: m, session, offset });
        }
    }

    pub(crate) fn respond_consumer_fetch(&mut self, b: u32, g: u32, m: u32, tp: u32, session: u64, result: FetchResult) {
        let node = self.groups[g as usize].members[m as usize].node;
        match self.net.transit(self.now, Node::Broker(b), Node::Client(node)) {
            // Share groups' answers always go through the queue.
            Some(t) if !self.is_share(g) && self.deliver_now(t, KIND_CONSUMER_FETCH_RESPONSE, fetch_response_subject(tp, m)) => {
                self.on_consumer_fetch_response(g, m, tp, session, result);
                self.delivered();
            }
            Some(t) => {
                let result = self.boxed(result);
                self.at(t, Event::ConsumerFetchResponse { group: g, member: m, tp, session, result })
            }
            None => {
                let timeout = self.groups[g as usize].cfg.request_timeout_ms * US_PER_MS;
                self.at(self.now + timeout, Event::ConsumerFetchRetry { group: g, member: m, tp, session });
            }
        }
    }

    // ---- Retention and compaction ----------------------------------------------------------------

    pub(crate) fn on_retention_check(&mut self) {
        let now = self.now;
        for ri in 0..self.replicas.len() {
            let tp = self.replicas[ri].tp;
            let b = self.replicas[ri].broker;
            if !self.brokers[b as usize].up {
                continue;
            }
            let cfg = self.topic_of(tp).config.clone();
            let is_leader = self.replicas[ri].is_leader;
            let r = &mut self.replicas[ri];
            let limit = r.high_watermark;
            let retention_us = if cfg.retention_ms < 0 { None } else { Some(cfg.retention_ms as u64 * US_PER_MS) };
            let retention_bytes = if cfg.retention_bytes < 0 { None } else { Some(cfg.retention_bytes as u64) };
            let mut removed = Vec::new();
            if cfg.cleanup_policy == CleanupPolicy::Delete {
                removed = r.log.delete_segments(limit, |seg, total| {
                    retention_us.is_some_and(|ret| now.saturating_sub(seg.max_ts_us) > ret) || retention_bytes.is_some_and(|max| total.saturating_sub(seg.bytes) >= max)
                });
            } else {
                let delete_retention_us = cfg.delete_retention_ms * US_PER_MS;
                compact(&mut r.log, limit, now, delete_retention_us, cfg.min_cleanable_dirty_ratio, &mut removed);
            }
            if is_leader && !removed.is_empty() {
                let n: u64 = removed.iter().map(|b| b.len() as u64).sum();
                for batch in &removed {
                    for rec in batch.records() {
                        self.checker.on_expired(rec.id);
                    }
                }
                let name = self.tp_name(tp);
                let start = self.replicas[ri].log.log_start_offset;
                let what = if cfg.cleanup_policy == CleanupPolicy::Delete { "retention deleted" } else { "compaction removed" };
                self.log.push(now, "retention", format!("{name}: {what} {n} records; log start offset now {start}."));
            }
        }
        let interval = self.scenario.cluster.config.log_retention_check_interval_ms * US_PER_MS;
        self.at(now + interval.max(US_PER_MS), Event::RetentionCheck);
    }
}

/// Return a fetch response's emptied batch vector for the next read (fewer allocations per fetch).
pub(crate) fn recycle_batch_vec(pool: &mut Vec<Vec<Rc<Batch>>>, mut v: Vec<Rc<Batch>>) {
    v.clear();
    if pool.len() < 64 {
        pool.push(v);
    }
}

/// Remember a producer's batch for duplicate detection (the last five per producer, like Kafka).
pub(crate) fn record_producer_batch(entries: &mut [ProducerEntry], b: &Batch) {
    if let Some(e) = entries.get_mut(b.producer as usize) {
        e.recent.push_back((b.base_seq, b.base_seq.wrapping_add(b.len() as u32).wrapping_sub(1), b.base_offset));
        if e.recent.len() > 5 {
            e.recent.pop_front();
        }
    }
}

/// After truncation, rebuild idempotence state from the log's last batches (as Kafka reloads it).
fn rebuild_producer_state(r: &mut Replica) {
    for e in r.producers.iter_mut() {
        e.recent.clear();
    }
    let start = r.log.batches.len().saturating_sub(1000);
    let tail: Vec<Rc<Batch>> = r.log.batches.range(start..).filter(|b| b.producer != u32::MAX).cloned().collect();
    for b in &tail {
        record_producer_batch(&mut r.producers, b);
    }
}

/// Log compaction: in the cleanable part of the log (below the active segment and the HW), keep only
/// the latest record per key; drop tombstones older than `delete.retention.ms`. Offsets never change.
fn compact(log: &mut Log, hw: u64, now: SimTime, delete_retention_us: SimTime, min_dirty_ratio: f64, removed: &mut Vec<Rc<Batch>>) {
    let Some(active) = log.segments.back() else { return };
    let clean_end = active.base_offset.min(hw);
    if clean_end <= log.cleaned_upto {
        return;
    }
    let dirty: u64 = log.batches.iter().filter(|b| b.base_offset >= log.cleaned_upto && b.last_offset() < clean_end).map(|b| b.len() as u64).sum();
    let total: u64 = log.batches.iter().filter(|b| b.last_offset() < clean_end).map(|b| b.len() as u64).sum();
    if total == 0 || (dirty as f64) / (total as f64) < min_dirty_ratio {
        return;
    }
    let mut latest: BTreeMap<u32, u64> = BTreeMap::new();
    for b in log.batches.iter() {
        for (i, r) in b.block.recs.iter().enumerate() {
            latest.insert(r.key, b.offset_at(i));
        }
    }
    let mut kept_records = 0u64;
    let mut kept_bytes = 0u64;
    let mut out: VecDeque<Rc<Batch>> = VecDeque::with_capacity(log.batches.len());
    for b in log.batches.drain(..) {
        if b.last_offset() >= clean_end {
            kept_records += b.len() as u64;
            kept_bytes += b.bytes as u64;
            out.push_back(b);
            continue;
        }
        let per = b.bytes / b.len().max(1) as u32;
        let mut recs = Vec::new();
        let mut offs = Vec::new();
        let mut gone = Vec::new();
        for (i, r) in b.block.recs.iter().enumerate() {
            let off = b.offset_at(i);
            let is_latest = latest.get(&r.key) == Some(&off);
            let ts_us = b.block.base_ts_us + r.ts_delta_us as u64;
            let tombstone_expired = r.flags & super::log::FLAG_TOMBSTONE != 0 && now.saturating_sub(ts_us) > delete_retention_us;
            if is_latest && !tombstone_expired {
                recs.push(*r);
                offs.push(off);
            } else {
                gone.push(*r);
            }
        }
        if !gone.is_empty() {
            // Only its records are read (retention's accounting), not its offsets.
            removed.push(Rc::new(Batch { block: RecBlock { recs: Recs::from(gone.as_slice()), ..b.block.clone() }, compacted: None, ..(*b).clone() }));
        }
        if recs.is_empty() {
            continue;
        }
        let compacted = Some(Rc::new(Compacted { offsets: offs, last_offset: b.last_offset() }));
        let nb = Rc::new(Batch { bytes: per * recs.len() as u32, block: RecBlock { recs: Recs::from(recs.as_slice()), ..b.block.clone() }, compacted, ..(*b).clone() });
        kept_records += nb.len() as u64;
        kept_bytes += nb.bytes as u64;
        out.push_back(nb);
    }
    log.batches = out;
    log.records = kept_records;
    log.bytes = kept_bytes;
    log.cleaned_upto = clean_end;
}
