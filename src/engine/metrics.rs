//! Metrics, named after Kafka's JMX metrics where one exists (`UnderReplicatedPartitions`,
//! `OfflinePartitionsCount`, `IsrShrinksPerSec`, `FailedProduceRequestsPerSec`, `records-lag-max` …):
//! counters, HDR histograms of end-to-end and acknowledgement latency, and a bounded time series
//! sampled at a fixed simulated interval (halved in resolution when it grows past its bound).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::consumer::Group;
use super::kernel::{SimTime, US_PER_MS};
use super::sim::{Event, KafkaError, Sim};

const MAX_SAMPLES: usize = 2048;

/// One point of the time series.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub t_us: SimTime,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub delivered: u64,
    pub under_replicated: u32,
    pub offline: u32,
    /// Per group: total lag.
    pub lag: Vec<u64>,
    /// End-to-end latency percentiles over the interval ending here, µs.
    pub p50_us: u64,
    pub p99_us: u64,
}

#[derive(Clone)]
pub struct Metrics {
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub delivered: u64,
    pub messages_in: u64,
    pub bytes_in: u64,
    pub failed_produce_requests: u64,
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub leader_elections: u64,
    pub unclean_elections: u64,
    pub controller_failovers: u64,
    pub truncations: u64,
    pub duplicates_dropped: u64,
    pub errors: BTreeMap<&'static str, u64>,
    pub e2e: Histogram<u64>,
    /// End-to-end latencies recorded since the last sample, as recorded in `e2e`: the sample's
    /// percentiles are read from these (a histogram reset at every sample would clear all its
    /// buckets each time).
    pub e2e_interval: Vec<u64>,
    /// Acknowledgement latencies (read them with `RunHistogram::histogram`).
    pub ack: RunHistogram,
    pub samples: Vec<Sample>,
    pub sample_interval_us: SimTime,
    pub urp_max: u32,
    pub offline_us: SimTime,
    pub offline_since: Option<SimTime>,
    pub lag_max: Vec<u64>,
    pub not_enough_replicas_logged: u32,
    pub failures_logged: u32,
}

/// Latencies from 1 µs to an hour, 3 significant digits. The histogram starts small and grows to
/// the largest value recorded (callers clamp to an hour), so a fresh one costs little.
fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, 3).expect("valid bounds");
    h.auto(true);
    h
}

/// A latency histogram that records a run of equal values in one step. Over a network with no
/// latency every acknowledgement takes the same microsecond; recording each one costs a histogram
/// update, recording a run costs a comparison per value and one update per run. A histogram counts
/// values, not their order, so the result is exactly the histogram of every value recorded.
#[derive(Clone)]
pub struct RunHistogram {
    h: Histogram<u64>,
    /// The value of the run not yet in `h`, and how many times it was recorded (0: no run).
    run_value: u64,
    run_count: u64,
}

impl Default for RunHistogram {
    fn default() -> Self {
        RunHistogram { h: histogram(), run_value: 0, run_count: 0 }
    }
}

impl RunHistogram {
    #[inline]
    pub fn record(&mut self, v: u64) {
        if v == self.run_value {
            self.run_count += 1;
        } else {
            self.flush();
            self.run_value = v;
            self.run_count = 1;
        }
    }
    fn flush(&mut self) {
        if self.run_count > 0 {
            self.h.record_n(self.run_value, self.run_count).ok();
            self.run_count = 0;
        }
    }
    pub fn is_empty(&self) -> bool {
        self.run_count == 0 && self.h.is_empty()
    }
    /// Every value recorded so far (a copy with the current run added, when there is one).
    pub fn histogram(&self) -> std::borrow::Cow<'_, Histogram<u64>> {
        if self.run_count == 0 {
            std::borrow::Cow::Borrowed(&self.h)
        } else {
            let mut h = self.h.clone();
            h.record_n(self.run_value, self.run_count).ok();
            std::borrow::Cow::Owned(h)
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            sent: 0,
            acked: 0,
            failed: 0,
            delivered: 0,
            messages_in: 0,
            bytes_in: 0,
            failed_produce_requests: 0,
            isr_shrinks: 0,
            isr_expands: 0,
            leader_elections: 0,
            unclean_elections: 0,
            controller_failovers: 0,
            truncations: 0,
            duplicates_dropped: 0,
            errors: BTreeMap::new(),
            e2e: histogram(),
            e2e_interval: Vec::new(),
            ack: RunHistogram::default(),
            samples: Vec::new(),
            sample_interval_us: 100 * US_PER_MS,
            urp_max: 0,
            offline_us: 0,
            offline_since: None,
            lag_max: Vec::new(),
            not_enough_replicas_logged: 0,
            failures_logged: 0,
        }
    }
}

