//! `ServiceSim`: point-to-point REST versus events, the same services integrated two ways
//! (`"design": "rest"` or `"events"`, the `services` section). Every record a producer sends is one
//! request (rest) or one event (events) arriving at the first service.
//!
//! Rest: a service takes a request on one of its `replicas × concurrency` worker threads (none free:
//! it answers 503 at once, `rejected`), does its own work (`processing_ms`), then calls each of its
//! `calls` in turn and waits for the answer while holding the thread (`blocked`). A caller gives an
//! attempt up after `timeout.ms`, retries `retries` times after `retry.backoff.ms`, and fails its own
//! request when the last attempt fails; a call needs one of the `max.connections` connections from
//! the calling service to the callee, else the caller's pool refuses it at once
//! (`pool_exhausted`). A crashed service answers nothing: its callers wait for their timeouts, and
//! the work it had in hand is lost. The external client behaves like any caller (same timeout and
//! retries) with an unlimited pool. A request completes when the first service answers it.
//!
//! Events: each service is a consumer group of `replicas` members working on up to `concurrency`
//! events each; its input is a durable FIFO (the topics it subscribes to, modelled as one queue, not
//! the log engine: no partitions, no per-key order, no retention). When a service is done with an
//! event it publishes one to each downstream service's input. A crashed service stops consuming:
//! its input grows (lag) and drains once it is back; what it was processing is redelivered. An
//! event's journey completes when every service downstream of the entry has processed it.
//!
//! Guarantees shared with the other designs: integer virtual time, one `EventQueue` ordered by
//! (time, insertion), one root `ChaCha8Rng` from the seed with sub-generators drawn in a fixed order
//! (producers, then services), `libm` for `ln`, ordered maps only, and a `TraceHash` folded over
//! every processed event. Every network hop takes the scenario's `latency_ms`.

use std::collections::{BTreeMap, VecDeque};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::kernel::{exp_us, ms_to_us, rng_from_seed, sub_rng, EventQueue, SimRng, SimTime, TraceHash, US_PER_MS, Traced};
use super::workload::Source;
use crate::scenario::{Action, Design, ProcessingSpec, Scenario};

/// How the services are integrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Rest,
    Events,
}

/// Who waits for a call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// The external client, for request `req`.
    Client { req: u32 },
    /// A worker thread of service `svc` serving the call `job` (the id of the call it serves).
    Job { svc: u32, job: u64 },
}

impl Caller {
    fn code(self) -> u64 {
        match self {
            Caller::Client { req } => req as u64,
            Caller::Job { svc, job } => ((svc as u64 + 1) << 48) ^ job,
        }
    }
}

/// Everything that can happen. One closed enum, handled by one `match`.
#[derive(Clone, Debug)]
enum Event {
    Timeline { index: u32 },
    SpikeEnd { producer: u32, token: u64 },
    Arrival { producer: u32, token: u64 },
    /// Rest: a call reaches service `svc`.
    CallArrive { svc: u32, call: u64 },
    /// Rest: a service's own work on the call `job` is done; it starts calling downstream.
    WorkDone { svc: u32, job: u64, incarnation: u32 },
    /// Rest: the answer to `call` reaches its caller.
    Response { call: u64, ok: bool },
    CallTimeout { call: u64 },
    /// Rest: the caller tries `target` again.
    Retry { caller: Caller, target: u32, attempt: u32 },
    /// Events: an event for request `req` lands in service `svc`'s input.
    Publish { svc: u32, req: u32 },
    /// Events: a member of `svc` is done with a delivery.
    Processed { svc: u32, delivery: u64, incarnation: u32 },
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
            Event::CallArrive { .. } => 4,
            Event::WorkDone { .. } => 5,
            Event::Response { .. } => 6,
            Event::CallTimeout { .. } => 7,
            Event::Retry { .. } => 8,
            Event::Publish { .. } => 9,
            Event::Processed { .. } => 10,
        }
    }
    fn subject(&self) -> u64 {
        match self {
            Event::Timeline { index } => *index as u64,
            Event::SpikeEnd { producer, .. } | Event::Arrival { producer, .. } => *producer as u64,
            Event::CallArrive { svc, call } => ((*svc as u64) << 48) ^ call,
            Event::WorkDone { svc, job, .. } => ((*svc as u64) << 48) ^ job,
            Event::Response { call, ok } => (call << 1) ^ *ok as u64,
            Event::CallTimeout { call } => *call,
            Event::Retry { caller, target, attempt } => caller.code() ^ ((*target as u64) << 40) ^ ((*attempt as u64) << 56),
            Event::Publish { svc, req } => ((*svc as u64) << 32) | *req as u64,
            Event::Processed { svc, delivery, .. } => ((*svc as u64) << 48) ^ delivery,
        }
    }
}

