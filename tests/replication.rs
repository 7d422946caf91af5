//! Replication scenarios from the semantics doc: the acks=1 loss, acks=all survival, unclean
//! election loss, idempotence against duplicates and reordering, ISR shrink and expand, and the high
//! watermark never moving back where the configuration promises it.

use crate::support::{at, base};
use streamlab::engine::report::{run_report, Report};
use streamlab::engine::Sim;
use streamlab::scenario::*;

fn run(s: &Scenario) -> Report {
    let r = run_report(s, None);
    eprintln!("{}", r.to_text());
    r
}

/// The crash-the-leader workload of the semantics doc, with the given producer settings.
fn crash_leader_workload(acks: Acks, min_isr: u32, seed: u64) -> Scenario {
    let mut s = base("crash-leader");
    s.seed = seed;
    s.duration_ms = 30_000;
    s.cluster.network.latency_ms = 5.0;
    s.topics[0].config.min_insync_replicas = min_isr;
    let p = &mut s.producers[0];
    p.rate_per_sec = 2000.0;
    p.config.acks = acks;
    p.config.enable_idempotence = acks == Acks::All;
    p.config.linger_ms = 0.0;
    s.timeline = vec![
        at(5_000, Action::CrashLeader { topic: "orders".into(), partition: 0 }),
        at(15_000, Action::RestartBroker { broker: BrokerRef::Crashed }),
    ];
    s
}

#[test]
fn healthy_cluster_delivers_everything_once_in_order() {
    let r = run(&base("healthy"));
    assert!(r.produced.sent > 9000);
    assert_eq!(r.produced.failed, 0);
    assert_eq!((r.anomalies.lost_acked, r.anomalies.duplicates, r.anomalies.order_violations, r.anomalies.hw_regressions), (0, 0, 0, 0));
    assert_eq!(r.consumed.delivered, r.consumed.unique);
    assert!(r.consumed.unique + 50 >= r.produced.acked, "{r:?}");
}

#[test]
fn acks_1_loses_acknowledged_records_when_the_leader_crashes() {
    // acks=1: the leader acknowledges before followers fetch; the new leader never had the tail,
    // and the old leader truncates it away when it returns.
    let r = run(&crash_leader_workload(Acks::One, 1, 7));
    assert!(r.anomalies.lost_acked > 0, "expected the classic acks=1 loss: {r:?}");
    assert_eq!(r.anomalies.hw_regressions, 0, "a clean election never truncates below the HW");
}

#[test]
fn acks_all_survives_the_same_crash() {
    for seed in [7, 8, 9] {
        let r = run(&crash_leader_workload(Acks::All, 2, seed));
        assert_eq!(r.anomalies.lost_acked, 0, "seed {seed}: {r:?}");
        assert_eq!(r.anomalies.duplicates, 0, "seed {seed}");
        assert_eq!(r.anomalies.order_violations, 0, "seed {seed}");
        assert!(r.produced.acked > 50_000, "seed {seed}: traffic resumes after the election");
    }
}

fn unclean_workload(unclean: bool) -> Scenario {
    let mut s = base("unclean");
    s.duration_ms = 40_000;
    s.cluster.brokers = 2;
    s.cluster.config.unclean_leader_election_enable = unclean;
    s.cluster.config.replica_lag_time_max_ms = 5_000;
    s.topics[0].replication_factor = 2;
    s.topics[0].partitions = 1;
    s.topics[0].config.min_insync_replicas = 1;
    s.timeline = vec![
        // The follower falls out of the ISR; the leader carries on alone (min.insync.replicas=1).
        at(2_000, Action::PartitionNetwork { groups: vec![vec![0], vec![1]] }),
        at(12_000, Action::CrashLeader { topic: "orders".into(), partition: 0 }),
        at(13_000, Action::HealNetwork),
        at(25_000, Action::RestartBroker { broker: BrokerRef::Crashed }),
    ];
    s
}

#[test]
fn unclean_election_loses_committed_records_and_moves_the_hw_back() {
    let r = run(&unclean_workload(true));
    assert!(r.anomalies.lost_acked > 1000, "records written after the ISR shrank are lost: {r:?}");
    assert!(r.anomalies.hw_regressions > 0, "the old leader truncates below its high watermark");
}

#[test]
fn without_unclean_election_the_partition_goes_offline_instead() {
    let r = run(&unclean_workload(false));
    assert_eq!(r.anomalies.lost_acked, 0, "{r:?}");
    // The controller notices the crash after broker.session.timeout.ms (9 s after the last heartbeat,
    // which came up to 2 s before the crash) and the partition stays offline until the old leader
    // returns at 25 s: 4 to 6 s.
    assert!((4_000..=6_000).contains(&r.partitions.offline_ms), "{r:?}");
    assert_eq!(r.produced.failed, 0, "producers retry through the outage (delivery.timeout.ms is 120 s)");
}

fn lossy_retries(idempotent: bool) -> Scenario {
    let mut s = base("retries");
    s.duration_ms = 30_000;
    s.cluster.network.loss = 0.02;
    s.topics[0].partitions = 1;
    let p = &mut s.producers[0];
    p.rate_per_sec = 2000.0;
    p.config.enable_idempotence = idempotent;
    p.config.linger_ms = 1.0;
    p.config.request_timeout_ms = 500;
    p.config.max_in_flight_requests_per_connection = 5;
    s
}

