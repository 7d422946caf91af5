//! The queue design (`"design": "queue"`): timing against Erlang C, and RabbitMQ's semantics as a
//! user sees them through the report and the queue views.

use crate::support::{at, base};
use crate::timing::mm1;
use streamlab::engine::queue::{topic_matches, QueueSim};
use streamlab::engine::report::{run_report, Report};
use streamlab::scenario::parse::scenario_to_json;
use streamlab::scenario::*;

/// A queue-design scenario: the test base (500 records/s, 20 keys, one group "billing" of two
/// members, 1 ms exponential processing) on three nodes.
fn queue_base(name: &str) -> Scenario {
    let mut s = base(name);
    s.design = Design::Queue;
    s
}

fn run_queue(s: &Scenario) -> (QueueSim, Report) {
    let mut sim = QueueSim::new(s);
    sim.run();
    let r = Report::from_queue_sim(&sim);
    (sim, r)
}

// ---------------------------------------------------------------------------------------------------
// Timing: c competing consumers, prefetch 1, Poisson sends, exponential processing is M/M/c
// ---------------------------------------------------------------------------------------------------

/// Erlang C: the mean time in system (ms) of an M/M/c queue with arrival rate `lambda` (per s) and
/// mean service time `service_ms`.
fn erlang_c_mean_ms(c: u32, lambda: f64, service_ms: f64) -> f64 {
    let mu = 1000.0 / service_ms;
    let a = lambda / mu;
    let rho = a / c as f64;
    assert!(rho < 1.0);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let top = term * a / c as f64 / (1.0 - rho); // a^c / c! / (1 - rho)
    let p_wait = top / (sum + top);
    let wq_s = p_wait / (c as f64 * mu - lambda);
    service_ms + wq_s * 1000.0
}

fn mmc(c: u32, lambda: f64, service_ms: f64, seed: u64, duration_ms: u64) -> Scenario {
    let mut s = mm1(lambda, service_ms, seed, duration_ms);
    s.design = Design::Queue;
    // basic.qos 1: a message goes only to a consumer that is free, so the queue is one line served
    // by c servers (with a larger prefetch each consumer gets its own line, round robin).
    s.queue.prefetch = 1;
    s.consumer_groups[0].members = c;
    s
}

#[test]
fn erlang_c_formula_is_right_on_known_values() {
    // M/M/1 reduces to 1 / (mu - lambda); M/M/2 at a = 1 (rho 0.5): P(wait) = 1/3.
    assert!((erlang_c_mean_ms(1, 450.0, 1.8) - 1000.0 / (1000.0 / 1.8 - 450.0)).abs() < 1e-9);
    let w = erlang_c_mean_ms(2, 500.0, 2.0);
    assert!((w - (2.0 + (1.0 / 3.0) / (1000.0 - 500.0) * 1000.0)).abs() < 1e-9, "{w}");
}

/// Each c at utilisation 0.81 (where waiting matters: P(wait) is 0.81, 0.73 and 0.59), 8 seeds of
/// 400 simulated seconds each (180k, 360k and 720k messages per run). At this load time-in-system
/// samples are strongly correlated (busy periods), so one run's mean varies far more than the
/// i.i.d. figure: over seeds 1 to 10 its standard deviation was 2.0% (c = 1), 1.2% (c = 2) and
/// 0.3% (c = 4) of the mean. The pooled mean of 8 seeds then has a standard error of at most 0.71%,
/// and the 3% bound is over four standard errors. A wrong dispatch fails it by far: with prefetch
/// 250 instead of 1 the same workload measures +38% (c = 2) and +90% (c = 4).
#[test]
fn mmc_mean_latency_matches_erlang_c_for_1_2_and_4_consumers() {
    let service_ms = 1.8;
    for c in [1u32, 2, 4] {
        let lambda = 450.0 * c as f64;
        let expected = erlang_c_mean_ms(c, lambda, service_ms);
        let mut total = 0.0;
        let seeds = 1..=8u64;
        let n = seeds.clone().count() as f64;
        for seed in seeds {
            let r = run_report(&mmc(c, lambda, service_ms, seed, 400_000), None);
            assert_eq!(r.design, "queue");
            assert!(r.consumed.unique as f64 > 0.98 * lambda * 400.0, "{r:?}");
            total += r.latency_ms.mean;
        }
        let mean = total / n;
        let err = (mean - expected).abs() / expected;
        eprintln!("M/M/{c}: lambda {lambda}/s, service {service_ms} ms: measured {mean:.3} ms, Erlang C {expected:.3} ms ({:.2}% off)", err * 100.0);
        assert!(err < 0.03, "M/M/{c}: pooled mean {mean:.3} ms vs Erlang C {expected:.3} ms ({:.1}% off)", err * 100.0);
    }
}