/// One service's figures, as the report shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServiceStats {
    /// Worker threads (rest) or event slots (events): replicas × concurrency.
    pub workers: u32,
    /// Requests answered with success (rest) or events processed (events).
    pub processed: u64,
    /// Rest: requests it answered with an error because a call downstream failed.
    pub failed: u64,
    /// Rest: requests refused because every worker was busy.
    pub rejected: u64,
    /// Rest: calls to this service its callers gave up on (`timeout.ms`).
    pub timeouts: u64,
    /// Rest: calls to this service made again after a failed attempt.
    pub retries: u64,
    /// Rest: calls to this service refused by the caller's own connection pool.
    pub pool_exhausted: u64,
    /// Rest: most of its workers waiting on a downstream call at once.
    pub blocked_max: u64,
    /// Events: the most events waiting in its input or in processing at once, and at the end.
    pub lag_max: u64,
    pub lag_end: u64,
    /// Events: deliveries processed again after the service crashed mid-way.
    pub redelivered: u64,
    /// How long it was down.
    pub down_ms: u64,
}

/// How the services are wired, counted as the design needs it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Integration {
    pub services: u32,
    /// Rest: the call edges configured (each caller keeps a client, a timeout and a retry policy per
    /// callee). Events: none.
    pub point_to_point_links: u32,
    /// Every service calling every other: N·(N−1).
    pub point_to_point_worst_case: u32,
    /// Events: one subscription per service (its consumer group), whatever it consumes. Rest: none.
    pub topic_subscriptions: u32,
    /// Events: (service, upstream topic) pairs, the entry's input topic included.
    pub topics_consumed: u32,
    /// The design's integration count: rest the links, events the subscriptions.
    pub count: u32,
}

/// The `services` figures of the run report (rest and events designs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServicesReport {
    /// Requests (rest) or events (events) that entered at the first service.
    pub requests: u64,
    /// Completed end to end (rest: answered with success; events: processed by every service).
    pub completed: u64,
    /// Rest: requests the client saw fail after its retries. Events: always 0.
    pub failed: u64,
    /// Neither completed nor failed at the end (still in flight or waiting in an input).
    pub pending: u64,
    pub rejected: u64,
    pub timeouts: u64,
    pub retries: u64,
    pub pool_exhausted: u64,
    /// Rest: the most worker threads, over all services, waiting on a downstream call at once.
    pub blocked_max: u64,
    /// Rest: thread-milliseconds spent waiting on downstream calls.
    pub blocked_thread_ms: u64,
    /// Events: the largest input backlog of one service.
    pub lag_max: u64,
    pub redelivered: u64,
    /// After the last `restart_service`: time until the first request sent after it completed end
    /// to end (None: no restart, or none completed by the end).
    pub recovery_ms: Option<u64>,
    pub integration: Integration,
    pub services: BTreeMap<String, ServiceStats>,
}

/// A worker thread's request (rest).
struct Job {
    /// The call it serves (its caller waits for the answer to this id).
    incoming: u64,
    /// The downstream call it is on (index into `calls`).
    next: u32,
    blocked: bool,
}

/// A call in flight (rest).
struct Out {
    caller: Caller,
    target: u32,
    attempt: u32,
}

