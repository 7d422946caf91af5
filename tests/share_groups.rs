//! Share groups (KIP-932, "queues for Kafka") on the log design: members share one partition, records
//! are locked, acknowledged, released and redelivered with a delivery count, archived at the limit;
//! a crashed member's locks expire; a share group started late replays the retained log. Each test is
//! a small scenario with the figure that makes the point.

use std::process::Command;

use crate::support::{at, base};
use serde_json::Value;
use streamlab::engine::report::{run_report, GroupReport, Report};
use streamlab::engine::Sim;
use streamlab::scenario::*;

fn run(s: &Scenario) -> Report {
    let r = run_report(s, None);
    eprintln!("{}", r.to_text());
    r
}

fn billing(r: &Report) -> &GroupReport {
    &r.groups["billing"]
}

/// One partition, three members of a share group reading from the start, 200 records/s, 4 ms each.
fn one_partition_share() -> Scenario {
    let mut s = base("share");
    s.duration_ms = 30_000;
    s.cluster.config.group_initial_rebalance_delay_ms = 0;
    s.topics[0].partitions = 1;
    s.producers[0].rate_per_sec = 200.0;
    let g = &mut s.consumer_groups[0];
    g.members = 3;
    g.processing_ms = ProcessingSpec::Exponential { mean: 4.0 };
    g.group_type = GroupType::Share;
    g.config = ConsumerConfig { share: ShareConfig { auto_offset_reset: ShareOffsetReset::Earliest, ..Default::default() }, ..Default::default() };
    s
}

#[test]
fn three_share_members_keep_busy_on_one_partition_where_a_classic_group_idles_two() {
    let s = one_partition_share();
    let r = run(&s);
    let g = billing(&r);
    assert_eq!(g.group_type, "share");
    assert_eq!(g.idle_members, 0);
    let mut sim = Sim::new(&s);
    sim.run();
    let received = sim.share_member_received("billing").unwrap();
    assert_eq!(received.len(), 3);
    // Each member takes a fair part of the one partition (a third would be about 2,000 records).
    for n in &received {
        assert!(*n > 1_000, "{received:?}");
    }
    let sh = g.share.as_ref().unwrap();
    assert_eq!(sh.stats.accepted, r.consumed.delivered);
    assert!(r.consumed.unique + 50 >= r.produced.acked, "{} of {}", r.consumed.unique, r.produced.acked);
    assert_eq!((sh.stats.released, sh.stats.archived, sh.stats.lock_expiries), (0, 0, 0));
    assert!(sh.stats.in_flight_max <= 200);
    // The same group as a classic consumer group: one member owns the partition, two idle.
    let mut classic = s.clone();
    classic.consumer_groups[0].group_type = GroupType::Classic;
    classic.consumer_groups[0].config = ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..Default::default() };
    let c = run(&classic);
    assert_eq!(billing(&c).idle_members, 2);
    assert_eq!(billing(&c).group_type, "classic");
    assert!(billing(&c).share.is_none());
    // Three busy members wait less than one at 80%.
    assert!(c.latency_ms.mean > 1.5 * r.latency_ms.mean, "{} vs {}", c.latency_ms.mean, r.latency_ms.mean);
}

/// 20 records/s over 10 keys; every record of `key-3` fails; explicit acknowledgement releases it.
fn poison_key_share(limit: u32) -> Scenario {
    let mut s = one_partition_share();
    s.producers[0].rate_per_sec = 20.0;
    s.producers[0].keys = KeySpec::Uniform { count: 10 };
    let g = &mut s.consumer_groups[0];
    g.members = 2;
    g.processing_ms = ProcessingSpec::Constant { mean: 2.0 };
    g.failures = Some(FailureSpec { poison_keys: vec!["key-3".into()], ..Default::default() });
    g.config.share.acknowledgement_mode = AckMode::Explicit;
    g.config.share.delivery_count_limit = limit;
    s
}

