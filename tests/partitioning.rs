//! Where records go: Kafka's `RoundRobinPartitioner` (`partitioner.class`) in a run, next to the
//! default keyed partitioner, and what the checker makes of one key spread over partitions: no
//! order violation in any partition's log, but records processed out of order by the group.

use crate::support::{at, base};
use streamlab::engine::report::run_report;
use streamlab::engine::Sim;
use streamlab::scenario::*;

/// Three consumers, a hot key (half the records of 10 keys), Kafka's RoundRobinPartitioner.
fn hot_key_round_robin(name: &str) -> Scenario {
    let mut s = base(name);
    s.consumer_groups[0].members = 3;
    s.consumer_groups[0].processing_ms = ProcessingSpec::Exponential { mean: 1.5 };
    s.producers[0].keys = KeySpec::Hot { count: 10, hot_share: 0.5 };
    s.producers[0].config.partitioner_class = Partitioner::RoundRobin;
    s
}

fn partition_of(sim: &Sim, seq: u64) -> Option<u32> {
    sim.record_story(0, seq).and_then(|s| s.partition)
}

#[test]
fn round_robin_deals_consecutive_records_to_the_partitions_in_turn() {
    let mut s = base("round-robin");
    s.duration_ms = 2_000;
    s.producers[0].config.partitioner_class = Partitioner::RoundRobin;
    let mut sim = Sim::new(&s);
    sim.run();
    // The counter starts at 0 and ignores keys: record n goes to partition n mod 3.
    for seq in 0..300 {
        assert_eq!(partition_of(&sim, seq), Some((seq % 3) as u32), "record {seq}");
    }
    // The default partitioner keeps each key on its one partition instead.
    s.producers[0].config.partitioner_class = Partitioner::BuiltIn;
    let mut keyed = Sim::new(&s);
    keyed.run();
    let mut seen: Vec<Option<u32>> = vec![None; 20];
    for seq in 0..300 {
        let story = keyed.record_story(0, seq).unwrap();
        let slot = &mut seen[story.key.unwrap() as usize];
        assert!(slot.is_none() || *slot == story.partition, "key {:?} on two partitions", story.key);
        *slot = story.partition;
    }
}

#[test]
fn round_robin_skips_a_partition_without_a_leader() {
    // Replication factor 1: when the broker of partition 1 is fenced (broker.session.timeout.ms,
    // 9 s), partition 1 has no leader and the counter goes round partitions 0 and 2 only.
    let mut s = base("round-robin-offline");
    s.duration_ms = 16_000;
    s.topics[0].replication_factor = 1;
    s.topics[0].config.min_insync_replicas = 1;
    s.producers[0].config.partitioner_class = Partitioner::RoundRobin;
    s.timeline = vec![at(1_000, Action::CrashLeader { topic: "orders".into(), partition: 1 })];
    let mut sim = Sim::new(&s);
    sim.run();
    // Records sent from 12 s on (those to partition 1 before the fencing wait in the producer).
    let late: Vec<u32> = (0..)
        .map_while(|seq| sim.record_story(0, seq))
        .filter(|st| st.sent_at_us.is_some_and(|t| t > 12_000_000))
        .filter_map(|st| st.partition)
        .collect();
    assert!(late.len() > 1000, "{}", late.len());
    assert!(late.iter().all(|&p| p != 1));
    assert!(late.windows(2).all(|w| w[0] != w[1]), "consecutive records alternate between 0 and 2");
}

#[test]
fn a_key_spread_by_round_robin_is_processed_out_of_order_but_stored_in_order() {
    let mut s = hot_key_round_robin("round-robin-order");
    let rr = run_report(&s, None);
    assert_eq!(rr.anomalies.order_violations, 0, "each partition's log keeps send order");
    assert!(rr.anomalies.processing_order_violations > 0, "{:?}", rr.anomalies);
    assert_eq!(rr.groups["billing"].processing_order_violations, rr.anomalies.processing_order_violations);
    // Keyed, one consumer per partition reads a key in order: nothing out of order.
    s.producers[0].config.partitioner_class = Partitioner::BuiltIn;
    let keyed = run_report(&s, None);
    assert_eq!((keyed.anomalies.order_violations, keyed.anomalies.processing_order_violations), (0, 0));
}

/// The records a group processed out of order are located: where each is stored, its key, and the
/// later-sent record of that key the group processed first (the app lists and outlines them).
#[test]
fn records_processed_out_of_order_are_located() {
    let s = hot_key_round_robin("round-robin-located");
    let mut sim = streamlab::engine::Sim::new(&s);
    sim.run();
    let (counts, found) = sim.check_detailed(20);
    let late: Vec<_> = found.iter().filter(|f| f.kind == "processing").collect();
    assert_eq!(late.len() as u64, counts.processing_order_violations.min(20), "{counts:?}");
    for f in &late {
        let (group, first) = f.late_in.expect("the group and the record processed first");
        assert_eq!(group, 0);
        assert!(first > f.seq, "#{first} was sent after #{}", f.seq);
        assert!(f.partition.is_some() && f.offset.is_some() && f.key.is_some(), "{f:?}");
        let stored = sim.log_records("orders", f.partition.unwrap(), sim.partition_view("orders", f.partition.unwrap()).unwrap().leader.unwrap(), f.offset.unwrap(), 1);
        assert_eq!((stored[0].producer, stored[0].seq), (f.producer, f.seq), "found where it is stored");
    }
}
