//! Several runs of one workload on one clock: the comparison view's engine. Each run (a *lane*) is
//! any design's simulator behind [`AnySim`]; [`SideBySide`] advances them all to the same simulated
//! time, applies the same fault to all of them (or to one, for a what-if branch), samples each at
//! fixed intervals for the overlaid charts (throughput, latency p99 over the interval, backlog), and
//! builds the scorecard from their reports. Pure: no clock, no I/O; `SideView` is plain data that the
//! page's worker sends to the page as JSON.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::compare::{compare, NamedReport};
use super::fraud::FraudSim;
use super::kernel::SimTime;
use super::queue::QueueSim;
use super::report::Report;
use super::services::ServiceSim;
use super::sim::Sim;
use crate::scenario::{Acks, Action, BrokerRef, Design, Scenario, Session};

/// One run of any design.
pub enum AnySim {
    Log(Box<Sim>),
    Queue(Box<QueueSim>),
    Services(Box<ServiceSim>),
    Fraud(Box<FraudSim>),
}

impl AnySim {
    /// The simulator the scenario's `design` names, at time zero.
    pub fn new(scenario: &Scenario) -> AnySim {
        match scenario.design {
            Design::Log => AnySim::Log(Box::new(Sim::new(scenario))),
            Design::Queue => AnySim::Queue(Box::new(QueueSim::new(scenario))),
            Design::Rest | Design::Events => AnySim::Services(Box::new(ServiceSim::new(scenario))),
            Design::Batch | Design::Stream => AnySim::Fraud(Box::new(FraudSim::new(scenario))),
        }
    }

    pub fn now_us(&self) -> SimTime {
        match self {
            AnySim::Log(s) => s.now_us(),
            AnySim::Queue(s) => s.now_us(),
            AnySim::Services(s) => s.now_us(),
            AnySim::Fraud(s) => s.now_us(),
        }
    }

    pub fn end_us(&self) -> SimTime {
        match self {
            AnySim::Log(s) => s.end_us(),
            AnySim::Queue(s) => s.end_us(),
            AnySim::Services(s) => s.end_us(),
            AnySim::Fraud(s) => s.end_us(),
        }
    }

    pub fn events(&self) -> u64 {
        match self {
            AnySim::Log(s) => s.events(),
            AnySim::Queue(s) => s.events(),
            AnySim::Services(s) => s.events(),
            AnySim::Fraud(s) => s.events(),
        }
    }

    pub fn trace_hash(&self) -> u64 {
        match self {
            AnySim::Log(s) => s.trace_hash(),
            AnySim::Queue(s) => s.trace_hash(),
            AnySim::Services(s) => s.trace_hash(),
            AnySim::Fraud(s) => s.trace_hash(),
        }
    }

    pub fn run_until(&mut self, t_us: SimTime) {
        match self {
            AnySim::Log(s) => s.run_until(t_us),
            AnySim::Queue(s) => s.run_until(t_us),
            AnySim::Services(s) => s.run_until(t_us),
            AnySim::Fraud(s) => s.run_until(t_us),
        }
    }

    /// Apply an action now; a design that has no such thing counts it as ignored.
    pub fn apply(&mut self, action: Action) {
        match self {
            AnySim::Log(s) => s.apply(action),
            AnySim::Queue(s) => s.apply(action),
            AnySim::Services(s) => s.apply(&action),
            AnySim::Fraud(s) => s.apply(&action),
        }
    }

    /// The run's report as it stands.
    pub fn report(&self) -> Report {
        match self {
            AnySim::Log(s) => Report::from_sim(s),
            AnySim::Queue(s) => Report::from_queue_sim(s),
            AnySim::Services(s) => Report::from_service_sim(s),
            AnySim::Fraud(s) => Report::from_fraud_sim(s),
        }
    }

