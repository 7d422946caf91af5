//! `FraudSim`: batch ETL versus streaming, one fraud rule evaluated two ways (`"design": "batch"` or
//! `"stream"`, the `fraud` section). The rule: more than K (`threshold`) payments on one card within
//! W (`window.ms`). Every record a producer sends is a payment on an ordinary card (the producer's
//! key distribution over `cards`); fraud is injected as bursts, each on a card of its own, so an
//! alert on an ordinary card is a false alert and a burst without an alert on its card is missed.
//!
//! Batch: payments land in storage one network delay after they are made. A job starts every
//! `interval.ms`, reads what landed since the previous job plus a look-back of W (so a burst across
//! two runs is still seen whole), and checks the rule exactly (any K+1 payments of a card less than
//! W apart, one of them new); its alerts come out when the job ends, `job.ms` later. Detection
//! latency is therefore the wait for the next job plus the job itself.
//!
//! Stream: a processor receives each payment two network delays after it is made (to the broker,
//! then to the processor) and adds it to a windowed count per card in its state store: tumbling
//! windows [kW, (k+1)W) or hopping windows [kA, kA+W) every `advance.ms` A, aligned to time zero,
//! on the payment's own time. A window whose count goes over K raises an alert, which leaves the
//! processor at its next commit (`commit.interval.ms`: Kafka Streams flushes its record cache then,
//! and commits its transaction under exactly-once). Windows are dropped from the store once stream
//! time passes their end (no grace period). A tumbling window can miss a burst that straddles a
//! boundary (neither half is over K); a hopping window with a small enough advance holds it whole.
//!
//! Guarantees shared with the other designs: integer virtual time, one `EventQueue` ordered by
//! (time, insertion), one root `ChaCha8Rng` from the seed with sub-generators drawn in a fixed order
//! (producers, then the random bursts), ordered maps only, a `TraceHash` folded over every event.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::kernel::{below, ms_to_us, rng_from_seed, sub_rng, EventQueue, SimTime, TraceHash, US_PER_MS, Traced};
use super::workload::Source;
use crate::scenario::{Action, Design, FraudSpec, Scenario, WindowKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FraudMode {
    Batch,
    Stream,
}

/// Everything that can happen. One closed enum, handled by one `match`.
#[derive(Clone, Debug)]
enum Event {
    Timeline { index: u32 },
    SpikeEnd { producer: u32, token: u64 },
    /// An ordinary payment.
    Arrival { producer: u32, token: u64 },
    /// Payment `i` of burst `burst`.
    BurstPayment { burst: u32, i: u32 },
    /// Stream: a payment reaches the processor.
    Process { card: u32, sent_us: SimTime },
    /// Batch: job `run` starts.
    BatchRun { run: u64 },
    /// An alert on `card` comes out (batch: the job ended; stream: the processor committed).
    Alert { card: u32 },
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
            Event::BurstPayment { .. } => 4,
            Event::Process { .. } => 5,
            Event::BatchRun { .. } => 6,
            Event::Alert { .. } => 7,
        }
    }
    fn subject(&self) -> u64 {
        match self {
            Event::Timeline { index } => *index as u64,
            Event::SpikeEnd { producer, .. } | Event::Arrival { producer, .. } => *producer as u64,
            Event::BurstPayment { burst, i } => ((*burst as u64) << 32) | *i as u64,
            Event::Process { card, sent_us } => ((*card as u64) << 40) ^ sent_us,
            Event::BatchRun { run } => *run,
            Event::Alert { card } => *card as u64,
        }
    }
}

/// Time from the fraudulent payment (the one that broke the rule) to the first alert on its card.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AlertLatency {
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// The `fraud` figures of the run report (batch and stream designs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FraudReport {
    /// How the rule was evaluated: `sliding` (the batch job checks every K+1 payments exactly),
    /// `tumbling` or `hopping`.
    pub window: String,
    pub window_ms: u64,
    /// Hopping: how far apart windows start; tumbling: the window itself; batch: 0.
    pub advance_ms: u64,
    pub threshold: u32,
    pub payments: u64,
    pub fraud_bursts: u64,
    pub bursts_detected: u64,
    pub bursts_missed: u64,
    /// When the missed bursts started (ms), the first 100.
    pub missed_at_ms: Vec<u64>,
    pub alerts: u64,
    /// Alerts on ordinary cards (more than K genuine payments within a window).
    pub false_alerts: u64,
    pub time_to_alert_ms: AlertLatency,
    /// Stream: (card, window) counts held in the state store, at most and at the end.
    pub state_store_entries_max: u64,
    pub state_store_entries_end: u64,
    /// Batch: jobs run, and payments each read (new ones plus the look-back).
    pub batch_runs: u64,
    pub scanned_per_run_max: u64,
    pub scanned_total: u64,
}

