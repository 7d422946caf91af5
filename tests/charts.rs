//! The series the app's charts draw (`Sim::chart_view`): rates from the metrics samples, latency
//! percentiles, lag per group, under-replicated partitions, and a marker for every action and fault.

use streamlab::engine::Sim;
use streamlab::scenario::builtin::builtin;
use streamlab::scenario::{parse_scenario, Action};

#[test]
fn a_spike_shows_as_produce_rate_and_lag_with_its_marker() {
    let scenario = parse_scenario(builtin("quickstart").expect("quickstart")).expect("parses");
    let mut sim = Sim::new(&scenario);
    sim.run_until(4_000_000);
    let before = sim.chart_view();
    let n = before.t_us.len();
    assert!(n >= 30, "{n} samples in 4 s");
    let steady: f64 = before.produce_rate[n - 20..].iter().sum::<f64>() / 20.0;
    assert!((150.0..250.0).contains(&steady), "about 200 records/s before the spike, got {steady}");
    let lag_before = *before.lag[0].1.iter().max().expect("lag");
    // The scenario's consumers keep up with 200/s; ten times that for 3 s they cannot.
    sim.apply(Action::TrafficSpike { producer: "checkout".into(), factor: 10.0, duration_ms: 3_000 });
    sim.run_until(7_000_000);
    let v = sim.chart_view();
    let during: Vec<f64> = v.t_us.iter().zip(&v.produce_rate).filter(|(t, _)| (5_000_000..7_000_000).contains(*t)).map(|(_, r)| *r).collect();
    let mean = during.iter().sum::<f64>() / during.len() as f64;
    assert!((1_500.0..2_500.0).contains(&mean), "about 2000 records/s during the spike, got {mean}");
    assert_eq!(v.lag[0].0, "billing");
    let lag_peak = *v.lag[0].1.iter().max().expect("lag");
    assert!(lag_peak > 5 * lag_before.max(10), "lag rose from {lag_before} to {lag_peak}");
    assert_eq!(v.markers.len(), 1);
    assert_eq!((v.markers[0].t_us, v.markers[0].label.as_str(), v.markers[0].fault), (4_000_000, "spike ×10 checkout for 3 s", true));
    // All series have one value per sample.
    for len in [v.produce_rate.len(), v.consume_rate.len(), v.p50_ms.len(), v.p99_ms.len(), v.lag[0].1.len(), v.under_replicated.len()] {
        assert_eq!(len, v.t_us.len());
    }
    // The scenario's own crash at 10 s is a marker once it has happened; once the controller fences the
    // broker (broker.session.timeout.ms after its last heartbeat) its partitions are under-replicated.
    sim.run_until(15_000_000);
    assert_eq!(sim.chart_view().markers.len(), 2);
    sim.run_until(25_000_000);
    let v = sim.chart_view();
    assert_eq!(v.markers.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(), ["spike ×10 checkout for 3 s", "crash leader orders-0", "restart broker (the crashed one)"]);
    assert!(v.under_replicated.iter().any(|&u| u > 0));
    assert!(v.p99_ms.iter().zip(&v.p50_ms).all(|(p99, p50)| p99 >= p50));
}