/// With a large prefetch RabbitMQ pushes messages round robin to consumers that still have room,
/// so each consumer queues its own share: slower than M/M/c (one shared line).
#[test]
fn a_large_prefetch_splits_the_line_and_waits_longer_than_erlang_c() {
    let mut s = mmc(2, 900.0, 1.8, 3, 200_000);
    s.queue.prefetch = 250;
    let r = run_report(&s, None);
    let erlang = erlang_c_mean_ms(2, 900.0, 1.8);
    assert!(r.latency_ms.mean > 1.15 * erlang, "prefetch 250: {} ms vs M/M/2 {erlang:.3} ms", r.latency_ms.mean);
}

// ---------------------------------------------------------------------------------------------------
// Semantics
// ---------------------------------------------------------------------------------------------------

#[test]
fn competing_consumers_share_the_load() {
    let mut s = queue_base("share");
    s.consumer_groups[0].members = 3;
    let (sim, r) = run_queue(&s);
    let v = &sim.queue_views()[0];
    let total: u64 = v.consumer_deliveries.iter().sum();
    assert!(total > 9_000, "{v:?}");
    for &d in &v.consumer_deliveries {
        let share = d as f64 / total as f64;
        assert!((share - 1.0 / 3.0).abs() < 0.05, "uneven shares {:?}", v.consumer_deliveries);
    }
    assert_eq!(r.groups["billing"].idle_members, 0);
    // Three consumers on one key's records: some of a key are processed out of order.
    assert!(r.anomalies.order_violations > 0, "{r:?}");
    assert_eq!(r.anomalies.lost_acked, 0);
}

#[test]
fn a_nacked_message_comes_back_flagged_redelivered() {
    let mut s = queue_base("requeue");
    s.consumer_groups[0].failures = Some(FailureSpec { rate: 0.2, ..Default::default() });
    let (sim, r) = run_queue(&s);
    let st = &sim.queue_views()[0].stats;
    // Each failed try is a nack with requeue; the next delivery of that message is flagged.
    assert!(st.failed_tries > 500, "{st:?}");
    // (A nack or two may still be on the wire when the run stops.)
    assert!(st.requeued <= st.failed_tries && st.requeued + 2 >= st.failed_tries, "{st:?}");
    assert!(st.redelivered >= st.requeued - 10 && st.redelivered <= st.requeued, "{st:?}");
    // A classic queue has no delivery limit: nothing is dead-lettered; all is processed in the end.
    assert_eq!(st.dead_lettered + st.discarded, 0);
    assert!(r.consumed.unique + 50 >= r.produced.acked, "{r:?}");
}