struct Svc {
    name: String,
    processing: ProcessingSpec,
    calls: Vec<u32>,
    workers: u32,
    up: bool,
    incarnation: u32,
    down_since: Option<SimTime>,
    down_us: SimTime,
    rng: SimRng,
    // Rest.
    busy: u32,
    blocked: u32,
    jobs: BTreeMap<u64, Job>,
    /// Connections in use from this service to each service.
    pool: Vec<u32>,
    // Events.
    ready: VecDeque<u32>,
    in_flight: BTreeMap<u64, u32>,
    stats: ServiceStats,
}

impl Svc {
    fn work_us(&mut self) -> SimTime {
        match self.processing {
            ProcessingSpec::Constant { mean } => ms_to_us(mean),
            ProcessingSpec::Exponential { mean } => exp_us(&mut self.rng, mean * 1000.0),
        }
    }
    fn lag(&self) -> u64 {
        (self.ready.len() + self.in_flight.len()) as u64
    }
}

/// One entered request: when, how many tries the client made, what is left (events).
struct Req {
    sent_us: SimTime,
    attempt: u32,
    /// 0 in flight, 1 completed, 2 failed.
    done: u8,
    /// Events: deliveries of it not yet processed.
    pending: u32,
}

/// The rest or events design's simulated system.
pub struct ServiceSim {
    scenario: Scenario,
    pub mode: Mode,
    now: SimTime,
    end: SimTime,
    queue: EventQueue<Event>,
    hash: TraceHash,
    events: u64,
    latency: SimTime,
    timeout: SimTime,
    retries: u32,
    backoff: SimTime,
    max_connections: u32,
    sources: Vec<Source>,
    svcs: Vec<Svc>,
    reqs: Vec<Req>,
    outstanding: BTreeMap<u64, Out>,
    next_call: u64,
    next_delivery: u64,
    e2e: Histogram<u64>,
    completed: u64,
    failed: u64,
    blocked_total: u64,
    blocked_max: u64,
    blocked_since: SimTime,
    blocked_us: u128,
    /// The last restart and the first request sent after it.
    restart: Option<(SimTime, u32)>,
    recovery_us: Option<SimTime>,
    ignored_actions: u64,
}

fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("valid bounds");
    h.auto(true);
    h
}

impl ServiceSim {
    /// Build the services of a validated `rest` or `events` scenario, at time zero. A scenario
    /// without services (not one of these designs) gets none, and nothing enters.
    pub fn new(scenario: &Scenario) -> ServiceSim {
        let mode = if scenario.design == Design::Events { Mode::Events } else { Mode::Rest };
        let mut rng = rng_from_seed(scenario.seed);
        let spec = scenario.services.clone().unwrap_or(crate::scenario::ServicesSpec { list: Vec::new(), rest: Default::default() });
        let mut sim = ServiceSim {
            scenario: scenario.clone(),
            mode,
            now: 0,
            end: scenario.duration_ms.saturating_mul(US_PER_MS),
            queue: EventQueue::default(),
            hash: TraceHash::default(),
            events: 0,
            latency: ms_to_us(scenario.cluster.network.latency_ms),
            timeout: spec.rest.timeout_ms.saturating_mul(US_PER_MS),
            retries: spec.rest.retries,
            backoff: spec.rest.retry_backoff_ms.saturating_mul(US_PER_MS),
            max_connections: spec.rest.max_connections,
            sources: Vec::new(),
            svcs: Vec::new(),
            reqs: Vec::new(),
            outstanding: BTreeMap::new(),
            next_call: 1,
            next_delivery: 1,
            e2e: histogram(),
            completed: 0,
            failed: 0,
            blocked_total: 0,
            blocked_max: 0,
            blocked_since: 0,
            blocked_us: 0,
            restart: None,
            recovery_us: None,
            ignored_actions: 0,
        };
        sim.hash.fold(scenario.seed);
        // A first fold of its own per design, so no two designs share a hash.
        sim.hash.fold(match mode {
            Mode::Rest => 0x5e_1e57,
            Mode::Events => 0x5e_e7e5,
        });
        for p in &scenario.producers {
            sim.sources.push(Source::new(p, sub_rng(&mut rng), None));
        }
        let n = spec.list.len();
        for s in &spec.list {
            let calls = s.calls.iter().filter_map(|c| spec.list.iter().position(|x| &x.name == c).map(|i| i as u32)).collect();
            let workers = s.replicas.saturating_mul(s.concurrency);
            sim.svcs.push(Svc {
                name: s.name.clone(),
                processing: s.processing_ms.clone(),
                calls,
                workers,
                up: true,
                incarnation: 0,
                down_since: None,
                down_us: 0,
                rng: sub_rng(&mut rng),
                busy: 0,
                blocked: 0,
                jobs: BTreeMap::new(),
                pool: vec![0; n],
                ready: VecDeque::new(),
                in_flight: BTreeMap::new(),
                stats: ServiceStats { workers, ..Default::default() },
            });
        }
        if !sim.svcs.is_empty() {
            for p in 0..sim.sources.len() as u32 {
                sim.restart_arrivals(p);
            }
        }
        for (i, entry) in scenario.timeline.iter().enumerate() {
            sim.queue.push(entry.at_ms.saturating_mul(US_PER_MS), Event::Timeline { index: i as u32 });
        }
        sim
    }