#[test]
fn retries_without_idempotence_duplicate_and_reorder() {
    let r = run(&lossy_retries(false));
    assert!(r.anomalies.duplicates > 0, "a lost response makes the retry write a duplicate: {r:?}");
    assert!(r.anomalies.order_violations > 0, "a retried batch lands after a later one: {r:?}");
}

#[test]
fn idempotence_prevents_duplicates_and_reordering() {
    let r = run(&lossy_retries(true));
    assert_eq!(r.anomalies.duplicates, 0, "{r:?}");
    assert_eq!(r.anomalies.order_violations, 0, "{r:?}");
    assert_eq!(r.anomalies.lost_acked, 0, "{r:?}");
}

#[test]
fn isr_shrinks_under_a_cut_follower_and_expands_after_heal() {
    let mut s = base("isr");
    s.duration_ms = 100_000;
    s.cluster.config.replica_lag_time_max_ms = 10_000;
    s.timeline = vec![
        at(5_000, Action::PartitionNetwork { groups: vec![vec![0, 1], vec![2]] }),
        at(40_000, Action::HealNetwork),
    ];
    let mut sim = Sim::new(&s);
    sim.run_until(30_000_000);
    assert!(sim.under_replicated_count() > 0, "broker 2 left the ISRs within replica.lag.time.max.ms");
    sim.run();
    assert_eq!(sim.under_replicated_count(), 0, "broker 2 caught up and rejoined after the heal");
    let a = sim.check();
    assert_eq!((a.lost_acked, a.duplicates, a.hw_regressions), (0, 0, 0));
}

/// A far rack slows acks=all (the leader waits for the far follower) but not acks=1, and the
/// produce latency follows the configured links.
#[test]
fn per_link_latency_slows_what_crosses_the_slow_link() {
    let mut s = base("two-regions");
    s.duration_ms = 10_000;
    s.cluster.racks = vec!["near".into(), "near".into(), "far".into()];
    s.topics[0].replication_factor = 3;
    s.producers[0].config.linger_ms = 0.0;
    let baseline = run(&s);
    s.cluster.network.links = vec![LinkSpec { between: [Endpoint::Rack("near".into()), Endpoint::Rack("far".into())], latency_ms: 30.0, jitter_ms: 0.0 }];
    let all = run(&s);
    // acks=all: the record is acknowledged when the far follower has fetched it: at least one round
    // trip over the 30 ms link on top of the near path.
    assert!(baseline.latency_ms.p50 < 20.0, "baseline p50 {}", baseline.latency_ms.p50);
    assert!(all.latency_ms.p50 > 60.0, "acks=all over a far follower p50 {}", all.latency_ms.p50);
    s.producers[0].config.acks = Acks::One;
    s.producers[0].config.enable_idempotence = false;
    let one = run(&s);
    // acks=1 answers the producer sooner (fewer requests wait in flight), but a consumer still reads
    // only below the high watermark, which waits for the far follower: end to end stays slow.
    assert!(one.latency_ms.p50 > 60.0 && one.latency_ms.p50 < all.latency_ms.p50, "acks=1 p50 {}", one.latency_ms.p50);
    // Clients far from every broker: each record pays the client link twice (request, response) at
    // least before it is processed.
    s.cluster.network.links = vec![LinkSpec { between: [Endpoint::Clients, Endpoint::Rack("near".into())], latency_ms: 25.0, jitter_ms: 0.0 }, LinkSpec { between: [Endpoint::Clients, Endpoint::Rack("far".into())], latency_ms: 25.0, jitter_ms: 0.0 }];
    let far_clients = run(&s);
    assert!(far_clients.latency_ms.p50 >= 50.0, "p50 {}", far_clients.latency_ms.p50);
    assert_eq!((far_clients.anomalies.lost_acked, far_clients.anomalies.duplicates), (0, 0));
}

#[test]
fn the_metrics_before_the_last_fault_are_kept_for_comparison() {
    use streamlab::engine::Sim;
    let mut s = crate::support::base("metrics-before-fault");
    s.timeline = vec![crate::support::at(5_000, Action::CrashBroker { broker: BrokerRef::Id(1) })];
    let mut sim = Sim::new(&s);
    sim.run_until(4_000_000);
    assert!(sim.last_fault().is_none());
    sim.run_until(15_000_000);
    let f = sim.last_fault().expect("the crash was recorded").clone();
    assert_eq!((f.t_us, f.action), (5_000_000, "crash_broker"));
    let urp = |m: &[(&str, f64)]| m.iter().find(|(n, _)| n.ends_with("UnderReplicatedPartitions")).unwrap().1;
    assert_eq!(urp(&f.before), 0.0);
    assert!(urp(&sim.jmx_metrics()) > 0.0, "the broker's partitions are under-replicated after the crash");
    // A repair is not a fault: the snapshot stays the crash's.
    sim.apply(Action::RestartBroker { broker: BrokerRef::Id(1) });
    assert_eq!(sim.last_fault().unwrap().action, "crash_broker");
}
