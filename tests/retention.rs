//! Retention and compaction as Kafka does them: whole segments deleted from the oldest by time
//! (`retention.ms`) and size (`retention.bytes`), never at or above the high watermark; compaction
//! keeps the latest record per key, never changes offsets, and drops tombstones after
//! `delete.retention.ms`. Records removed this way are not counted as lost.

use std::collections::BTreeMap;

use crate::support::base;
use streamlab::engine::Sim;
use streamlab::scenario::*;

fn retention_scenario() -> Scenario {
    let mut s = base("retention");
    s.duration_ms = 30_000;
    s.cluster.config.log_retention_check_interval_ms = 1_000;
    s.topics[0].partitions = 1;
    let c = &mut s.topics[0].config;
    c.segment_ms = 2_000;
    s
}

#[test]
fn retention_by_time_deletes_old_segments_only() {
    let mut s = retention_scenario();
    s.topics[0].config.retention_ms = 10_000;
    let mut sim = Sim::new(&s);
    sim.run();
    let p = sim.partition_view("orders", 0).unwrap();
    let leader = p.replica_state.iter().find(|r| r.is_leader).unwrap();
    eprintln!("time retention: {leader:?}");
    assert!(leader.log_start_offset > 0, "old segments were deleted: {leader:?}");
    // 500 records/s: about 10 s (plus at most one 2 s segment and one 1 s check) are kept.
    assert!((4_500..=7_000).contains(&leader.records), "{leader:?}");
    let oldest = sim.log_records("orders", 0, p.leader.unwrap(), 0, 1)[0];
    assert!(sim.now_us() - oldest.timestamp_us <= 13_000_000, "nothing older than retention.ms + a segment + a check");
    let a = sim.check();
    assert_eq!(a.lost_acked, 0, "expired records are not lost: {a:?}");
}

#[test]
fn retention_by_size_keeps_the_log_under_the_limit() {
    let mut s = retention_scenario();
    s.topics[0].config.retention_ms = -1;
    s.topics[0].config.retention_bytes = 100_000;
    s.topics[0].config.segment_bytes = 20_000;
    s.topics[0].config.segment_ms = 604_800_000;
    let mut sim = Sim::new(&s);
    sim.run();
    let p = sim.partition_view("orders", 0).unwrap();
    for r in &p.replica_state {
        eprintln!("size retention: {r:?}");
        assert!(r.log_start_offset > 0, "{r:?}");
        // At most retention.bytes plus the active segment and what arrived since the last check.
        assert!(r.bytes <= 100_000 + 20_000 + 80_000, "{r:?}");
        assert!(r.bytes >= 60_000, "retention deletes whole segments only, never below the limit: {r:?}");
    }
    assert_eq!(sim.check().lost_acked, 0);
}

fn compaction_scenario(policy: CleanupPolicy) -> Scenario {
    let mut s = retention_scenario();
    s.topics[0].config.cleanup_policy = policy;
    s.topics[0].config.segment_ms = 1_000;
    s.topics[0].config.delete_retention_ms = 3_000;
    s.topics[0].config.min_cleanable_dirty_ratio = 0.1;
    // "writer" updates keys 0..9 (a fifth of them deletes) and stops at 10 s; "ticker" keeps writing
    // key-0 so segments keep rolling and the writer's records leave the active segment.
    s.producers[0].name = "writer".into();
    s.producers[0].keys = KeySpec::Uniform { count: 10 };
    s.producers[0].tombstone_share = 0.2;
    let mut ticker = s.producers[0].clone();
    ticker.name = "ticker".into();
    ticker.rate_per_sec = 50.0;
    ticker.tombstone_share = 0.0;
    ticker.keys = KeySpec::Hot { count: 1, hot_share: 1.0 };
    s.producers.push(ticker);
    s.timeline = vec![TimelineEntry { at_ms: 10_000, action: Action::SetProducerRate { producer: "writer".into(), rate_per_sec: 0.0 } }];
    s
}

#[test]
fn compaction_keeps_the_latest_record_per_key_and_drops_old_tombstones() {
    // The writer's keys depend only on its own generator, so an uncompacted run of the same seed
    // tells which write of each key was the last and whether it was a delete.
    let mut plain = Sim::new(&compaction_scenario(CleanupPolicy::Delete));
    plain.run();
    let pl = plain.partition_view("orders", 0).unwrap().leader.unwrap();
    let mut last: BTreeMap<u32, (u64, bool)> = BTreeMap::new();
    for r in plain.log_records("orders", 0, pl, 0, usize::MAX).iter().filter(|r| r.producer == 0) {
        last.insert(r.key.unwrap(), (r.seq, r.tombstone));
    }
    assert_eq!(last.len(), 10);

    let mut sim = Sim::new(&compaction_scenario(CleanupPolicy::Compact));
    sim.run();
    let p = sim.partition_view("orders", 0).unwrap();
    let recs = sim.log_records("orders", 0, p.leader.unwrap(), 0, usize::MAX);
    let lv = p.replica_state.iter().find(|r| r.is_leader).unwrap();
    eprintln!("compaction: {} records kept of log end offset {}; last writes {last:?}", recs.len(), lv.log_end_offset);
    assert!(recs.windows(2).all(|w| w[0].offset < w[1].offset), "offsets only increase");
    assert!(lv.log_end_offset > 5_000, "offsets never change: the log end offset still counts every record");
    for key in 1..10u32 {
        let kept: Vec<_> = recs.iter().filter(|r| r.producer == 0 && r.key == Some(key)).collect();
        let (seq, tombstone) = last[&key];
        if tombstone {
            // A delete older than delete.retention.ms (3 s; it was written before 10 s) is gone too.
            assert!(kept.is_empty(), "key-{key}: the tombstone and everything before it are gone: {kept:?}");
        } else {
            assert_eq!(kept.len(), 1, "key-{key}: exactly the latest value survives: {kept:?}");
            assert_eq!(kept[0].seq, seq, "key-{key}: the survivor is the last write");
        }
    }
    assert!(last.values().any(|&(_, t)| t) && last.values().any(|&(_, t)| !t), "the seed exercises both deletes and values");
    assert_eq!(sim.check().lost_acked, 0, "compacted-away records are not lost");
}