    super::kernel::run_loop!();

    /// Apply an action now (as a timeline entry would).
    pub fn apply(&mut self, action: &Action) {
        self.hash.fold(0xac710 ^ self.now);
        self.apply_action(action);
    }

    fn at(&mut self, t: SimTime, ev: Event) {
        self.queue.push(t, ev);
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Timeline { index } => {
                let action = self.scenario.timeline[index as usize].action.clone();
                self.apply_action(&action);
            }
            Event::SpikeEnd { producer, token } => {
                let s = &mut self.sources[producer as usize];
                if s.spike_token == token {
                    s.rate = s.base_rate;
                    self.restart_arrivals(producer);
                }
            }
            Event::Arrival { producer, token } => {
                if self.sources[producer as usize].token != token {
                    return;
                }
                let dt = self.sources[producer as usize].interval_us();
                self.at(self.now + dt, Event::Arrival { producer, token });
                self.enter();
            }
            Event::CallArrive { svc, call } => self.on_call_arrive(svc, call),
            Event::WorkDone { svc, job, incarnation } => {
                if self.svcs[svc as usize].incarnation == incarnation && self.svcs[svc as usize].jobs.contains_key(&job) {
                    self.continue_job(svc, job);
                }
            }
            Event::Response { call, ok } => {
                if let Some(out) = self.outstanding.remove(&call) {
                    self.release(out.caller, out.target);
                    if ok {
                        self.call_ok(out.caller);
                    } else {
                        self.call_failed(out.caller, out.target, out.attempt);
                    }
                }
            }
            Event::CallTimeout { call } => {
                if let Some(out) = self.outstanding.remove(&call) {
                    self.release(out.caller, out.target);
                    self.svcs[out.target as usize].stats.timeouts += 1;
                    self.call_failed(out.caller, out.target, out.attempt);
                }
            }
            Event::Retry { caller, target, attempt } => {
                if self.caller_alive(caller) {
                    self.attempt_call(caller, target, attempt);
                }
            }
            Event::Publish { svc, req } => {
                let s = &mut self.svcs[svc as usize];
                s.ready.push_back(req);
                s.stats.lag_max = s.stats.lag_max.max(s.lag());
                self.pump(svc);
            }
            Event::Processed { svc, delivery, incarnation } => self.on_event_done(svc, delivery, incarnation),
        }
    }

    fn restart_arrivals(&mut self, p: u32) {
        let s = &mut self.sources[p as usize];
        s.token += 1;
        let token = s.token;
        let dt = s.interval_us();
        self.at(self.now + dt, Event::Arrival { producer: p, token });
    }

    /// A new request or event enters at the first service.
    fn enter(&mut self) {
        let req = self.reqs.len() as u32;
        self.reqs.push(Req { sent_us: self.now, attempt: 0, done: 0, pending: 1 });
        match self.mode {
            Mode::Rest => self.attempt_call(Caller::Client { req }, 0, 0),
            Mode::Events => self.at(self.now + self.latency, Event::Publish { svc: 0, req }),
        }
    }

    fn complete(&mut self, req: u32) {
        let r = &mut self.reqs[req as usize];
        if r.done != 0 {
            return;
        }
        r.done = 1;
        let sent = r.sent_us;
        self.completed += 1;
        let _ = self.e2e.record((self.now - sent).max(1));
        if let Some((t, first)) = self.restart {
            if req >= first && self.recovery_us.is_none() {
                self.recovery_us = Some(self.now - t);
            }
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Rest
    // -----------------------------------------------------------------------------------------------

    fn caller_alive(&self, caller: Caller) -> bool {
        match caller {
            Caller::Client { req } => self.reqs[req as usize].done == 0,
            Caller::Job { svc, job } => self.svcs[svc as usize].jobs.contains_key(&job),
        }
    }

    fn set_blocked(&mut self, svc: u32, blocked: bool) {
        let now = self.now;
        self.blocked_us += (self.blocked_total as u128) * (now - self.blocked_since) as u128;
        self.blocked_since = now;
        let s = &mut self.svcs[svc as usize];
        if blocked {
            s.blocked += 1;
            self.blocked_total += 1;
        } else {
            s.blocked -= 1;
            self.blocked_total -= 1;
        }
        s.stats.blocked_max = s.stats.blocked_max.max(s.blocked as u64);
        self.blocked_max = self.blocked_max.max(self.blocked_total);
    }

    /// A worker thread starts waiting on a downstream call (in flight, or a retry's backoff) and
    /// stays blocked until it answers its own caller.
    fn mark_blocked(&mut self, caller: Caller) {
        if let Caller::Job { svc, job } = caller {
            if let Some(j) = self.svcs[svc as usize].jobs.get_mut(&job) {
                if !j.blocked {
                    j.blocked = true;
                    self.set_blocked(svc, true);
                }
            }
        }
    }

    /// One attempt of a call from `caller` to `target`.
    fn attempt_call(&mut self, caller: Caller, target: u32, attempt: u32) {
        if let Caller::Job { svc, .. } = caller {
            let s = &mut self.svcs[svc as usize];
            if s.pool[target as usize] >= self.max_connections {
                self.svcs[target as usize].stats.pool_exhausted += 1;
                self.call_failed(caller, target, attempt);
                return;
            }
            s.pool[target as usize] += 1;
        }
        self.mark_blocked(caller);
        let call = self.next_call;
        self.next_call += 1;
        self.outstanding.insert(call, Out { caller, target, attempt });
        self.at(self.now + self.latency, Event::CallArrive { svc: target, call });
        self.at(self.now + self.timeout, Event::CallTimeout { call });
    }

    fn release(&mut self, caller: Caller, target: u32) {
        if let Caller::Job { svc, .. } = caller {
            let p = &mut self.svcs[svc as usize].pool[target as usize];
            *p = p.saturating_sub(1);
        }
    }

    fn call_ok(&mut self, caller: Caller) {
        match caller {
            Caller::Client { req } => self.complete(req),
            Caller::Job { svc, job } => {
                if let Some(j) = self.svcs[svc as usize].jobs.get_mut(&job) {
                    j.next += 1;
                    self.continue_job(svc, job);
                }
            }
        }
    }

    /// An attempt failed (error answer, refusal, timeout): retry after the backoff, or give up.
    fn call_failed(&mut self, caller: Caller, target: u32, attempt: u32) {
        if attempt < self.retries {
            self.mark_blocked(caller);
            self.svcs[target as usize].stats.retries += 1;
            if let Caller::Client { req } = caller {
                self.reqs[req as usize].attempt = attempt + 1;
            }
            self.at(self.now + self.backoff, Event::Retry { caller, target, attempt: attempt + 1 });
            return;
        }
        match caller {
            Caller::Client { req } => {
                let r = &mut self.reqs[req as usize];
                if r.done == 0 {
                    r.done = 2;
                    self.failed += 1;
                }
            }
            Caller::Job { svc, job } => self.finish_job(svc, job, false),
        }
    }

    fn on_call_arrive(&mut self, svc: u32, call: u64) {
        let latency = self.latency;
        let s = &mut self.svcs[svc as usize];
        if !s.up {
            // A crashed service answers nothing: the caller finds out from its timeout.
            return;
        }
        if s.busy >= s.workers {
            s.stats.rejected += 1;
            self.at(self.now + latency, Event::Response { call, ok: false });
            return;
        }
        s.busy += 1;
        s.jobs.insert(call, Job { incoming: call, next: 0, blocked: false });
        let work = s.work_us();
        let incarnation = s.incarnation;
        self.at(self.now + work, Event::WorkDone { svc, job: call, incarnation });
    }

    /// Call the next downstream service, or answer when none is left.
    fn continue_job(&mut self, svc: u32, job: u64) {
        let s = &self.svcs[svc as usize];
        let Some(j) = s.jobs.get(&job) else { return };
        match s.calls.get(j.next as usize).copied() {
            Some(target) => self.attempt_call(Caller::Job { svc, job }, target, 0),
            None => self.finish_job(svc, job, true),
        }
    }

    fn finish_job(&mut self, svc: u32, job: u64, ok: bool) {
        let Some(j) = self.svcs[svc as usize].jobs.remove(&job) else { return };
        if j.blocked {
            self.set_blocked(svc, false);
        }
        let s = &mut self.svcs[svc as usize];
        s.busy -= 1;
        if ok {
            s.stats.processed += 1;
        } else {
            s.stats.failed += 1;
        }
        self.at(self.now + self.latency, Event::Response { call: j.incoming, ok });
    }

    // -----------------------------------------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------------------------------------

    /// Hand waiting events to free members.
    fn pump(&mut self, svc: u32) {
        let latency = self.latency;
        loop {
            let s = &mut self.svcs[svc as usize];
            if !s.up || s.in_flight.len() as u32 >= s.workers {
                return;
            }
            let Some(req) = s.ready.pop_front() else { return };
            let delivery = self.next_delivery;
            self.next_delivery += 1;
            s.in_flight.insert(delivery, req);
            let work = s.work_us();
            let incarnation = s.incarnation;
            // One network delay for the fetch, then the work.
            self.at(self.now + latency + work, Event::Processed { svc, delivery, incarnation });
        }
    }

    fn on_event_done(&mut self, svc: u32, delivery: u64, incarnation: u32) {
        let latency = self.latency;
        let s = &mut self.svcs[svc as usize];
        if s.incarnation != incarnation {
            return;
        }
        let Some(req) = s.in_flight.remove(&delivery) else { return };
        s.stats.processed += 1;
        let downstream = s.calls.clone();
        let r = &mut self.reqs[req as usize];
        r.pending = r.pending - 1 + downstream.len() as u32;
        let done = r.pending == 0;
        for d in downstream {
            self.at(self.now + latency, Event::Publish { svc: d, req });
        }
        if done {
            self.complete(req);
        }
        self.pump(svc);
    }

    // -----------------------------------------------------------------------------------------------
    // Faults and load
    // -----------------------------------------------------------------------------------------------

    fn service_index(&self, name: &str) -> Option<u32> {
        self.svcs.iter().position(|s| s.name == name).map(|i| i as u32)
    }

    fn apply_action(&mut self, action: &Action) {
        match action {
            Action::CrashService { service } => match self.service_index(service) {
                Some(i) if self.svcs[i as usize].up => self.crash(i),
                _ => self.ignored_actions += 1,
            },
            Action::RestartService { service } => match self.service_index(service) {
                Some(i) if !self.svcs[i as usize].up => {
                    let now = self.now;
                    let s = &mut self.svcs[i as usize];
                    s.up = true;
                    if let Some(t) = s.down_since.take() {
                        s.down_us += now - t;
                    }
                    self.restart = Some((now, self.reqs.len() as u32));
                    self.recovery_us = None;
                    self.pump(i);
                }
                _ => self.ignored_actions += 1,
            },
            Action::TrafficSpike { producer, factor, duration_ms } => match self.sources.iter().position(|s| &s.name == producer) {
                Some(p) => {
                    let s = &mut self.sources[p];
                    s.rate = s.base_rate * factor;
                    s.spike_token += 1;
                    let token = s.spike_token;
                    self.restart_arrivals(p as u32);
                    self.at(self.now + duration_ms.saturating_mul(US_PER_MS), Event::SpikeEnd { producer: p as u32, token });
                }
                None => self.ignored_actions += 1,
            },
            Action::SetProducerRate { producer, rate_per_sec } => match self.sources.iter().position(|s| &s.name == producer) {
                Some(p) => {
                    let s = &mut self.sources[p];
                    s.base_rate = *rate_per_sec;
                    s.rate = *rate_per_sec;
                    s.spike_token += 1;
                    self.restart_arrivals(p as u32);
                }
                None => self.ignored_actions += 1,
            },
            // Brokers, consumer groups and offsets belong to the log and queue designs.
            _ => self.ignored_actions += 1,
        }
    }

    fn crash(&mut self, i: u32) {
        let now = self.now;
        let blocked = self.svcs[i as usize].blocked;
        for _ in 0..blocked {
            self.set_blocked(i, false);
        }
        let s = &mut self.svcs[i as usize];
        s.up = false;
        s.incarnation += 1;
        s.down_since = Some(now);
        // Rest: its threads and what they were doing are gone; their calls in flight are dropped
        // (answers to them find no one) and their connections closed.
        s.jobs.clear();
        s.busy = 0;
        let mine: Vec<u64> = self.outstanding.iter().filter(|(_, o)| matches!(o.caller, Caller::Job { svc, .. } if svc == i)).map(|(&c, _)| c).collect();
        for c in mine {
            self.outstanding.remove(&c);
        }
        let s = &mut self.svcs[i as usize];
        s.pool.iter_mut().for_each(|p| *p = 0);
        // Events: what was being processed was not committed; it is delivered again, first.
        let back: Vec<u32> = std::mem::take(&mut s.in_flight).into_values().collect();
        s.stats.redelivered += back.len() as u64;
        for req in back.into_iter().rev() {
            s.ready.push_front(req);
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Figures
    // -----------------------------------------------------------------------------------------------

    pub fn report(&self) -> ServicesReport {
        let n = self.svcs.len() as u32;
        let links: u32 = self.svcs.iter().map(|s| s.calls.len() as u32).sum();
        let mut upstream = vec![0u32; self.svcs.len()];
        for s in &self.svcs {
            for &c in &s.calls {
                upstream[c as usize] += 1;
            }
        }
        if let Some(u) = upstream.first_mut() {
            *u += 1;
        }
        let integration = match self.mode {
            Mode::Rest => Integration { services: n, point_to_point_links: links, point_to_point_worst_case: n * n.saturating_sub(1), topic_subscriptions: 0, topics_consumed: 0, count: links },
            Mode::Events => Integration {
                services: n,
                point_to_point_links: 0,
                point_to_point_worst_case: n * n.saturating_sub(1),
                topic_subscriptions: upstream.iter().filter(|&&u| u > 0).count() as u32,
                topics_consumed: upstream.iter().sum(),
                count: upstream.iter().filter(|&&u| u > 0).count() as u32,
            },
        };
        let blocked_us = self.blocked_us + (self.blocked_total as u128) * (self.now - self.blocked_since) as u128;
        let mut services = BTreeMap::new();
        for s in &self.svcs {
            let mut st = s.stats.clone();
            st.lag_end = s.lag();
            st.down_ms = (s.down_us + s.down_since.map_or(0, |t| self.now - t)) / 1000;
            services.insert(s.name.clone(), st);
        }
        let sum = |f: fn(&ServiceStats) -> u64| services.values().map(f).sum::<u64>();
        ServicesReport {
            requests: self.reqs.len() as u64,
            completed: self.completed,
            failed: self.failed,
            pending: self.reqs.iter().filter(|r| r.done == 0).count() as u64,
            rejected: sum(|s| s.rejected),
            timeouts: sum(|s| s.timeouts),
            retries: sum(|s| s.retries),
            pool_exhausted: sum(|s| s.pool_exhausted),
            blocked_max: self.blocked_max,
            blocked_thread_ms: (blocked_us / 1000) as u64,
            lag_max: services.values().map(|s| s.lag_max).max().unwrap_or(0),
            redelivered: sum(|s| s.redelivered),
            recovery_ms: self.recovery_us.map(|us| us / 1000),
            integration,
            services,
        }
    }

    /// The longest input of one service now (events: deliveries not yet processed).
    pub(crate) fn backlog_now(&self) -> u64 {
        self.svcs.iter().map(|s| s.lag()).max().unwrap_or(0)
    }

    /// Latency histogram of completed requests (µs), events processed in all, ignored actions.
    pub(crate) fn figures(&self) -> (&Histogram<u64>, u64, u64) {
        (&self.e2e, self.svcs.iter().map(|s| s.stats.processed).sum(), self.ignored_actions)
    }
}

impl ServicesReport {
    /// The services lines of `streamlab run`'s text report.
    pub fn to_text(&self, design: &str) -> String {
        let i = &self.integration;
        let mut s = format!(
            "services   {} requests: {} completed, {} failed, {} pending; rejected {}, timeouts {}, retries {}, pool exhausted {}; blocked threads max {} ({} thread-ms); lag max {}, redelivered {}; recovery after the last restart {}\n",
            self.requests,
            self.completed,
            self.failed,
            self.pending,
            self.rejected,
            self.timeouts,
            self.retries,
            self.pool_exhausted,
            self.blocked_max,
            self.blocked_thread_ms,
            self.lag_max,
            self.redelivered,
            self.recovery_ms.map_or("-".to_string(), |ms| format!("{ms} ms"))
        );
        s += &format!(
            "integration {design}: {} services, {} point-to-point links (worst case {}), {} topic subscriptions ({} topics consumed): count {}\n",
            i.services, i.point_to_point_links, i.point_to_point_worst_case, i.topic_subscriptions, i.topics_consumed, i.count
        );
        for (name, st) in &self.services {
            s += &format!(
                "service    {name}: {} workers; processed {}, failed {}, rejected {}, timeouts {}, retries {}, pool exhausted {}, blocked max {}, lag max {}, lag at end {}, down {} ms\n",
                st.workers, st.processed, st.failed, st.rejected, st.timeouts, st.retries, st.pool_exhausted, st.blocked_max, st.lag_max, st.lag_end, st.down_ms
            );
        }
        s
    }
}

impl super::report::Report {
    /// The report of a rest or events run as it stands: the common figures (requests as records
    /// sent, completions as processed, end-to-end latency, the largest input backlog) and `services`.
    pub fn from_service_sim(sim: &ServiceSim) -> super::report::Report {
        use super::report::*;
        let (h, processed, ignored) = sim.figures();
        let latency_ms = latency_of(h);
        let services = sim.report();
        Report {
            scenario: sim.scenario.name.clone(),
            seed: sim.scenario.seed,
            sim_time_ms: sim.now / 1000,
            events: sim.events,
            trace_hash: format!("{:016x}", sim.hash.0),
            produced: Produced { sent: services.requests, acked: services.completed, failed: services.failed },
            consumed: Consumed { delivered: processed, unique: services.completed },
            anomalies: Anomalies::default(),
            latency_ms,
            ack_latency_ms: None,
            groups: BTreeMap::new(),
            partitions: PartitionsReport::default(),
            design: sim.scenario.design.name().into(),
            backlog_max: services.lag_max,
            storage: StorageReport::default(),
            replay: ReplayReport::default(),
            queues: BTreeMap::new(),
            unroutable: 0,
            ignored_actions: ignored,
            services: Some(services),
            fraud: None,
        }
    }
}
