//! Timing against queueing theory: one partition, one consumer, zero network delay, Poisson sends and
//! exponential processing is an M/M/1 queue, whose mean time in system is 1 / (mu - lambda).

use crate::support::base;
use streamlab::engine::report::run_report;
use streamlab::scenario::*;

pub fn mm1(lambda: f64, mean_service_ms: f64, seed: u64, duration_ms: u64) -> Scenario {
    let mut s = base("mm1");
    s.seed = seed;
    s.duration_ms = duration_ms;
    s.cluster.brokers = 1;
    s.cluster.network.latency_ms = 0.0;
    // The server is there from the first record: no wait for more members before the assignment.
    s.cluster.config.group_initial_rebalance_delay_ms = 0;
    s.topics[0].partitions = 1;
    s.topics[0].replication_factor = 1;
    s.topics[0].config.min_insync_replicas = 1;
    let p = &mut s.producers[0];
    p.rate_per_sec = lambda;
    p.config.linger_ms = 0.0;
    p.config.acks = Acks::One;
    p.config.enable_idempotence = false;
    s.consumer_groups[0].members = 1;
    s.consumer_groups[0].processing_ms = ProcessingSpec::Exponential { mean: mean_service_ms };
    s
}

#[test]
fn mm1_mean_latency_matches_the_formula() {
    let (lambda, service_ms) = (450.0, 1.8);
    let mu = 1000.0 / service_ms;
    let expected_ms = 1000.0 / (mu - lambda);
    // Five seeds of 600 simulated seconds (about 270k records each); the pooled mean is within 3%.
    let mut total = 0.0;
    for seed in 1..=5 {
        let r = run_report(&mm1(lambda, service_ms, seed, 600_000), None);
        assert!(r.consumed.unique > 260_000, "{r:?}");
        eprintln!("seed {seed}: mean {:.3} ms (expected {expected_ms:.3})", r.latency_ms.mean);
        total += r.latency_ms.mean;
    }
    let mean = total / 5.0;
    let err = (mean - expected_ms).abs() / expected_ms;
    assert!(err < 0.03, "pooled mean {mean:.3} ms vs M/M/1 {expected_ms:.3} ms ({:.1}% off)", err * 100.0);
}

#[test]
fn mm1_at_low_load_is_close_to_the_service_time() {
    // rho = 0.1: mean time in system 1/(mu - lambda) = 1.111 ms for 1 ms service.
    let r = run_report(&mm1(100.0, 1.0, 3, 300_000), None);
    let expected = 1000.0 / (1000.0 - 100.0);
    assert!((r.latency_ms.mean - expected).abs() / expected < 0.05, "{} vs {expected}", r.latency_ms.mean);
}