struct Burst {
    card: u32,
    at_us: SimTime,
    payments: u32,
    spread_us: SimTime,
    /// When the payment that broke the rule (the K+1-th) was made.
    ref_us: SimTime,
    first_alert_us: Option<SimTime>,
}

impl Burst {
    fn payment_us(&self, i: u32) -> SimTime {
        if self.payments <= 1 {
            self.at_us
        } else {
            self.at_us + self.spread_us * i as u64 / (self.payments as u64 - 1)
        }
    }
}

/// The batch or stream design's simulated system.
pub struct FraudSim {
    scenario: Scenario,
    pub mode: FraudMode,
    spec: FraudSpec,
    now: SimTime,
    end: SimTime,
    queue: EventQueue<Event>,
    hash: TraceHash,
    events: u64,
    latency: SimTime,
    window_us: SimTime,
    advance_us: SimTime,
    sources: Vec<Source>,
    bursts: Vec<Burst>,
    payments: u64,
    processed: u64,
    /// Payment made → processed (stream: counted; batch: its job ended), µs.
    e2e: Histogram<u64>,
    alerts: u64,
    false_alerts: u64,
    // Stream.
    windows: BTreeMap<(u32, SimTime), u32>,
    expiry: BTreeSet<(SimTime, u32, SimTime)>,
    stream_time: SimTime,
    state_max: u64,
    // Batch: (landed, made, card) in landing order, trimmed to what a later job may read.
    store: VecDeque<(SimTime, SimTime, u32)>,
    last_cut: SimTime,
    runs: u64,
    scanned_max: u64,
    scanned_total: u64,
    waiting_max: u64,
    ignored_actions: u64,
}

fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("valid bounds");
    h.auto(true);
    h
}

impl FraudSim {
    /// Build a validated `batch` or `stream` scenario at time zero. Without a `fraud` section
    /// (another design) nothing happens.
    pub fn new(scenario: &Scenario) -> FraudSim {
        let mode = if scenario.design == Design::Stream { FraudMode::Stream } else { FraudMode::Batch };
        let mut rng = rng_from_seed(scenario.seed);
        let spec = scenario.fraud.clone().unwrap_or(FraudSpec {
            cards: 1,
            threshold: 1,
            window_ms: 1,
            window: WindowKind::Tumbling,
            advance_ms: None,
            batch: Default::default(),
            stream: Default::default(),
            bursts: Vec::new(),
            random_bursts: None,
        });
        let window_us = spec.window_ms.saturating_mul(US_PER_MS).max(1);
        let advance_us = match spec.window {
            WindowKind::Tumbling => window_us,
            WindowKind::Hopping => spec.advance_ms.unwrap_or(spec.window_ms).saturating_mul(US_PER_MS).clamp(1, window_us),
        };
        let end = scenario.duration_ms.saturating_mul(US_PER_MS);
        let mut sim = FraudSim {
            scenario: scenario.clone(),
            mode,
            spec: spec.clone(),
            now: 0,
            end,
            queue: EventQueue::default(),
            hash: TraceHash::default(),
            events: 0,
            latency: ms_to_us(scenario.cluster.network.latency_ms),
            window_us,
            advance_us,
            sources: Vec::new(),
            bursts: Vec::new(),
            payments: 0,
            processed: 0,
            e2e: histogram(),
            alerts: 0,
            false_alerts: 0,
            windows: BTreeMap::new(),
            expiry: BTreeSet::new(),
            stream_time: 0,
            state_max: 0,
            store: VecDeque::new(),
            last_cut: 0,
            runs: 0,
            scanned_max: 0,
            scanned_total: 0,
            waiting_max: 0,
            ignored_actions: 0,
        };
        sim.hash.fold(scenario.seed);
        sim.hash.fold(match mode {
            FraudMode::Batch => 0xba7c4,
            FraudMode::Stream => 0x57_4ea3,
        });
        if scenario.fraud.is_none() {
            return sim;
        }
        for p in &scenario.producers {
            sim.sources.push(Source::new(p, sub_rng(&mut rng), Some(spec.cards)));
        }
        let k = spec.threshold;
        let mut shapes: Vec<(SimTime, u32, SimTime)> = spec.bursts.iter().map(|b| (b.at_ms * US_PER_MS, spec.burst_payments(b.payments), b.spread_ms * US_PER_MS)).collect();
        if let Some(r) = &spec.random_bursts {
            let mut brng = sub_rng(&mut rng);
            let spread = r.spread_ms * US_PER_MS;
            let span_ms = (end.saturating_sub(spread) / US_PER_MS).clamp(1, u32::MAX as u64) as u32;
            for _ in 0..r.count {
                let at_ms = below(&mut brng, span_ms) as u64;
                shapes.push((at_ms * US_PER_MS, spec.burst_payments(r.payments), spread));
            }
        }
        for (b, (at_us, payments, spread_us)) in shapes.into_iter().enumerate() {
            let mut burst = Burst { card: spec.cards + b as u32, at_us, payments, spread_us, ref_us: 0, first_alert_us: None };
            burst.ref_us = burst.payment_us(k.min(payments - 1));
            for i in 0..payments {
                sim.queue.push(burst.payment_us(i), Event::BurstPayment { burst: b as u32, i });
            }
            sim.bursts.push(burst);
        }
        for p in 0..sim.sources.len() as u32 {
            sim.restart_arrivals(p);
        }
        if mode == FraudMode::Batch {
            let interval = spec.batch.interval_ms.saturating_mul(US_PER_MS).max(1);
            sim.queue.push(interval, Event::BatchRun { run: 1 });
        }
        for (i, entry) in scenario.timeline.iter().enumerate() {
            sim.queue.push(entry.at_ms.saturating_mul(US_PER_MS), Event::Timeline { index: i as u32 });
        }
        sim
    }