impl Metrics {
    pub fn start(&mut self, groups: &[Group], end: SimTime) {
        self.lag_max = vec![0; groups.len()];
        // About 600 points over the run, never finer than 100 ms.
        self.sample_interval_us = (end / 600).max(100 * US_PER_MS);
    }
    #[inline]
    pub fn e2e_latency(&mut self, us: SimTime) {
        let v = us.clamp(1, 3_600_000_000);
        self.e2e.record(v).ok();
        self.e2e_interval.push(v);
    }
    #[inline]
    pub fn ack_latency(&mut self, us: SimTime) {
        self.ack.record(us.clamp(1, 3_600_000_000));
    }
    /// What `Histogram::value_at_quantile` gives for the latencies since the last sample (0 < q <= 1):
    /// the bucket where the count reaches ceil(q * n) is the one holding the ceil(q * n)-th smallest
    /// value, and the answer is that bucket's highest value.
    #[cfg(test)]
    fn interval_quantile(&mut self, q: f64) -> u64 {
        let k = self.quantile_rank(q);
        let (_, v, _) = self.e2e_interval.select_nth_unstable(k - 1);
        self.e2e.highest_equivalent(*v)
    }
    /// The rank (from 1) of the interval's value at quantile `q`.
    fn quantile_rank(&self, q: f64) -> usize {
        let n = self.e2e_interval.len();
        ((q * n as f64).ceil() as usize).clamp(1, n)
    }
    /// `interval_quantile` at 0.5 and 0.99 with one selection and a second one on what lies above
    /// the first: the values past the median's place are the greater ones, so the 99th
    /// percentile's rank is found among them.
    fn interval_p50_p99(&mut self) -> (u64, u64) {
        let (k50, k99) = (self.quantile_rank(0.5), self.quantile_rank(0.99));
        let (_, v50, above) = self.e2e_interval.select_nth_unstable(k50 - 1);
        let v50 = *v50;
        let v99 = if k99 == k50 { v50 } else { *above.select_nth_unstable(k99 - k50 - 1).1 };
        (self.e2e.highest_equivalent(v50), self.e2e.highest_equivalent(v99))
    }
    pub fn record_error(&mut self, e: KafkaError) {
        *self.errors.entry(e.name()).or_insert(0) += 1;
    }
    pub fn offline_changed(&mut self, now: SimTime, count: u32) {
        match (count > 0, self.offline_since) {
            (true, None) => self.offline_since = Some(now),
            (false, Some(s)) => {
                self.offline_us += now - s;
                self.offline_since = None;
            }
            _ => {}
        }
    }
    pub fn urp_changed(&mut self, count: u32) {
        self.urp_max = self.urp_max.max(count);
    }
    /// Time with at least one partition offline, up to `now`.
    pub fn offline_us_at(&self, now: SimTime) -> SimTime {
        self.offline_us + self.offline_since.map(|s| now - s).unwrap_or(0)
    }
}

