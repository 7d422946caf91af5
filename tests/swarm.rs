//! Swarm test (TigerBeetle's VOPR habit): many seeds, random faults from the seed, then heal
//! everything and let the cluster converge. Where the configuration promises it (acks=all,
//! min.insync.replicas=2, RF 3, idempotence, clean elections), the checker must find no lost
//! acknowledged record, no duplicate, no reordering and no high-watermark regression; and after
//! healing, every partition is back to a full ISR and the consumers caught up.

use crate::support::{at, base};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use streamlab::engine::Sim;
use streamlab::scenario::*;

fn random_faults(seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = base("swarm");
    s.seed = seed;
    s.duration_ms = 150_000;
    s.cluster.brokers = rng.random_range(3..=5);
    s.cluster.network.jitter_ms = rng.random_range(0.0..2.0);
    s.topics[0].partitions = rng.random_range(1..=8);
    s.consumer_groups[0].members = rng.random_range(1..=4);
    // Keep the consumers below saturation (1 ms mean processing: 1000 records/s per active member),
    // so that 'caught up after healing' is a property of the system, not of the load.
    let active = s.consumer_groups[0].members.min(s.topics[0].partitions) as f64;
    s.producers[0].rate_per_sec = rng.random_range(100.0..(400.0 * active).max(200.0));
    s.producers[0].keys = KeySpec::Uniform { count: 100 };
    let mut t = 2_000;
    let n = s.cluster.brokers;
    while t < 60_000 {
        let action = match rng.random_range(0..7) {
            0 => Action::CrashBroker { broker: BrokerRef::Id(rng.random_range(0..n)) },
            1 => Action::RestartBroker { broker: BrokerRef::Crashed },
            2 => Action::CrashLeader { topic: "orders".into(), partition: rng.random_range(0..s.topics[0].partitions) },
            3 => Action::IsolateBroker { broker: rng.random_range(0..n) },
            4 => Action::PartitionNetwork { groups: vec![vec![0], (1..n).collect()] },
            5 => Action::HealNetwork,
            _ => Action::CrashController { controller: ControllerRef::Active },
        };
        s.timeline.push(at(t, action));
        t += rng.random_range(1_000..8_000);
    }
    // Heal: every link, every broker, every controller.
    s.timeline.push(at(65_000, Action::HealNetwork));
    for b in 0..n {
        s.timeline.push(at(65_000, Action::RestartBroker { broker: BrokerRef::Id(b) }));
    }
    for c in 0..3 {
        s.timeline.push(at(65_000, Action::RestartController { controller: c }));
    }
    s
}

#[test]
fn swarm_faults_heal_and_converge() {
    for seed in 1..=24u64 {
        let s = random_faults(seed);
        let mut sim = Sim::new(&s);
        // The checker runs after every simulated second, not only at the end.
        let mut t = 0;
        while !sim.is_finished() {
            t += 1_000_000;
            sim.run_until(t);
            let a = sim.check();
            assert_eq!((a.lost_acked, a.duplicates, a.order_violations, a.hw_regressions), (0, 0, 0, 0), "seed {seed} at t={t}: {a:?}");
        }
        let summary = sim.summary();
        assert_eq!(summary.offline, 0, "seed {seed}: every partition has a leader after healing");
        assert_eq!(summary.under_replicated, 0, "seed {seed}: every ISR is full after healing");
        assert!(summary.lag_total < 200, "seed {seed}: consumers caught up, lag {}", summary.lag_total);
    }
}

