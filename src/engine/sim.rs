//! Placeholder API (replaced by the real engine): the surface the UI and the CLI use.
use crate::scenario::{Action, Scenario};

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

pub struct Sim {
    now_us: u64,
    end_us: u64,
}

impl Sim {
    pub fn new(scenario: &Scenario) -> Sim {
        Sim { now_us: 0, end_us: scenario.duration_ms * 1000 }
    }
    /// Process every event with time <= t_us, then set the clock to t_us.
    pub fn run_until(&mut self, t_us: u64) {
        self.now_us = t_us.min(self.end_us);
    }
    /// Process at most `max_events` events; returns how many ran.
    pub fn run_events(&mut self, _max_events: u64) -> u64 {
        0
    }
    pub fn apply(&mut self, _action: Action) {}
    pub fn summary(&self) -> Summary {
        Summary { now_us: self.now_us, end_us: self.end_us, ..Default::default() }
    }
}