#[test]
fn after_the_delivery_limit_a_message_goes_to_the_dead_letter_queue() {
    let mut s = queue_base("delivery-limit");
    s.queue.args.queue_type = Some(QueueType::Quorum);
    s.queue.args.delivery_limit = Some(3);
    s.queue.args.dead_letter_exchange = Some("dlx".into());
    s.consumer_groups[0].failures = Some(FailureSpec { poison_keys: vec!["key-3".into()], ..Default::default() });
    let (sim, r) = run_queue(&s);
    let v = &sim.queue_views()[0];
    let st = &v.stats;
    assert!(st.dead_lettered > 300, "{st:?}");
    // Every poison message: three deliveries (two flagged redelivered), three failed tries.
    assert!(st.failed_tries >= 3 * st.dead_lettered && st.failed_tries <= 3 * st.dead_lettered + 6, "{st:?}");
    assert!(st.redelivered >= 2 * st.dead_lettered && st.redelivered <= 2 * st.dead_lettered + 4, "{st:?}");
    assert_eq!(v.dead_letter_queue, st.dead_lettered);
    assert_eq!(r.groups["billing"].dead_lettered, st.dead_lettered);
    // About 1 in 20 keys is poison.
    let share = st.dead_lettered as f64 / r.produced.sent as f64;
    assert!((share - 0.05).abs() < 0.01, "{share}");
}

#[test]
fn without_a_dead_letter_exchange_messages_over_the_limit_are_dropped() {
    let mut s = queue_base("discard");
    s.queue.args.queue_type = Some(QueueType::Quorum);
    s.queue.args.delivery_limit = Some(2);
    s.consumer_groups[0].failures = Some(FailureSpec { poison_keys: vec!["key-3".into()], policy: FailurePolicy::Retry, ..Default::default() });
    let (sim, _) = run_queue(&s);
    let st = &sim.queue_views()[0].stats;
    assert_eq!(st.dead_lettered, 0);
    assert!(st.discarded > 300, "{st:?}");
    assert_eq!(sim.queue_views()[0].dead_letter_queue, 0);
}

fn late_audit(s: &mut Scenario) {
    let mut audit = s.consumer_groups[0].clone();
    audit.group_id = "audit".into();
    audit.members = 1;
    audit.processing_ms = ProcessingSpec::Constant { mean: 0.2 };
    s.timeline.push(at(10_000, Action::AddConsumerGroup { group: audit }));
}

#[test]
fn a_late_subscriber_sees_no_history_on_a_queue_but_replays_on_a_log() {
    let mut log = base("late-log");
    log.cluster.config.group_initial_rebalance_delay_ms = 0;
    late_audit(&mut log);
    let mut queue = log.clone();
    queue.design = Design::Queue;
    let rl = run_report(&log, None);
    let rq = run_report(&queue, None);
    // Log: the audit group starts at the earliest offset and catches up with everything.
    let (billing, audit) = (rl.groups["billing"].processed, rl.groups["audit"].processed);
    assert!(audit + 100 >= billing && billing > 9_000, "log: billing {billing}, audit {audit}");
    assert!(rl.replay.possible && rl.replay.records >= rl.produced.acked - 10, "{:?}", rl.replay);
    // Queue: the audit queue is declared at 10 s of 20: it gets only the second half.
    let (billing, audit) = (rq.groups["billing"].processed, rq.groups["audit"].processed);
    let share = audit as f64 / billing as f64;
    assert!((share - 0.5).abs() < 0.03, "queue: billing {billing}, audit {audit}");
    assert!(!rq.replay.possible);
    assert_eq!(rq.replay.records, 0);
}

#[test]
fn a_quorum_queue_loses_no_confirmed_message_when_its_leader_crashes() {
    let mut s = queue_base("quorum-failover");
    s.queue.args.queue_type = Some(QueueType::Quorum);
    s.consumer_groups[0].processing_ms = ProcessingSpec::Exponential { mean: 3.0 };
    s.timeline = vec![
        at(5_000, Action::CrashLeader { topic: "orders".into(), partition: 0 }),
        at(12_000, Action::RestartBroker { broker: BrokerRef::Crashed }),
    ];
    let (sim, r) = run_queue(&s);
    let v = &sim.queue_views()[0];
    assert_eq!(v.stats.leader_changes, 1, "{:?}", sim.notes());
    assert_ne!(v.leader, Some(0), "the old leader (node 0) is a follower after it returns");
    assert_eq!(r.anomalies.lost_acked, 0, "{r:?}");
    // Publishes during the election are refused (never confirmed), not lost after a confirm.
    assert!(r.produced.failed > 500, "{r:?}");
    // Deliveries unacknowledged at the crash come back, flagged.
    assert!(v.stats.redelivered > 0);
    assert!(r.anomalies.unseen < 20, "{r:?}");
}