    /// What the charts sample: records processed so far, the backlog now (the largest group's lag
    /// summed over its partitions, the deepest queue, the longest service input, payments not yet
    /// processed), and the latency histogram so far (µs).
    fn probe(&self) -> (u64, u64, &Histogram<u64>) {
        match self {
            AnySim::Log(s) => (s.checker.unique, s.groups.iter().map(|g| s.group_lag(g).0).max().unwrap_or(0), &s.metrics.e2e),
            AnySim::Queue(s) => (s.unique, s.depth_now(), &s.e2e),
            AnySim::Services(s) => {
                let (h, processed, _) = s.figures();
                (processed, s.backlog_now(), h)
            }
            AnySim::Fraud(s) => {
                let (h, processed, _, _) = s.figures();
                (processed, s.backlog_now(), h)
            }
        }
    }
}

/// One lane's chart series, one value per sample of `SideView::t_us`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneSeries {
    /// Records processed per second over the interval ending at the sample.
    pub throughput: Vec<f64>,
    /// Latency p99 of the records processed in that interval, ms (0 when none was).
    pub p99_ms: Vec<f64>,
    /// The backlog at the sample.
    pub backlog: Vec<u64>,
}

/// A lane as the page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneView {
    pub label: String,
    pub design: String,
    pub events: u64,
    /// Hexadecimal, as the CLI prints it.
    pub trace_hash: String,
    pub processed: u64,
    pub backlog: u64,
    pub series: LaneSeries,
}

/// An action applied during the comparison, as a chart marker and a line in the view.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppliedView {
    pub t_us: u64,
    pub label: String,
    /// The lane it went to, or every lane.
    pub lane: Option<u32>,
}

/// One line of the scorecard: a label and a value per lane; `differs` when they are not all equal.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub key: String,
    pub label: String,
    pub values: Vec<String>,
    pub differs: bool,
}

/// The scorecard at a moment: rows, then what each difference means.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub rows: Vec<ScoreRow>,
    /// (metric key, what the difference means)
    pub notes: Vec<(String, String)>,
}

/// Everything the comparison view draws.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SideView {
    pub name: String,
    pub description: String,
    pub now_us: u64,
    pub end_us: u64,
    /// Where a what-if branch left the shared past (all lanes identical up to here), if it is one.
    pub branched_at_us: Option<u64>,
    pub t_us: Vec<u64>,
    pub lanes: Vec<LaneView>,
    pub applied: Vec<AppliedView>,
    /// Built on request (it reads every lane's whole report).
    pub scorecard: Option<Scorecard>,
}

struct Lane {
    label: String,
    design: &'static str,
    sim: AnySim,
    last_hist: Histogram<u64>,
    last_processed: u64,
    series: LaneSeries,
}

/// At most this many lanes (the "two to four", with room for a what-if on a four-way one).
pub const MAX_LANES: usize = 6;

/// Several runs on one clock.
pub struct SideBySide {
    name: String,
    description: String,
    lanes: Vec<Lane>,
    now_us: SimTime,
    end_us: SimTime,
    step_us: SimTime,
    branched_at_us: Option<SimTime>,
    t_us: Vec<SimTime>,
    applied: Vec<AppliedView>,
}

impl SideBySide {
    /// Lanes from labelled scenarios (a comparison file's variants), all at time zero.
    pub fn new(name: &str, description: &str, runs: &[(String, Scenario)]) -> SideBySide {
        let lanes = runs.iter().take(MAX_LANES).map(|(label, s)| (label.clone(), s.design.name(), AnySim::new(s))).collect();
        SideBySide::from_lanes(name, description, lanes, None)
    }