impl Sim {
    pub(crate) fn on_metrics_sample(&mut self) {
        let urp = self.under_replicated_count();
        let offline = self.offline_count();
        let lags: Vec<(u64, u64)> = self.groups.iter().map(|g| self.group_lag(g)).collect();
        let m = &mut self.metrics;
        m.urp_max = m.urp_max.max(urp);
        for (i, (_, max)) in lags.iter().enumerate() {
            m.lag_max[i] = m.lag_max[i].max(*max);
        }
        let (p50, p99) = if m.e2e_interval.is_empty() { (0, 0) } else { m.interval_p50_p99() };
        m.e2e_interval.clear();
        m.samples.push(Sample {
            t_us: self.now,
            sent: m.sent,
            acked: m.acked,
            failed: m.failed,
            delivered: m.delivered,
            under_replicated: urp,
            offline,
            lag: lags.iter().map(|l| l.0).collect(),
            p50_us: p50,
            p99_us: p99,
        });
        if m.samples.len() > MAX_SAMPLES {
            // Keep every other point and sample half as often from now on.
            let kept: Vec<Sample> = m.samples.iter().step_by(2).cloned().collect();
            m.samples = kept;
            m.sample_interval_us *= 2;
        }
        let next = self.now + self.metrics.sample_interval_us;
        self.at(next, Event::MetricsSample);
    }

    /// Kafka's JMX metric names with their current values, for the metrics panel.
    pub fn jmx_metrics(&self) -> Vec<(&'static str, f64)> {
        let m = &self.metrics;
        let lag_max = self.groups.iter().map(|g| self.group_lag(g).1).max().unwrap_or(0);
        let active = if self.quorum.active.is_some() { 1.0 } else { 0.0 };
        vec![
            ("kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions", self.under_replicated_count() as f64),
            ("kafka.controller:type=KafkaController,name=OfflinePartitionsCount", self.offline_count() as f64),
            ("kafka.controller:type=KafkaController,name=ActiveControllerCount", active),
            ("kafka.server:type=ReplicaManager,name=IsrShrinksPerSec (count)", m.isr_shrinks as f64),
            ("kafka.server:type=ReplicaManager,name=IsrExpandsPerSec (count)", m.isr_expands as f64),
            ("kafka.controller:type=ControllerStats,name=LeaderElectionRateAndTimeMs (count)", m.leader_elections as f64),
            ("kafka.controller:type=ControllerStats,name=UncleanLeaderElectionsPerSec (count)", m.unclean_elections as f64),
            ("kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec (count)", m.messages_in as f64),
            ("kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec (count)", m.bytes_in as f64),
            ("kafka.server:type=BrokerTopicMetrics,name=FailedProduceRequestsPerSec (count)", m.failed_produce_requests as f64),
            ("kafka.producer:type=producer-metrics,name=record-send-total", m.sent as f64),
            ("kafka.producer:type=producer-metrics,name=record-error-total", m.failed as f64),
            ("kafka.consumer:type=consumer-fetch-manager-metrics,name=records-consumed-total", m.delivered as f64),
            ("kafka.consumer:type=consumer-fetch-manager-metrics,name=records-lag-max", lag_max as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::kernel::{exp_us, rng_from_seed};

    /// A run histogram is the histogram of every value recorded, runs or not, read mid-run too.
    #[test]
    fn run_histogram_equals_a_plain_one() {
        let mut r = rng_from_seed(5);
        let mut runs = RunHistogram::default();
        let mut h = histogram();
        assert!(runs.is_empty());
        for i in 0..20_000u64 {
            let v = if i % 7 < 5 { 1 } else { exp_us(&mut r, 2_000.0).clamp(1, 3_600_000_000) };
            runs.record(v);
            h.record(v).unwrap();
            if i % 4_999 == 0 {
                assert_eq!(*runs.histogram(), h);
            }
        }
        assert_eq!(*runs.histogram(), h);
        assert!(!runs.is_empty());
    }

    /// The sample percentiles read from the interval's values are exactly what a histogram of
    /// them would give.
    #[test]
    fn interval_quantiles_match_the_histogram() {
        let mut r = rng_from_seed(9);
        for n in [1usize, 2, 3, 7, 100, 1000, 5000] {
            let mut m = Metrics::default();
            let mut h = histogram();
            for _ in 0..n {
                let v = exp_us(&mut r, 9_000.0).clamp(1, 3_600_000_000);
                m.e2e_latency(v);
                h.record(v).unwrap();
            }
            assert_eq!(m.interval_p50_p99(), (h.value_at_quantile(0.5), h.value_at_quantile(0.99)), "n {n}");
            for q in [0.5, 0.99, 1.0, 0.01] {
                assert_eq!(m.interval_quantile(q), h.value_at_quantile(q), "n {n} q {q}");
            }
        }
    }
}