/// A classic queue whose consumers fall behind, on a node that crashes at 5 s and restarts at 8 s.
fn classic_crash(persistent: bool, durable: bool) -> (QueueSim, Report) {
    let mut s = queue_base("classic-crash");
    s.queue.persistent = persistent;
    s.queue.args.durable = Some(durable);
    s.consumer_groups[0].members = 1;
    s.consumer_groups[0].processing_ms = ProcessingSpec::Constant { mean: 2.5 };
    s.timeline = vec![at(5_000, Action::CrashBroker { broker: BrokerRef::Id(0) }), at(8_000, Action::RestartBroker { broker: BrokerRef::Id(0) })];
    run_queue(&s)
}

#[test]
fn a_classic_queue_on_a_crashed_node_loses_transient_messages_and_keeps_persistent_ones() {
    // 500/s in, 400/s out: a backlog builds up to the crash.
    let (sim, r) = classic_crash(false, true);
    let st = &sim.queue_views()[0].stats;
    assert!(st.lost_in_crash > 200, "{st:?}");
    assert!(r.anomalies.lost_acked > 200 && r.anomalies.lost_acked <= st.lost_in_crash, "{r:?}");

    let (sim, r) = classic_crash(true, true);
    let st = &sim.queue_views()[0].stats;
    assert_eq!(st.lost_in_crash, 0);
    assert_eq!(r.anomalies.lost_acked, 0);
    // The unacknowledged ones come back after the restart, flagged redelivered.
    assert!(st.redelivered > 0, "{st:?}");

    // A persistent message in a non-durable queue is lost with the queue.
    let (sim, r) = classic_crash(true, false);
    assert!(sim.queue_views()[0].stats.lost_in_crash > 200);
    assert!(r.anomalies.lost_acked > 200);
}

#[test]
fn messages_expire_at_the_head_after_their_ttl() {
    let mut s = queue_base("ttl");
    s.queue.prefetch = 1;
    s.queue.args.message_ttl_ms = Some(100);
    s.producers[0].rate_per_sec = 200.0;
    s.producers[0].arrival = Arrival::Constant;
    s.consumer_groups[0].members = 1;
    // With prefetch 1 the consumer takes one message per 12 ms (10 ms processing, 1 ms for the
    // ack to reach the broker, 1 ms for the next delivery): 83.3 a second of the 200 that arrive,
    // so 58.3% expire.
    s.consumer_groups[0].processing_ms = ProcessingSpec::Constant { mean: 10.0 };
    let (sim, r) = run_queue(&s);
    let st = &sim.queue_views()[0].stats;
    let share = st.expired as f64 / r.produced.sent as f64;
    assert!((share - (1.0 - 1000.0 / 12.0 / 200.0)).abs() < 0.02, "expired {} of {}", st.expired, r.produced.sent);
    // Nothing processed waited longer than the TTL: 100 ms queued, 1 ms each way, 10 ms processing.
    assert!(r.latency_ms.max <= 113.0, "{:?}", r.latency_ms);
    assert_eq!(r.anomalies.lost_acked, 0);
}

fn overflow(mode: Overflow) -> (QueueSim, Report) {
    let mut s = queue_base("overflow");
    s.queue.prefetch = 5;
    s.queue.args.max_length = Some(50);
    s.queue.args.overflow = Some(mode);
    s.consumer_groups[0].members = 1;
    s.consumer_groups[0].processing_ms = ProcessingSpec::Constant { mean: 4.0 };
    run_queue(&s)
}