    /// A what-if branch: one recorded session replayed into `labels.len()` lanes, all paused where
    /// the session stopped with the same trace hash; from here each lane can take its own action.
    pub fn branch(session: &Session, labels: &[String]) -> SideBySide {
        let design = session.scenario.design.name();
        let lanes: Vec<_> = labels
            .iter()
            .take(MAX_LANES)
            .map(|l| (l.clone(), design, AnySim::Log(Box::new(Sim::replay(&session.scenario, &session.actions, session.stop)))))
            .collect();
        let at = lanes.first().map(|(_, _, s)| s.now_us()).unwrap_or(0);
        let name = format!("What if… ({})", session.scenario.name);
        let description = format!(
            "Runs of {} that share their past exactly up to the branch point, then each takes its own actions. Apply a fault to one run to see the two futures side by side.",
            session.scenario.name
        );
        SideBySide::from_lanes(&name, &description, lanes, Some(at))
    }

    fn from_lanes(name: &str, description: &str, lanes: Vec<(String, &'static str, AnySim)>, branched_at_us: Option<SimTime>) -> SideBySide {
        let now_us = lanes.iter().map(|(_, _, s)| s.now_us()).max().unwrap_or(0);
        let end_us = lanes.iter().map(|(_, _, s)| s.end_us()).max().unwrap_or(0);
        // About 150 samples over a run, on whole tenths of a second (a consumer works through a
        // fetched batch at once, so much shorter intervals show bursts rather than a rate).
        let step_us = (end_us / 150 / 100_000 * 100_000).max(100_000);
        let lanes = lanes
            .into_iter()
            .map(|(label, design, sim)| {
                let (processed, _, h) = sim.probe();
                Lane { label, design, last_hist: h.clone(), last_processed: processed, series: LaneSeries::default(), sim }
            })
            .collect();
        SideBySide { name: name.into(), description: description.into(), lanes, now_us, end_us, step_us, branched_at_us, t_us: Vec::new(), applied: Vec::new() }
    }

    pub fn now_us(&self) -> SimTime {
        self.now_us
    }

    pub fn end_us(&self) -> SimTime {
        self.end_us
    }

    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// The lanes' labels, in order.
    pub fn labels(&self) -> Vec<&str> {
        self.lanes.iter().map(|l| l.label.as_str()).collect()
    }

    /// Run every lane to `t_us` (at most the end), sampling the charts on the way.
    pub fn advance_to(&mut self, t_us: SimTime) {
        let target = t_us.min(self.end_us);
        while self.now_us < target {
            let next_sample = (self.now_us / self.step_us + 1) * self.step_us;
            let next = next_sample.min(target);
            for lane in &mut self.lanes {
                lane.sim.run_until(next);
            }
            self.now_us = next;
            if next == next_sample {
                self.sample();
            }
        }
    }

    fn sample(&mut self) {
        let secs = self.step_us as f64 / 1e6;
        for lane in &mut self.lanes {
            let (processed, backlog, h) = lane.sim.probe();
            let mut interval = h.clone();
            // The records processed since the last sample: the histogram so far minus the last one.
            let p99 = if interval.subtract(&lane.last_hist).is_ok() && !interval.is_empty() { interval.value_at_quantile(0.99) as f64 / 1000.0 } else { 0.0 };
            lane.series.throughput.push(processed.saturating_sub(lane.last_processed) as f64 / secs);
            lane.series.p99_ms.push(p99);
            lane.series.backlog.push(backlog);
            lane.last_hist = h.clone();
            lane.last_processed = processed;
        }
        self.t_us.push(self.now_us);
    }

    /// Apply `action` now to one lane, or to all of them. `label` is how the view names it.
    pub fn apply(&mut self, lane: Option<u32>, label: &str, action: &Action) {
        for (i, l) in self.lanes.iter_mut().enumerate() {
            if lane.is_none_or(|n| n as usize == i) {
                l.sim.apply(action.clone());
            }
        }
        self.applied.push(AppliedView { t_us: self.now_us, label: label.into(), lane: lane.filter(|&n| (n as usize) < self.lanes.len()) });
    }

    /// The lanes' reports as they stand, labelled.
    pub fn reports(&self) -> Vec<NamedReport> {
        self.lanes.iter().map(|l| NamedReport { name: l.label.clone(), report: l.sim.report() }).collect()
    }

    /// The scorecard as it stands.
    pub fn scorecard(&self) -> Scorecard {
        let c = compare(self.reports());
        let rows = c.rows().into_iter().map(|(key, label, values)| ScoreRow { differs: values.windows(2).any(|w| w[0] != w[1]), key: key.into(), label: label.into(), values }).collect();
        Scorecard { rows, notes: c.differences.into_iter().map(|d| (d.metric, d.note)).collect() }
    }

    /// What the view draws; the scorecard only when asked for.
    pub fn view(&self, with_scorecard: bool) -> SideView {
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let (processed, backlog, _) = l.sim.probe();
                LaneView {
                    label: l.label.clone(),
                    design: l.design.into(),
                    events: l.sim.events(),
                    trace_hash: format!("{:016x}", l.sim.trace_hash()),
                    processed,
                    backlog,
                    series: l.series.clone(),
                }
            })
            .collect();
        SideView {
            name: self.name.clone(),
            description: self.description.clone(),
            now_us: self.now_us,
            end_us: self.end_us,
            branched_at_us: self.branched_at_us,
            t_us: self.t_us.clone(),
            lanes,
            applied: self.applied.clone(),
            scorecard: with_scorecard.then(|| self.scorecard()),
        }
    }

    /// The faults and actions a person can apply to these runs, with a label each: brokers, the
    /// first partition's leader, a consumer of each group, each producer's spike and `acks`, each
    /// service.
    /// Built from every lane's scenario (without repeats), so each design's own things appear.
    pub fn menu(&self, scenarios: &[&Scenario]) -> Vec<(String, Action)> {
        let mut out: Vec<(String, Action)> = Vec::new();
        let mut add = |label: String, action: Action| {
            if !out.iter().any(|(l, _)| *l == label) {
                out.push((label, action));
            }
        };
        for s in scenarios {
            if s.services.is_some() {
                for svc in &s.services.as_ref().map(|x| x.list.clone()).unwrap_or_default() {
                    add(format!("Crash service {}", svc.name), Action::CrashService { service: svc.name.clone() });
                    add(format!("Restart service {}", svc.name), Action::RestartService { service: svc.name.clone() });
                }
            }
            if matches!(s.design, Design::Log | Design::Queue) {
                for b in 0..s.cluster.brokers.min(8) {
                    add(format!("Crash broker {b}"), Action::CrashBroker { broker: BrokerRef::Id(b) });
                }
                add("Restart the broker crashed last".into(), Action::RestartBroker { broker: BrokerRef::Crashed });
                for t in s.topics.iter().take(2) {
                    add(format!("Crash the leader of {}-0", t.name), Action::CrashLeader { topic: t.name.clone(), partition: 0 });
                }
                for g in &s.consumer_groups {
                    let id = &g.group_id;
                    add(format!("Crash consumer 0 of {id}"), Action::CrashConsumer { group: id.clone(), member: 0 });
                    add(format!("Restart consumer 0 of {id}"), Action::RestartConsumer { group: id.clone(), member: 0 });
                    add(format!("Slow consumer 0 of {id} ×10"), Action::SlowConsumer { group: id.clone(), member: 0, factor: 10.0 });
                    add(format!("Add a consumer to {id}"), Action::AddConsumer { group: id.clone() });
                }
            }
            for p in &s.producers {
                add(format!("Traffic spike ×5 for 10 s from {}", p.name), Action::TrafficSpike { producer: p.name.clone(), factor: 5.0, duration_ms: 10_000 });
                if s.design == Design::Log {
                    add(format!("acks=all for {}", p.name), Action::SetProducerAcks { producer: p.name.clone(), acks: Acks::All });
                    add(format!("acks=1 for {}", p.name), Action::SetProducerAcks { producer: p.name.clone(), acks: Acks::One });
                }
            }
        }
        out
    }
}