    super::kernel::run_loop!();

    /// Apply an action now (as a timeline entry would): spikes and rate changes; others are ignored.
    pub fn apply(&mut self, action: &Action) {
        self.hash.fold(0xac710 ^ self.now);
        self.apply_action(action);
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
                let s = &mut self.sources[producer as usize];
                if s.token != token {
                    return;
                }
                let card = s.next_key();
                let dt = s.interval_us();
                self.queue.push(self.now + dt, Event::Arrival { producer, token });
                self.pay(card);
            }
            Event::BurstPayment { burst, .. } => {
                let card = self.bursts[burst as usize].card;
                self.pay(card);
            }
            Event::Process { card, sent_us } => self.process(card, sent_us),
            Event::BatchRun { run } => self.batch_run(run),
            Event::Alert { card } => {
                self.alerts += 1;
                match card.checked_sub(self.spec.cards) {
                    None => self.false_alerts += 1,
                    Some(b) => {
                        let now = self.now;
                        if let Some(burst) = self.bursts.get_mut(b as usize) {
                            burst.first_alert_us.get_or_insert(now);
                        }
                    }
                }
            }
        }
    }

    fn restart_arrivals(&mut self, p: u32) {
        let s = &mut self.sources[p as usize];
        s.token += 1;
        let token = s.token;
        let dt = s.interval_us();
        self.queue.push(self.now + dt, Event::Arrival { producer: p, token });
    }

    fn pay(&mut self, card: u32) {
        self.payments += 1;
        match self.mode {
            FraudMode::Stream => self.queue.push(self.now + 2 * self.latency, Event::Process { card, sent_us: self.now }),
            FraudMode::Batch => self.store.push_back((self.now + self.latency, self.now, card)),
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Stream
    // -----------------------------------------------------------------------------------------------

    /// The windows a payment made at `t` belongs to: their start times.
    pub fn window_starts(t: SimTime, window_us: SimTime, advance_us: SimTime) -> Vec<SimTime> {
        let last = t - t % advance_us;
        let mut starts = Vec::new();
        let mut s = last;
        loop {
            if s + window_us <= t {
                break;
            }
            starts.push(s);
            if s < advance_us {
                break;
            }
            s -= advance_us;
        }
        starts.reverse();
        starts
    }

    fn process(&mut self, card: u32, sent_us: SimTime) {
        self.processed += 1;
        let _ = self.e2e.record((self.now - sent_us).max(1));
        self.stream_time = self.stream_time.max(sent_us);
        while let Some(&(end, c, start)) = self.expiry.first() {
            if end > self.stream_time {
                break;
            }
            self.expiry.pop_first();
            self.windows.remove(&(c, start));
        }
        let mut alert = false;
        for start in Self::window_starts(sent_us, self.window_us, self.advance_us) {
            let n = self.windows.entry((card, start)).or_insert(0);
            *n += 1;
            if *n == 1 {
                self.expiry.insert((start + self.window_us, card, start));
            }
            if *n == self.spec.threshold + 1 {
                alert = true;
            }
        }
        self.state_max = self.state_max.max(self.windows.len() as u64);
        if alert {
            // Once per payment even if several windows went over at once: one alert record.
            let c = self.spec.stream.commit_interval_ms.saturating_mul(US_PER_MS);
            let at = if c == 0 { self.now } else { self.now.div_ceil(c) * c };
            self.queue.push(at, Event::Alert { card });
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Batch
    // -----------------------------------------------------------------------------------------------

    fn batch_run(&mut self, run: u64) {
        let interval = self.spec.batch.interval_ms.saturating_mul(US_PER_MS).max(1);
        let job = self.spec.batch.job_ms.saturating_mul(US_PER_MS);
        let r = self.now;
        self.queue.push(r + interval, Event::BatchRun { run: run + 1 });
        self.runs += 1;
        // Read what landed since the last cut plus a look-back of one window.
        let from = self.last_cut.saturating_sub(self.window_us);
        while self.store.front().is_some_and(|&(landed, _, _)| landed <= from && from > 0) {
            self.store.pop_front();
        }
        let upto = self.store.partition_point(|&(landed, _, _)| landed <= r);
        let mut rows: Vec<(u32, SimTime, bool)> = Vec::with_capacity(upto);
        let mut new = 0u64;
        for &(landed, made, card) in self.store.range(..upto) {
            let is_new = landed > self.last_cut;
            if is_new {
                new += 1;
                let _ = self.e2e.record((r + job - made).max(1));
            }
            rows.push((card, made, is_new));
        }
        self.scanned_max = self.scanned_max.max(rows.len() as u64);
        self.scanned_total += rows.len() as u64;
        self.waiting_max = self.waiting_max.max(new);
        self.processed += new;
        rows.sort_unstable();
        let k = self.spec.threshold as usize;
        let mut i = 0;
        while i < rows.len() {
            let card = rows[i].0;
            let mut j = i;
            while j < rows.len() && rows[j].0 == card {
                j += 1;
            }
            let group = &rows[i..j];
            let hit = (k..group.len()).any(|x| group[x].2 && group[x].1 - group[x - k].1 < self.window_us);
            if hit {
                self.queue.push(r + job, Event::Alert { card });
            }
            i = j;
        }
        self.last_cut = r;
    }

    // -----------------------------------------------------------------------------------------------
    // Load
    // -----------------------------------------------------------------------------------------------

    fn apply_action(&mut self, action: &Action) {
        let index = |name: &str, sources: &[Source]| sources.iter().position(|s| s.name == name);
        match action {
            Action::TrafficSpike { producer, factor, duration_ms } => match index(producer, &self.sources) {
                Some(p) => {
                    let s = &mut self.sources[p];
                    s.rate = s.base_rate * factor;
                    s.spike_token += 1;
                    let token = s.spike_token;
                    self.restart_arrivals(p as u32);
                    self.queue.push(self.now + duration_ms.saturating_mul(US_PER_MS), Event::SpikeEnd { producer: p as u32, token });
                }
                None => self.ignored_actions += 1,
            },
            Action::SetProducerRate { producer, rate_per_sec } => match index(producer, &self.sources) {
                Some(p) => {
                    let s = &mut self.sources[p];
                    s.base_rate = *rate_per_sec;
                    s.rate = *rate_per_sec;
                    s.spike_token += 1;
                    self.restart_arrivals(p as u32);
                }
                None => self.ignored_actions += 1,
            },
            _ => self.ignored_actions += 1,
        }
    }

    // -----------------------------------------------------------------------------------------------
    // Figures
    // -----------------------------------------------------------------------------------------------

    pub fn report(&self) -> FraudReport {
        let mut lat: Vec<SimTime> = self.bursts.iter().filter_map(|b| b.first_alert_us.map(|a| a.saturating_sub(b.ref_us))).collect();
        lat.sort_unstable();
        let rank = |q: f64| -> f64 {
            if lat.is_empty() {
                return 0.0;
            }
            let i = (libm::ceil(q * lat.len() as f64) as usize).clamp(1, lat.len()) - 1;
            lat[i] as f64 / 1000.0
        };
        let time_to_alert_ms = AlertLatency {
            mean: if lat.is_empty() { 0.0 } else { libm::round(lat.iter().sum::<u64>() as f64 / lat.len() as f64) / 1000.0 },
            p50: rank(0.5),
            p99: rank(0.99),
            max: lat.last().map_or(0.0, |&x| x as f64 / 1000.0),
        };
        let missed: Vec<&Burst> = self.bursts.iter().filter(|b| b.first_alert_us.is_none()).collect();
        let (window, advance_ms) = match (self.mode, self.spec.window) {
            (FraudMode::Batch, _) => ("sliding", 0),
            (FraudMode::Stream, WindowKind::Tumbling) => ("tumbling", self.spec.window_ms),
            (FraudMode::Stream, WindowKind::Hopping) => ("hopping", self.advance_us / US_PER_MS),
        };
        FraudReport {
            window: window.into(),
            window_ms: self.spec.window_ms,
            advance_ms,
            threshold: self.spec.threshold,
            payments: self.payments,
            fraud_bursts: self.bursts.len() as u64,
            bursts_detected: (self.bursts.len() - missed.len()) as u64,
            bursts_missed: missed.len() as u64,
            missed_at_ms: missed.iter().take(100).map(|b| b.at_us / US_PER_MS).collect(),
            alerts: self.alerts,
            false_alerts: self.false_alerts,
            time_to_alert_ms,
            state_store_entries_max: self.state_max,
            state_store_entries_end: self.windows.len() as u64,
            batch_runs: self.runs,
            scanned_per_run_max: self.scanned_max,
            scanned_total: self.scanned_total,
        }
    }

    /// Payments made and not processed yet.
    pub(crate) fn backlog_now(&self) -> u64 {
        self.payments.saturating_sub(self.processed)
    }

    /// Payment → processed latencies (µs), payments processed, the largest backlog, ignored actions.
    pub(crate) fn figures(&self) -> (&Histogram<u64>, u64, u64, u64) {
        (&self.e2e, self.processed, self.waiting_max, self.ignored_actions)
    }
}

impl FraudReport {
    /// The fraud lines of `streamlab run`'s text report.
    pub fn to_text(&self) -> String {
        let t = &self.time_to_alert_ms;
        let mut s = format!(
            "fraud      rule: more than {} payments per card within {} ms, {} windows{}; {} payments, {} bursts: {} detected, {} missed{}\n",
            self.threshold,
            self.window_ms,
            self.window,
            if self.window == "hopping" { format!(" every {} ms", self.advance_ms) } else { String::new() },
            self.payments,
            self.fraud_bursts,
            self.bursts_detected,
            self.bursts_missed,
            if self.missed_at_ms.is_empty() { String::new() } else { format!(" (starting at {:?} ms)", self.missed_at_ms) }
        );
        s += &format!(
            "alerts     {} raised, {} false; time to alert mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms\n",
            self.alerts, self.false_alerts, t.mean, t.p50, t.p99, t.max
        );
        s += &format!(
            "state      state store entries max {}, at end {}; batch runs {}, scanned per run max {}, scanned in all {}\n",
            self.state_store_entries_max, self.state_store_entries_end, self.batch_runs, self.scanned_per_run_max, self.scanned_total
        );
        s
    }
}

impl super::report::Report {
    /// The report of a batch or stream run as it stands: payments as records sent, their
    /// processing (stream: counted; batch: read by a finished job) as latency, and `fraud`.
    pub fn from_fraud_sim(sim: &FraudSim) -> super::report::Report {
        use super::report::*;
        let (h, processed, waiting_max, ignored) = sim.figures();
        let latency_ms = latency_of(h);
        let fraud = sim.report();
        Report {
            scenario: sim.scenario.name.clone(),
            seed: sim.scenario.seed,
            sim_time_ms: sim.now / 1000,
            events: sim.events,
            trace_hash: format!("{:016x}", sim.hash.0),
            produced: Produced { sent: fraud.payments, acked: fraud.payments, failed: 0 },
            consumed: Consumed { delivered: processed, unique: processed },
            anomalies: Anomalies::default(),
            latency_ms,
            ack_latency_ms: None,
            groups: BTreeMap::new(),
            partitions: PartitionsReport::default(),
            design: sim.scenario.design.name().into(),
            backlog_max: waiting_max,
            storage: StorageReport::default(),
            replay: ReplayReport::default(),
            queues: BTreeMap::new(),
            unroutable: 0,
            ignored_actions: ignored,
            services: None,
            fraud: Some(fraud),
        }
    }
}