#[test]
fn a_full_queue_drops_its_head_or_rejects_the_publish() {
    let (sim, r) = overflow(Overflow::DropHead);
    let st = &sim.queue_views()[0].stats;
    assert!(st.dropped_overflow > 3_000, "{st:?}");
    assert!(st.depth_max <= 55, "ready at most 50, plus the prefetch: {st:?}");
    // Drop-head throws away messages that were already confirmed: the publisher never knows.
    assert_eq!(r.produced.failed, 0);

    let (sim, r) = overflow(Overflow::RejectPublish);
    let st = &sim.queue_views()[0].stats;
    assert!(st.rejected_overflow > 3_000, "{st:?}");
    assert_eq!(st.dropped_overflow, 0);
    // With confirms the publisher hears a nack for each refused message.
    assert_eq!(r.produced.failed, st.rejected_overflow);
    assert_eq!(r.anomalies.lost_acked, 0);
}

#[test]
fn direct_and_topic_exchanges_route_by_key() {
    assert!(topic_matches("#", "key-1") && topic_matches("#", ""));
    assert!(topic_matches("key-1", "key-1") && !topic_matches("key-1", "key-10"));
    assert!(topic_matches("a.*.c", "a.b.c") && !topic_matches("a.*.c", "a.b.b.c") && topic_matches("a.#.c", "a.b.b.c"));
    assert!(topic_matches("a.#", "a") && !topic_matches("*", ""));

    let mut s = queue_base("direct");
    s.queue.exchange_type = ExchangeType::Direct;
    s.queue.queues.insert("billing".into(), QueueArgs { binding_keys: Some(vec!["key-1".into(), "key-2".into()]), ..Default::default() });
    let r = run_report(&s, None);
    let share = r.consumed.unique as f64 / r.produced.sent as f64;
    assert!((share - 0.1).abs() < 0.02, "2 keys of 20: {share}");
    assert_eq!(r.unroutable + r.consumed.unique + r.anomalies.unseen, r.produced.sent, "{r:?}");
}

#[test]
fn queue_runs_are_deterministic_and_chunking_does_not_change_them() {
    let mut s = queue_base("det");
    s.queue.args.queue_type = Some(QueueType::Quorum);
    s.timeline = vec![at(3_000, Action::CrashBroker { broker: BrokerRef::Id(1) }), at(4_000, Action::CrashConsumer { group: "billing".into(), member: 0 })];
    let mut a = QueueSim::new(&s);
    a.run();
    let mut b = QueueSim::new(&s);
    let mut t = 0;
    while t < b.end_us() {
        t += 777_777;
        b.run_until(t);
    }
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.events(), b.events());
    s.seed += 1;
    let mut c = QueueSim::new(&s);
    c.run();
    assert_ne!(a.trace_hash(), c.trace_hash());
}

#[test]
fn a_crashed_consumer_s_messages_go_to_the_others() {
    let mut s = queue_base("consumer-crash");
    s.queue.prefetch = 50;
    // Slowed twenty times, member 0 fills its prefetch (round robin keeps giving it messages while
    // it has room); when it crashes they go back to the queue and to member 1, flagged redelivered.
    s.timeline = vec![
        at(4_000, Action::SlowConsumer { group: "billing".into(), member: 0, factor: 20.0 }),
        at(5_000, Action::CrashConsumer { group: "billing".into(), member: 0 }),
    ];
    let (sim, r) = run_queue(&s);
    let st = &sim.queue_views()[0].stats;
    assert!(st.redelivered >= 40 && st.redelivered <= 50, "{st:?}");
    assert_eq!(r.anomalies.lost_acked, 0);
    assert!(r.anomalies.unseen < 30, "{r:?}");
}

#[test]
fn actions_without_a_rabbitmq_equivalent_are_counted_not_fatal() {
    let mut s = queue_base("ignored");
    s.timeline = vec![
        at(1_000, Action::CrashController { controller: ControllerRef::Active }),
        at(2_000, Action::ResetOffsets { group: "billing".into(), topic: None, partition: None, to: ResetTo::Earliest }),
    ];
    let r = run_report(&s, None);
    assert_eq!(r.ignored_actions, 2);
    assert!(r.consumed.unique > 9_000);
}