#[test]
fn a_released_record_comes_back_with_its_delivery_count_up_until_the_limit_archives_it() {
    let s = poison_key_share(4);
    let mut sim = Sim::new(&s);
    // Follow the first record of key-3 through the share-partition, step by step.
    let mut offset = None;
    let mut seen: Vec<(&'static str, u32)> = Vec::new();
    let mut holders: Vec<u32> = Vec::new();
    while sim.step() {
        let v = sim.share_partition_view("billing", "orders", 0).unwrap();
        if offset.is_none() {
            offset = v.records.iter().find(|r| r.key == Some(3)).map(|r| r.offset);
        }
        let Some(off) = offset else { continue };
        let now = match v.records.iter().find(|r| r.offset == off) {
            Some(r) => {
                if let Some(m) = r.member {
                    holders.push(m);
                }
                (r.state, r.delivery_count)
            }
            // The SPSO moved past it: done with for good.
            None => ("gone", seen.last().map_or(0, |x| x.1)),
        };
        if seen.last() != Some(&now) {
            seen.push(now);
        }
    }
    // Each release makes it available again; the next acquisition counts one more delivery; the
    // fourth release archives it (at the front of the window the SPSO moves past it at once), and
    // it is never acquired again.
    let acquired: Vec<u32> = seen.iter().filter(|x| x.0 == "acquired").map(|x| x.1).collect();
    assert_eq!(acquired, vec![1, 2, 3, 4], "{seen:?}");
    let last_acquired = seen.iter().rposition(|x| x.0 == "acquired").unwrap();
    assert!(seen[last_acquired + 1..].iter().all(|x| x.0 == "archived" || x.0 == "gone"), "{seen:?}");
    assert_eq!(seen.last().unwrap().0, "gone", "{seen:?}");
    // Both members had it at some point or one had it every time; either way a member held it.
    assert!(!holders.is_empty());
    let r = streamlab::engine::report::Report::from_sim(&sim);
    eprintln!("{}", r.to_text());
    let sh = billing(&r).share.as_ref().unwrap();
    assert!(sh.stats.archived > 30, "{:?}", sh.stats);
    assert_eq!(sh.stats.delivery_count_max, 4);
    // Every archived record was released four times (three redeliveries each); the rest of the
    // releases belong to poison records still in flight at the end.
    assert!(sh.stats.released >= 4 * sh.stats.archived && sh.stats.released < 4 * sh.stats.archived + 4 * 8, "{:?}", sh.stats);
    assert!(sh.stats.redelivered >= 3 * sh.stats.archived);
    // Poison records are never processed successfully: no key-3 latency, no duplicates.
    assert_eq!(billing(&r).processed_twice, 0);
    assert!(sim.log_lines(0, usize::MAX).iter().any(|l| l.text.contains("delivered 4 times (share.delivery.count.limit) and is archived")));
}

#[test]
fn implicit_acknowledgement_accepts_failed_records_so_nothing_is_redelivered() {
    let mut s = poison_key_share(4);
    s.consumer_groups[0].config.share.acknowledgement_mode = AckMode::Implicit;
    let r = run(&s);
    let g = billing(&r);
    let sh = g.share.as_ref().unwrap();
    assert_eq!((sh.stats.released, sh.stats.archived, sh.stats.redelivered), (0, 0, 0));
    assert!(g.skipped > 30 && g.failed_tries == g.skipped, "{} {}", g.skipped, g.failed_tries);
}

#[test]
fn a_crashed_member_s_locks_expire_after_the_lock_duration_and_others_get_its_records() {
    let mut s = one_partition_share();
    s.duration_ms = 50_000;
    s.producers[0].rate_per_sec = 100.0;
    let g = &mut s.consumer_groups[0];
    g.members = 2;
    g.processing_ms = ProcessingSpec::Constant { mean: 6.0 };
    g.config.share.record_lock_duration_ms = 15_000;
    g.config.max_poll_records = 50;
    // The group starts at 3 s on 3 s of history, so each member's first poll holds 50 records (300 ms
    // of work); member 0 crashes 100 ms into its poll.
    let spec = s.consumer_groups.remove(0);
    s.timeline = vec![at(3_000, Action::AddConsumerGroup { group: spec }), at(3_100, Action::CrashConsumer { group: "billing".into(), member: 0 })];
    let mut sim = Sim::new(&s);
    sim.run_until(3_100_000);
    let held = |sim: &Sim, m: u32| -> Vec<(u64, u64)> {
        let v = sim.share_partition_view("billing", "orders", 0).unwrap();
        v.records.iter().filter(|r| r.member == Some(m)).map(|r| (r.offset, r.lock_expiry_us.unwrap())).collect()
    };
    let at_crash = held(&sim, 0);
    assert!(!at_crash.is_empty(), "member 0 held nothing when it crashed");
    let locked: Vec<u64> = at_crash.iter().map(|x| x.0).collect();
    // Each lock runs share.record.lock.duration.ms from its acquisition, before the crash.
    let first = at_crash.iter().map(|x| x.1).min().unwrap();
    let last = at_crash.iter().map(|x| x.1).max().unwrap();
    assert!(first > 3_100_000 && last <= 18_100_000, "{at_crash:?}");
    // Just before the first lock runs out they are all still member 0's; the partition stalls
    // behind them once the in-flight window (share.partition.max.record.locks, 200) is full.
    sim.run_until(first - 1);
    assert_eq!(held(&sim, 0), at_crash);
    let v = sim.share_partition_view("billing", "orders", 0).unwrap();
    assert_eq!(v.speo - v.spso, 200);
    sim.run_until(last + 1);
    assert!(held(&sim, 0).is_empty());
    sim.run();
    let v = sim.share_partition_view("billing", "orders", 0).unwrap();
    assert!(v.spso > *locked.last().unwrap(), "the expired records were processed by member 1");
    let r = Report::from_sim(&sim);
    eprintln!("{}", r.to_text());
    let g = billing(&r);
    let sh = g.share.as_ref().unwrap();
    assert_eq!(sh.stats.lock_expiries, locked.len() as u64);
    assert_eq!(sh.stats.redelivered, locked.len() as u64);
    assert_eq!(sh.stats.in_flight_max, 200);
    // Member 0 was 100 ms into a poll of 6 ms records: the 16 it processed before the crash were
    // never acknowledged, so member 1 processed them again.
    assert_eq!(g.processed_twice, 16);
    assert!(sim.log_lines(0, usize::MAX).iter().any(|l| l.text.contains("expired after 15 s unacknowledged")));
    // Nothing acknowledged was lost, and member 1 worked off the backlog of the 15 s stall.
    assert_eq!(r.anomalies.lost_acked, 0);
    assert!(g.lag_end < 50, "{}", g.lag_end);
}

/// A classic group from the start; at 10 s a second group starts and reads the topic.
fn late_group(group_type: GroupType, reset: ShareOffsetReset) -> Scenario {
    let mut s = base("late");
    s.cluster.config.group_initial_rebalance_delay_ms = 0;
    let mut audit = s.consumer_groups[0].clone();
    audit.group_id = "audit".into();
    audit.group_type = group_type;
    if group_type == GroupType::Share {
        audit.config = ConsumerConfig { share: ShareConfig { auto_offset_reset: reset, ..Default::default() }, ..Default::default() };
    }
    s.timeline = vec![at(10_000, Action::AddConsumerGroup { group: audit })];
    s
}

#[test]
fn a_share_group_started_late_replays_the_retained_log_unlike_a_queue() {
    let processed = |r: &Report, g: &str| r.groups[g].processed;
    let r = run(&late_group(GroupType::Share, ShareOffsetReset::Earliest));
    // 20 s of records, the first 10 s of them written before the share group existed.
    assert!(processed(&r, "audit") + 100 >= processed(&r, "billing"), "{} vs {}", processed(&r, "audit"), processed(&r, "billing"));
    assert_eq!(r.groups["audit"].group_type, "share");
    assert_eq!(r.groups["audit"].idle_members, 0);
    // share.auto.offset.reset=latest (the default) starts at the high watermark: half of it.
    let r = run(&late_group(GroupType::Share, ShareOffsetReset::Latest));
    let share = processed(&r, "audit") as f64 / processed(&r, "billing") as f64;
    assert!((share - 0.5).abs() < 0.05, "{share}");
    // The same workload on the queue design: a queue made at 10 s holds only what came after.
    let mut q = late_group(GroupType::Classic, ShareOffsetReset::Earliest);
    q.design = Design::Queue;
    let r = run(&q);
    let share = processed(&r, "audit") as f64 / processed(&r, "billing") as f64;
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn share_group_runs_are_deterministic_and_chunked_runs_match() {
    let mut s = poison_key_share(3);
    s.producers[0].rate_per_sec = 300.0;
    s.consumer_groups[0].failures = Some(FailureSpec { rate: 0.2, poison_keys: vec!["key-3".into()], ..Default::default() });
    s.timeline = vec![at(4_000, Action::CrashConsumer { group: "billing".into(), member: 1 }), at(6_000, Action::RestartConsumer { group: "billing".into(), member: 1 })];
    let once = run_report(&s, None);
    assert_eq!(once.trace_hash, run_report(&s, None).trace_hash);
    let mut sim = Sim::new(&s);
    let mut t = 0;
    while !sim.is_finished() {
        t += 777_777;
        sim.run_until(t);
    }
    assert_eq!(format!("{:016x}", sim.trace_hash()), once.trace_hash);
    let mut other = s.clone();
    other.seed += 1;
    assert_ne!(run_report(&other, None).trace_hash, once.trace_hash);
    // The share group's decisions are in the hash: the same run as a classic group differs.
    let mut classic = s.clone();
    classic.consumer_groups[0] = base("x").consumer_groups[0].clone();
    classic.consumer_groups[0].members = 2;
    assert_ne!(run_report(&classic, None).trace_hash, once.trace_hash);
}

#[test]
fn share_settings_are_validated_with_paths_and_reasons() {
    let group = |extra: &str| {
        format!(
            r#"{{"topics": [{{"name": "orders", "partitions": 1}}], "consumer_groups": [{{"group.id": "g", "topics": ["orders"]{extra}}}]}}"#
        )
    };
    let errors = |json: &str| -> Vec<String> { parse_scenario(json).err().unwrap_or_default().iter().map(ToString::to_string).collect() };
    assert_eq!(
        errors(&group(r#", "config": {"share.auto.offset.reset": "earliest"}"#)),
        vec![r#"$.consumer_groups[0].config["share.auto.offset.reset"]: "share.auto.offset.reset" is a share group setting; this group's group.type is "classic" (set "group.type": "share" on the group)"#]
    );
    assert_eq!(
        errors(&group(r#", "group.type": "consumer""#)),
        vec![r#"$.consumer_groups[0]["group.type"]: unknown value "consumer"; expected one of "classic", "share""#]
    );
    let e = errors(&group(
        r#", "group.type": "share", "static": true, "config": {"auto.offset.reset": "earliest", "partition.assignment.strategy": "range", "share.record.lock.duration.ms": 1000, "share.delivery.count.limit": 11, "share.partition.max.record.locks": 50, "share.auto.offset.reset": "none", "share.acknowledgement.mode": "explict"}, "failures": {"rate": 0.1, "policy": "dead_letter"}"#,
    ));
    let want = [
        r#"$.consumer_groups[0].failures.policy: "policy" is not for share groups"#,
        r#"$.consumer_groups[0].config["auto.offset.reset"]: "auto.offset.reset" is not supported by share groups (only Kafka's default is accepted): a share group starts where share.auto.offset.reset says"#,
        r#"$.consumer_groups[0].config["partition.assignment.strategy"]: "partition.assignment.strategy" is not supported by share groups"#,
        r#"$.consumer_groups[0].config["share.record.lock.duration.ms"]: "#,
        r#"$.consumer_groups[0].config["share.delivery.count.limit"]: "#,
        r#"$.consumer_groups[0].config["share.partition.max.record.locks"]: "#,
        r#"$.consumer_groups[0].config["share.auto.offset.reset"]: unknown value "none"; expected one of "earliest", "latest""#,
        r#"$.consumer_groups[0].config["share.acknowledgement.mode"]: unknown value "explict"; did you mean "explicit"?"#,
        r#"$.consumer_groups[0].static: share groups have no static membership"#,
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for w in want {
        assert!(e.iter().any(|x| x.starts_with(w)), "no error starting {w} in {e:#?}");
    }
    // A share group with every setting written reads back the same after a round trip.
    let s = parse_scenario(&group(
        r#", "group.type": "share", "members": 3, "config": {"share.record.lock.duration.ms": 15000, "share.delivery.count.limit": 2, "share.partition.max.record.locks": 100, "share.auto.offset.reset": "earliest", "share.acknowledgement.mode": "explicit", "max.poll.records": 10}, "failures": {"rate": 0.5}"#,
    ))
    .unwrap();
    let g = &s.consumer_groups[0];
    assert_eq!(g.group_type, GroupType::Share);
    assert_eq!(g.config.share, ShareConfig { record_lock_duration_ms: 15_000, delivery_count_limit: 2, partition_max_record_locks: 100, auto_offset_reset: ShareOffsetReset::Earliest, acknowledgement_mode: AckMode::Explicit });
    assert_eq!(parse_scenario(&streamlab::scenario::parse::scenario_to_json(&s)).unwrap(), s);
    // Defaults: Kafka's.
    let d = parse_scenario(&group(r#", "group.type": "share""#)).unwrap();
    assert_eq!(d.consumer_groups[0].config.share, ShareConfig { record_lock_duration_ms: 30_000, delivery_count_limit: 5, partition_max_record_locks: 200, auto_offset_reset: ShareOffsetReset::Latest, acknowledgement_mode: AckMode::Implicit });
    // A classic group exports without any share field.
    let c = parse_scenario(&group("")).unwrap();
    assert!(!streamlab::scenario::parse::scenario_to_json(&c).contains("share"));
}

#[test]
fn reset_offsets_on_a_share_group_is_logged_and_ignored() {
    let mut s = one_partition_share();
    s.duration_ms = 5_000;
    s.timeline = vec![at(2_000, Action::ResetOffsets { group: "billing".into(), topic: None, partition: None, to: ResetTo::Earliest })];
    let mut sim = Sim::new(&s);
    sim.run();
    assert!(sim.log_lines(0, usize::MAX).iter().any(|l| l.text.contains("Ignored reset_offsets: billing is a share group")));
}

fn compare_json(file: &str) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_streamlab")).args(["compare", file, "--json"]).output().expect("the streamlab binary runs");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

#[test]
fn log_vs_queue_vs_share_shows_idle_classic_members_and_out_of_order_share_processing() {
    let v = compare_json("static/comparisons/log-vs-queue-vs-share.json");
    let run = |name: &str| -> &Value { v["runs"].as_array().unwrap().iter().find(|r| r["name"] == name).map(|r| &r["report"]).unwrap_or_else(|| panic!("no run {name}")) };
    let group = |name: &str| &run(name)["groups"]["billing"];
    let (classic, share, queue) = ("kafka-consumer-group", "kafka-share-group", "rabbitmq-classic");
    assert_eq!(group(classic)["group_type"], "classic");
    assert_eq!(group(share)["group_type"], "share");
    assert_eq!(group(queue)["group_type"], "queue");
    // A classic group gives the one partition to one member; share and queue keep all three busy.
    assert_eq!(group(classic)["idle_members"], 2);
    assert_eq!(group(share)["idle_members"], 0);
    assert_eq!(group(queue)["idle_members"], 0);
    // Records of the hot key are processed out of order when several members share it.
    let violations = |n: &str| run(n)["anomalies"]["order_violations"].as_u64().unwrap();
    assert_eq!(violations(classic), 0);
    assert!(violations(share) > 100, "{}", violations(share));
    assert!(violations(queue) > 100, "{}", violations(queue));
    // Three busy members wait far less than one at 80%.
    let mean = |n: &str| run(n)["latency_ms"]["mean"].as_f64().unwrap();
    assert!(mean(classic) > 3.0 * mean(share), "{} vs {}", mean(classic), mean(share));
    // The share group reads the same retained log: a new group could still replay it all.
    assert_eq!(run(share)["replay"]["possible"], true);
    assert_eq!(run(queue)["replay"]["possible"], false);
    assert_eq!(group(share)["share"]["accepted"], run(share)["consumed"]["delivered"]);
    let diffs: Vec<&str> = v["differences"].as_array().unwrap().iter().map(|d| d["metric"].as_str().unwrap()).collect();
    for m in ["group_type", "idle_members", "order_violations", "replay"] {
        assert!(diffs.contains(&m), "{m} missing from {diffs:?}");
    }
}
