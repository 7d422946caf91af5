//! A producer's workload, shared by every design: `KeyDraw` (a key from the producer's
//! distribution: none, uniform, zipf, hot) and `arrival_gap_us` (constant or Poisson spacing at a
//! rate). The log's `Producer`, the queue design's producers and `Source` all draw through these,
//! each from its own RNG, so the same seed gives the same keys and times in every design.
//!
//! `Source` is the scenario's producers as a source of arrivals for the small contrast simulators
//! (`services.rs`, `fraud.rs`): rate, spacing, traffic spikes, and a key over a given number of keys.
//! Each `Source` owns its RNG, drawn from the root in producer order, so a run is reproducible.

use super::kernel::{below, exp_us, unit, SimRng, SimTime};
use crate::scenario::{Arrival, KeySpec, ProducerSpec};

/// A key distribution, ready to draw from (the zipf weights are summed once).
#[derive(Clone)]
pub(crate) struct KeyDraw {
    spec: KeySpec,
    zipf_cdf: Vec<f64>,
}

impl KeyDraw {
    pub fn new(spec: KeySpec) -> KeyDraw {
        let zipf_cdf = match &spec {
            KeySpec::Zipf { count, exponent } => {
                let w: Vec<f64> = (0..*count).map(|k| 1.0 / libm::pow(k as f64 + 1.0, *exponent)).collect();
                let total: f64 = w.iter().sum();
                let mut acc = 0.0;
                w.iter()
                    .map(|x| {
                        acc += x / total;
                        acc
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        KeyDraw { spec, zipf_cdf }
    }

    /// The next key index, or None for null keys.
    pub fn next(&self, rng: &mut SimRng) -> Option<u32> {
        Some(match &self.spec {
            KeySpec::None => return None,
            KeySpec::Uniform { count } => below(rng, *count),
            KeySpec::Zipf { .. } => {
                let u = unit(rng);
                let i = self.zipf_cdf.partition_point(|&c| c < u);
                (i as u32).min(self.zipf_cdf.len().saturating_sub(1) as u32)
            }
            KeySpec::Hot { count, hot_share } => {
                if unit(rng) < *hot_share || *count <= 1 {
                    0
                } else {
                    1 + below(rng, count - 1)
                }
            }
        })
    }
}

/// Time to the next arrival at `rate` records per second: constant spacing (at least 1 µs) or
/// exponential (Poisson arrivals; may be 0 µs).
pub(crate) fn arrival_gap_us(arrival: Arrival, rate: f64, rng: &mut SimRng) -> SimTime {
    let mean_us = 1e6 / rate.max(1e-9);
    match arrival {
        Arrival::Constant => (libm::round(mean_us) as SimTime).max(1),
        Arrival::Poisson => exp_us(rng, mean_us),
    }
}

pub(crate) struct Source {
    pub name: String,
    pub base_rate: f64,
    pub rate: f64,
    arrival: Arrival,
    keys: KeyDraw,
    pub rng: SimRng,
    /// Bumped when the arrival process restarts (rate change): older arrival events are stale.
    pub token: u64,
    pub spike_token: u64,
}

impl Source {
    /// A source for `spec`; keys range over `key_count` (the spec's own count when None).
    pub fn new(spec: &ProducerSpec, rng: SimRng, key_count: Option<u32>) -> Source {
        let keys = match (&spec.keys, key_count) {
            (KeySpec::None, Some(n)) => KeySpec::Uniform { count: n },
            (KeySpec::Uniform { .. }, Some(n)) => KeySpec::Uniform { count: n },
            (KeySpec::Zipf { exponent, .. }, Some(n)) => KeySpec::Zipf { count: n, exponent: *exponent },
            (KeySpec::Hot { hot_share, .. }, Some(n)) => KeySpec::Hot { count: n, hot_share: *hot_share },
            (k, None) => k.clone(),
        };
        Source { name: spec.name.clone(), base_rate: spec.rate_per_sec, rate: spec.rate_per_sec, arrival: spec.arrival, keys: KeyDraw::new(keys), rng, token: 0, spike_token: 0 }
    }

    /// The next key (0 when the source has no keys).
    pub fn next_key(&mut self) -> u32 {
        self.keys.next(&mut self.rng).unwrap_or(0)
    }

    /// Time to the next arrival, in µs (at least 1).
    pub fn interval_us(&mut self) -> SimTime {
        arrival_gap_us(self.arrival, self.rate, &mut self.rng).max(1)
    }
}