/// Pins the queue design's run: a change that alters any queue run changes this hash (update it
/// deliberately, with the reason in the commit). The log design's golden is in determinism.rs.
#[test]
fn queue_design_trace_hash_is_pinned() {
    let text = std::fs::read_to_string("static/comparisons/log-vs-queue.json").unwrap();
    let c = streamlab::scenario::comparison::parse_comparison(&text, streamlab::scenario::builtin::builtin).unwrap();
    let (_, s) = c.runs.iter().find(|(l, _)| l == "rabbitmq-quorum").unwrap();
    let r = run_report(s, None);
    assert_eq!((r.trace_hash.as_str(), r.events), ("24856d479fc03931", 84190));
}

// ---------------------------------------------------------------------------------------------------
// The scenario file
// ---------------------------------------------------------------------------------------------------

fn errors(json: &str) -> Vec<String> {
    parse_scenario(json).err().unwrap_or_default().iter().map(|e| e.to_string()).collect()
}

const GROUP: &str = r#""topics": [{"name": "orders", "partitions": 1}], "consumer_groups": [{"group.id": "billing", "topics": ["orders"]}]"#;

#[test]
fn queue_settings_are_checked_with_paths_and_reasons() {
    let cases: &[(&str, &str)] = &[
        (r#""design": "quue""#, r#"$.design: unknown value "quue"; did you mean "queue"?"#),
        (r#""queue": {"x-overflow": "drop-tail"}"#, r#"$.queue["x-overflow"]: unknown value "drop-tail"; expected one of "drop-head", "reject-publish", "reject-publish-dlx""#),
        (r#""queue": {"prefetch": -1}"#, r#"$.queue.prefetch: out of range: expected 0 to 65535, got -1"#),
        (r#""queue": {"queues": {"biling": {}}}"#, r#"$.queue.queues.biling: unknown consumer group "biling"; did you mean "billing"? (each consumer group has a queue of its name)"#),
        (r#""queue": {"queues": {"billing": {"queue.type": "quorum", "durable": false}}}"#, r#"$.queue.queues.billing.durable: quorum queues are always durable; the queue of group "billing" cannot be "durable": false"#),
        (r#""queue": {"x-delivery-limit": 0, "queue.type": "quorum"}"#, r#"$.queue["x-delivery-limit"]: must be at least 1 (deliveries before dead-lettering), or -1 for unlimited"#),
        (r#""design": "queue", "queue": {"exchange.type": "direct"}"#, r#"$.queue.binding_keys: a direct exchange routes by binding key: give the queue of group "billing" its "binding_keys" (the record keys it takes, e.g. ["key-1"])"#),
        (r#""queue": {"x-message-ttl": 1.5}"#, r#"$.queue["x-message-ttl"]: expected an integer, got 1.5"#),
    ];
    for (extra, want) in cases {
        let got = errors(&format!("{{{GROUP}, {extra}}}"));
        assert_eq!(got, vec![want.to_string()], "for {extra}");
    }
    // The queue section is read (and checked) in the log design too, so one file serves both.
    assert!(parse_scenario(&format!(r#"{{{GROUP}, "queue": {{"prefetch": 5}}}}"#)).is_ok());
}

#[test]
fn a_queue_scenario_writes_back_what_it_read() {
    let text = format!(
        r#"{{{GROUP}, "design": "queue", "queue": {{"exchange.type": "topic", "prefetch": 1, "x-message-ttl": 500,
            "queues": {{"billing": {{"queue.type": "quorum", "x-delivery-limit": 4, "x-dead-letter-exchange": "dlx", "binding_keys": ["key-*"]}}}}}}}}"#
    );
    let s = parse_scenario(&text).unwrap();
    assert_eq!(s.queue.args_for("billing").delivery_limit, Some(4));
    assert_eq!(s.queue.args_for("billing").message_ttl_ms, Some(500));
    let again = parse_scenario(&scenario_to_json(&s)).unwrap();
    assert_eq!(again, s);
    // A log scenario writes neither field: existing exports do not change.
    let log = parse_scenario(&format!("{{{GROUP}}}")).unwrap();
    let json = scenario_to_json(&log);
    assert!(!json.contains("design") && !json.contains("\"queue\""), "{json}");
}
