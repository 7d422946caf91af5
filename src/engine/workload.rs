//! The scenario's producers as a source of arrivals, for the small contrast simulators
//! (`services.rs`, `fraud.rs`): rate, Poisson or constant spacing, traffic spikes, and a key drawn
//! from the producer's distribution over a given number of keys. Each `Source` owns its RNG, drawn
//! from the root in producer order, so a run is reproducible.

use super::kernel::{below, exp_us, unit, SimRng, SimTime};
use crate::scenario::{Arrival, KeySpec, ProducerSpec};

pub(crate) struct Source {
    pub name: String,
    pub base_rate: f64,
    pub rate: f64,
    arrival: Arrival,
    keys: KeySpec,
    zipf_cdf: Vec<f64>,
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
        let zipf_cdf = match &keys {
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
        Source { name: spec.name.clone(), base_rate: spec.rate_per_sec, rate: spec.rate_per_sec, arrival: spec.arrival, keys, zipf_cdf, rng, token: 0, spike_token: 0 }
    }

    /// The next key (0 when the source has no keys).
    pub fn next_key(&mut self) -> u32 {
        match &self.keys {
            KeySpec::None => 0,
            KeySpec::Uniform { count } => below(&mut self.rng, *count),
            KeySpec::Zipf { .. } => {
                let u = unit(&mut self.rng);
                let i = self.zipf_cdf.partition_point(|&c| c < u);
                (i as u32).min(self.zipf_cdf.len().saturating_sub(1) as u32)
            }
            KeySpec::Hot { count, hot_share } => {
                if unit(&mut self.rng) < *hot_share || *count <= 1 {
                    0
                } else {
                    1 + below(&mut self.rng, count - 1)
                }
            }
        }
    }

    /// Time to the next arrival, in µs.
    pub fn interval_us(&mut self) -> SimTime {
        let mean_us = 1e6 / self.rate.max(1e-9);
        match self.arrival {
            Arrival::Constant => (libm::round(mean_us) as SimTime).max(1),
            Arrival::Poisson => exp_us(&mut self.rng, mean_us).max(1),
        }
    }
}
