//! The contrast designs of issue 5: point-to-point REST versus events (`ServiceSim`) and batch ETL
//! versus streaming (`FraudSim`). The ready-made comparisons run through the comparison code path
//! and show what they exist to show; small scenarios pin the semantics (timeouts and retries, pool
//! exhaustion, lag draining, window boundaries, batch detection latency); bad input gets paths.

use streamlab::engine::compare::{compare, NamedReport};
use streamlab::engine::fraud::FraudSim;
use streamlab::engine::report::{run_report, Report};
use streamlab::engine::services::{ServiceStats, ServicesReport};
use streamlab::scenario::builtin::builtin;
use streamlab::scenario::comparison::parse_comparison;
use streamlab::scenario::parse::scenario_to_json;
use streamlab::scenario::{parse_scenario, Scenario};

/// Run every variant of a comparison file as `streamlab compare` does.
fn run_comparison(file: &str) -> Vec<NamedReport> {
    let text = std::fs::read_to_string(file).expect("the comparison file exists");
    let c = parse_comparison(&text, builtin).unwrap_or_else(|e| panic!("{file}: {e:?}"));
    c.runs.into_iter().map(|(name, s)| NamedReport { report: run_report(&s, None), name }).collect()
}

fn by_name<'a>(runs: &'a [NamedReport], name: &str) -> &'a Report {
    &runs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no run {name}")).report
}

fn scenario(json: &str) -> Scenario {
    parse_scenario(json).unwrap_or_else(|e| panic!("{e:?}"))
}

fn services(r: &Report) -> &ServicesReport {
    r.services.as_ref().expect("a services report")
}

fn service<'a>(r: &'a Report, name: &str) -> &'a ServiceStats {
    &services(r).services[name]
}

fn errors(json: &str) -> Vec<String> {
    parse_scenario(json).err().unwrap_or_default().iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------------------
// The ready-made comparisons
// ---------------------------------------------------------------------------------------------------

#[test]
fn rest_vs_events_rest_fails_and_blocks_while_events_lag_and_drain() {
    let runs = run_comparison("static/comparisons/rest-vs-events.json");
    let rest = by_name(&runs, "rest");
    let events = by_name(&runs, "events");
    let (rs, es) = (services(rest), services(events));
    assert_eq!(rs.requests, es.requests, "one workload");
    // Rest: payments is down for 30 s of 100 requests/s; about those requests fail, not the others.
    assert!(rs.failed > 2_500 && rs.failed < 4_000, "{}", rs.failed);
    assert!(rs.timeouts > 0 && rs.retries > 0 && rs.rejected > 0);
    // The callers above payments hold their threads: more than the orders service has.
    assert!(rs.blocked_max > service(rest, "orders").workers as u64, "{}", rs.blocked_max);
    assert_eq!(service(rest, "orders").blocked_max, service(rest, "orders").workers as u64);
    assert!(service(rest, "orders").rejected > 0);
    assert_eq!(rs.lag_max, 0);
    // Events: nothing fails; payments' input grows for 30 s and drains after the restart.
    assert_eq!(es.failed, 0);
    assert_eq!(events.produced.failed, 0);
    assert!(service(events, "payments").lag_max > 2_500, "{}", service(events, "payments").lag_max);
    assert!(service(events, "payments").lag_end < 20);
    assert!(service(events, "orders").lag_max < 100);
    let recovery = es.recovery_ms.expect("recovered");
    assert!(recovery > 1_000 && recovery < 25_000, "{recovery}");
    assert!(rs.recovery_ms.expect("recovered") < recovery);
    assert!(es.completed + es.pending == es.requests && es.pending < 50);
    // The integration: 7 configured links (of 30 possible) against 6 subscriptions.
    assert_eq!((rs.integration.point_to_point_links, rs.integration.point_to_point_worst_case, rs.integration.count), (7, 30, 7));
    assert_eq!((es.integration.topic_subscriptions, es.integration.point_to_point_links, es.integration.count), (6, 0, 6));
    let c = compare(runs.clone());
    let diffs: Vec<&str> = c.differences.iter().map(|d| d.metric.as_str()).collect();
    for m in ["requests_failed", "blocked_max", "lag_max_per_service", "integration", "recovery_ms"] {
        assert!(diffs.contains(&m), "{m} missing from {diffs:?}");
    }
    assert!(c.to_text().contains("7 links (worst case 30)"));
}

#[test]
fn batch_vs_stream_minutes_against_a_second_and_the_tumbling_window_misses_the_straddling_burst() {
    let runs = run_comparison("static/comparisons/batch-vs-stream.json");
    let f = |n: &str| by_name(&runs, n).fraud.clone().expect("a fraud report");
    let batch = f("batch every 15 min");
    let tumbling = f("stream tumbling 60 s");
    let hopping = f("stream hopping 60 s / 10 s");
    for x in [&batch, &tumbling, &hopping] {
        assert_eq!(x.fraud_bursts, 6);
        assert_eq!(x.false_alerts, 0);
    }
    // Batch: exact, but minutes late (the wait for the next 15-minute run plus the 1-minute job).
    assert_eq!(batch.bursts_missed, 0);
    assert!(batch.time_to_alert_ms.p50 > 120_000.0 && batch.time_to_alert_ms.max <= 960_000.0, "{:?}", batch.time_to_alert_ms);
    assert!(batch.scanned_per_run_max > 15_000 && batch.state_store_entries_max == 0);
    // Stream: a second at most (the commit interval), but the tumbling window misses the burst
    // across 600 s; the hopping window catches it.
    for x in [&tumbling, &hopping] {
        assert!(x.time_to_alert_ms.max <= 1_000.0 && x.time_to_alert_ms.p50 > 0.0, "{:?}", x.time_to_alert_ms);
        assert!(x.state_store_entries_max > 0 && x.scanned_per_run_max == 0);
    }
    assert_eq!((tumbling.bursts_missed, tumbling.missed_at_ms.clone()), (1, vec![595_000]));
    assert_eq!(hopping.bursts_missed, 0);
    assert!(hopping.state_store_entries_max > 3 * tumbling.state_store_entries_max);
    let c = compare(runs.clone());
    let diffs: Vec<&str> = c.differences.iter().map(|d| d.metric.as_str()).collect();
    for m in ["bursts_missed", "time_to_alert_p50_ms", "state_store_entries_max", "scanned_per_run_max"] {
        assert!(diffs.contains(&m), "{m} missing from {diffs:?}");
    }
}

#[test]
fn log_and_queue_comparisons_print_no_contrast_lines() {
    let text = std::fs::read_to_string("static/comparisons/mmc.json").unwrap();
    let c = parse_comparison(&text, builtin).unwrap();
    let (name, s) = c.runs[0].clone();
    let out = compare(vec![NamedReport { report: run_report(&s, Some(1_000)), name }]).to_text();
    assert!(!out.contains("integration count") && !out.contains("fraud bursts"), "{out}");
}

// ---------------------------------------------------------------------------------------------------
// Rest and events semantics
// ---------------------------------------------------------------------------------------------------

/// Services `a` → `b` (a calls b), one request a second (constant), no network delay by default.
fn chain(design: &str, extra_services: &str, rest: &str, timeline: &str, duration_ms: u64, rate: f64, latency_ms: f64) -> Scenario {
    scenario(&format!(
        r#"{{ "name": "chain", "seed": 4, "duration_ms": {duration_ms}, "design": "{design}",
             "cluster": {{ "network": {{ "latency_ms": {latency_ms} }} }},
             "topics": [{{ "name": "in", "partitions": 1, "replication.factor": 1 }}],
             "producers": [{{ "name": "client", "topic": "in", "rate_per_sec": {rate}, "arrival": "constant" }}],
             "services": {{ "list": [ {{ "name": "a", "calls": ["b"] }} {extra_services} ], "rest": {rest} }},
             "timeline": [{timeline}] }}"#
    ))
}

#[test]
fn rest_a_crashed_entry_costs_each_request_every_attempt_in_timeouts() {
    // Requests at 1, 2 … 9 s; each tries 3 times (100 ms timeout, 50 ms backoff: done 400 ms later).
    let s = chain(
        "rest",
        r#", { "name": "b" }"#,
        r#"{ "timeout.ms": 100, "retries": 2, "retry.backoff.ms": 50 }"#,
        r#"{ "at_ms": 0, "action": "crash_service", "service": "a" }"#,
        9_500,
        1.0,
        0.0,
    );
    let r = run_report(&s, None);
    let x = services(&r);
    assert_eq!((x.requests, x.failed, x.completed, x.pending), (9, 9, 0, 0));
    assert_eq!(service(&r, "a").timeouts, 27);
    assert_eq!(service(&r, "a").retries, 18);
    assert_eq!(service(&r, "b").processed, 0);
    assert_eq!(service(&r, "a").down_ms, 9_500);
}

#[test]
fn rest_a_full_pool_refuses_calls_at_once_and_fails_their_requests() {
    // b takes 1 s per request; a may hold 2 connections to it; 10 requests a second.
    let s = chain(
        "rest",
        r#", { "name": "b", "processing_ms": { "distribution": "constant", "mean": 1000 }, "concurrency": 64 }"#,
        r#"{ "timeout.ms": 5000, "retries": 0, "max.connections": 2 }"#,
        "",
        5_050,
        10.0,
        1.0,
    );
    let r = run_report(&s, None);
    let x = services(&r);
    let a = service(&r, "a");
    assert!(x.pool_exhausted > 30, "{}", x.pool_exhausted);
    assert_eq!(service(&r, "b").pool_exhausted, x.pool_exhausted);
    // Every refused call failed its request (no retries), and a never waited on more than 2.
    assert_eq!(a.failed, x.pool_exhausted);
    assert_eq!(x.failed, x.pool_exhausted);
    assert_eq!(a.blocked_max, 2);
    assert!(x.completed <= 2 * 5, "{}", x.completed);
    assert_eq!(x.completed + x.failed + x.pending, x.requests);
}

#[test]
fn rest_a_busy_service_rejects_and_its_callers_see_it_fail() {
    // b has one worker taking 500 ms; requests every 100 ms: most find it busy (503).
    let s = chain(
        "rest",
        r#", { "name": "b", "processing_ms": { "distribution": "constant", "mean": 500 }, "concurrency": 1 }"#,
        r#"{ "timeout.ms": 2000, "retries": 0 }"#,
        "",
        3_000,
        10.0,
        1.0,
    );
    let r = run_report(&s, None);
    let b = service(&r, "b");
    assert!(b.rejected > 15, "{}", b.rejected);
    assert_eq!(service(&r, "a").failed, b.rejected);
    assert_eq!(services(&r).failed, b.rejected);
}

#[test]
fn events_a_crashed_consumer_lags_then_drains_and_nothing_fails() {
    // 100 events/s; b (one worker, 1 ms fetch + 1 ms work: 500/s) is down from 1 s to 3 s.
    let s = chain(
        "events",
        r#", { "name": "b", "processing_ms": { "distribution": "constant", "mean": 1 }, "replicas": 1, "concurrency": 1 }"#,
        "{}",
        r#"{ "at_ms": 1000, "action": "crash_service", "service": "b" }, { "at_ms": 3000, "action": "restart_service", "service": "b" }"#,
        6_000,
        100.0,
        1.0,
    );
    let r = run_report(&s, None);
    let x = services(&r);
    let b = service(&r, "b");
    assert_eq!(x.failed, 0);
    assert!(b.lag_max >= 199 && b.lag_max <= 202, "{}", b.lag_max);
    assert!(b.lag_end <= 1);
    assert_eq!(b.down_ms, 2_000);
    // 200 waiting events drain at 500 - 100 = 400 a second: about half a second.
    let recovery = x.recovery_ms.expect("recovered");
    assert!((400..=700).contains(&recovery), "{recovery}");
    assert!(x.completed + 2 >= x.requests);
    assert!(r.latency_ms.max > 2_000.0, "the events waiting through the outage: {}", r.latency_ms.max);
}

#[test]
fn the_same_scenario_gives_the_same_run_and_designs_never_share_a_hash() {
    let runs = run_comparison("static/comparisons/rest-vs-events.json");
    let again = run_comparison("static/comparisons/rest-vs-events.json");
    assert_eq!(runs, again);
    assert_ne!(runs[0].report.trace_hash, runs[1].report.trace_hash);
    let f1 = run_comparison("static/comparisons/batch-vs-stream.json");
    let f2 = run_comparison("static/comparisons/batch-vs-stream.json");
    assert_eq!(f1, f2);
}

// ---------------------------------------------------------------------------------------------------
// Batch and stream semantics
// ---------------------------------------------------------------------------------------------------

/// Threshold 2 (3 payments break the rule), 60 s windows, almost no ordinary traffic.
fn fraud(design: &str, window: &str, bursts: &str, batch: &str, latency_ms: f64) -> Scenario {
    scenario(&format!(
        r#"{{ "name": "fraud", "seed": 2, "duration_ms": 600000, "design": "{design}",
             "cluster": {{ "network": {{ "latency_ms": {latency_ms} }} }},
             "topics": [{{ "name": "payments", "partitions": 1, "replication.factor": 1 }}],
             "producers": [{{ "name": "terminals", "topic": "payments", "rate_per_sec": 0.01 }}],
             "fraud": {{ "cards": 1000000, "threshold": 2, "window.ms": 60000, {window}
                         "batch": {batch}, "stream": {{ "commit.interval.ms": 1000 }},
                         "bursts": [{bursts}] }} }}"#
    ))
}

#[test]
fn window_starts_follow_tumbling_and_hopping_boundaries() {
    let s = 1_000_000;
    assert_eq!(FraudSim::window_starts(59_999_999, 60 * s, 60 * s), vec![0]);
    assert_eq!(FraudSim::window_starts(60 * s, 60 * s, 60 * s), vec![60 * s]);
    assert_eq!(FraudSim::window_starts(65 * s, 60 * s, 10 * s), vec![10 * s, 20 * s, 30 * s, 40 * s, 50 * s, 60 * s]);
    assert_eq!(FraudSim::window_starts(5 * s, 60 * s, 10 * s), vec![0]);
}

#[test]
fn a_burst_across_a_tumbling_boundary_is_missed_and_a_hopping_window_catches_it() {
    // 59, 60, 61 s straddles the boundary at 60 s; 121, 122, 123 s does not.
    let bursts = r#"{ "at_ms": 59000, "spread_ms": 2000 }, { "at_ms": 121000, "spread_ms": 2000 }"#;
    let tumbling = run_report(&fraud("stream", "", bursts, "{}", 1.0), None).fraud.unwrap();
    assert_eq!((tumbling.bursts_detected, tumbling.missed_at_ms.clone()), (1, vec![59_000]));
    let hopping = run_report(&fraud("stream", r#""window": "hopping", "advance.ms": 30000,"#, bursts, "{}", 1.0), None).fraud.unwrap();
    assert_eq!(hopping.bursts_missed, 0);
    // Each payment counts in two hopping windows: the second burst raises an alert in both of
    // the windows that hold it, on the same payment: one alert.
    assert_eq!(hopping.alerts, 2);
    // Its alert leaves at the next commit: made at 61 s, processed at 61.002 s, out at 62 s.
    assert_eq!(hopping.time_to_alert_ms.p50, 1_000.0);
    // The batch checks the rule exactly and catches both.
    let batch = run_report(&fraud("batch", "", bursts, r#"{ "interval.ms": 300000, "job.ms": 10000 }"#, 1.0), None).fraud.unwrap();
    assert_eq!(batch.bursts_missed, 0);
}

#[test]
fn batch_detection_latency_is_the_wait_for_the_next_run_plus_the_job() {
    // Runs at 100, 200 … s taking 7 s; no network delay. A burst at 130 s waits for the run at
    // 200 s: 77 s. One landing exactly at 200 s is read by that run: 7 s.
    let bursts = r#"{ "at_ms": 130000 }, { "at_ms": 200000 }"#;
    let r = run_report(&fraud("batch", "", bursts, r#"{ "interval.ms": 100000, "job.ms": 7000 }"#, 0.0), None).fraud.unwrap();
    assert_eq!(r.bursts_detected, 2);
    assert_eq!((r.time_to_alert_ms.p50, r.time_to_alert_ms.max), (7_000.0, 77_000.0));
    assert_eq!(r.batch_runs, 6);
    // A burst after the last run's cut is never read: missed, and said so.
    let late = run_report(&fraud("batch", "", r#"{ "at_ms": 550000 }"#, r#"{ "interval.ms": 100000, "job.ms": 7000 }"#, 0.0), None).fraud.unwrap();
    assert_eq!(late.missed_at_ms, vec![550_000]);
}

#[test]
fn the_state_store_drops_windows_once_stream_time_passes_them() {
    let bursts = r#"{ "at_ms": 10000 }, { "at_ms": 300000 }"#;
    let r = run_report(&fraud("stream", "", bursts, "{}", 1.0), None).fraud.unwrap();
    assert_eq!(r.bursts_detected, 2);
    // The first burst's window is gone when the second burst arrives; a handful of ordinary
    // payments' windows at most remain.
    assert!(r.state_store_entries_end <= 3, "{}", r.state_store_entries_end);
}

// ---------------------------------------------------------------------------------------------------
// Parsing: paths and reasons, and a round trip
// ---------------------------------------------------------------------------------------------------

const TOPIC_AND_PRODUCER: &str = r#""topics": [{"name": "t", "partitions": 1, "replication.factor": 1}],
    "producers": [{"name": "p", "topic": "t", "rate_per_sec": 10}]"#;

#[test]
fn service_actions_and_sections_are_checked_with_paths() {
    let e = errors(&format!(r#"{{ {TOPIC_AND_PRODUCER}, "timeline": [{{"at_ms": 1, "action": "crash_service", "service": "x"}}] }}"#));
    assert_eq!(e, vec![r#"$.timeline[0].action: crash_service needs a "services" section (the rest and events designs); this scenario has no services"#]);
    let e = errors(&format!(
        r#"{{ "design": "rest", {TOPIC_AND_PRODUCER}, "services": {{"list": [{{"name": "a", "calls": ["b", "c"]}}, {{"name": "b", "calls": ["a"]}}]}},
              "timeline": [{{"at_ms": 1, "action": "restart_service", "service": "bb"}}] }}"#
    ));
    assert!(e.contains(&r#"$.services.list[0].calls[1]: unknown service "c"; did you mean "a"?"#.to_string()), "{e:?}");
    assert!(e.contains(&r#"$.timeline[0].service: unknown service "bb"; did you mean "b"?"#.to_string()), "{e:?}");
    let e = errors(&format!(r#"{{ "design": "rest", {TOPIC_AND_PRODUCER}, "services": {{"list": [{{"name": "a", "calls": ["b"]}}, {{"name": "b", "calls": ["a"]}}]}} }}"#));
    assert_eq!(e, vec![r#"$.services.list[0].calls: the calls form a cycle (a → b → a): a request would never finish"#]);
    let e = errors(&format!(r#"{{ "design": "events", {TOPIC_AND_PRODUCER} }}"#));
    assert!(e[0].starts_with(r#"$.services: the events design needs a "services" section"#), "{e:?}");
    let e = errors(&format!(r#"{{ "design": "rest", {TOPIC_AND_PRODUCER}, "services": {{"list": [{{"name": "a", "replicas": 0}}], "rest": {{"timeout.ms": 0, "retry": 1}}}} }}"#));
    assert!(e.contains(&"$.services.list[0].replicas: out of range: expected 1 to 256, got 0".to_string()), "{e:?}");
    assert!(e.contains(&r#"$.services.rest["timeout.ms"]: out of range: expected 1 to 3153600000000, got 0"#.to_string()), "{e:?}");
    assert!(e.contains(&r#"$.services.rest.retry: unknown field "retry"; expected one of "timeout.ms", "retries", "retry.backoff.ms", "max.connections""#.to_string()), "{e:?}");
}

#[test]
fn fraud_sections_are_checked_with_paths() {
    let e = errors(&format!(r#"{{ "design": "stream", {TOPIC_AND_PRODUCER}, "fraud": {{"threshold": 5, "window.ms": 60000, "window": "hopping"}} }}"#));
    assert_eq!(e, vec![r#"$.fraud["advance.ms"]: a hopping window needs "advance.ms" (how far apart window starts are)"#]);
    let e = errors(&format!(
        r#"{{ "design": "batch", "duration_ms": 100000, {TOPIC_AND_PRODUCER}, "fraud": {{"threshold": 5, "window.ms": 60000, "advance.ms": 10,
             "batch": {{"interval.ms": 1000, "job.ms": 1000}}, "bursts": [{{"at_ms": 200000}}, {{"at_ms": 1, "payments": 5, "spread_ms": 60000}}]}} }}"#
    ));
    assert!(e.iter().any(|x| x.starts_with(r#"$.fraud["advance.ms"]: "advance.ms" is for hopping windows"#)), "{e:?}");
    assert!(e.iter().any(|x| x.starts_with(r#"$.fraud.batch["job.ms"]: a batch job must end before the next one starts"#)), "{e:?}");
    assert!(e.iter().any(|x| x.starts_with("$.fraud.bursts[0].at_ms: the run lasts 100000 ms")), "{e:?}");
    assert!(e.iter().any(|x| x.starts_with("$.fraud.bursts[1].payments: a burst of 5 payments does not break the rule")), "{e:?}");
    assert!(e.iter().any(|x| x.starts_with("$.fraud.bursts[1].spread_ms: a burst spread over 60000 ms does not fit")), "{e:?}");
    let e = errors(&format!(r#"{{ "design": "stream", {TOPIC_AND_PRODUCER} }}"#));
    assert!(e[0].starts_with(r#"$.fraud: the stream design needs a "fraud" section"#), "{e:?}");
    let e = errors(r#"{ "design": "batch", "fraud": {"threshold": 5, "window.ms": 60000} }"#);
    assert!(e[0].starts_with("$.producers: the batch design needs at least one producer"), "{e:?}");
}

#[test]
fn contrast_scenarios_write_back_what_they_read() {
    for file in ["static/comparisons/rest-vs-events.json", "static/comparisons/batch-vs-stream.json"] {
        let text = std::fs::read_to_string(file).unwrap();
        for (_, s) in parse_comparison(&text, builtin).unwrap().runs {
            let back = parse_scenario(&scenario_to_json(&s)).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(back, s);
        }
    }
}

/// Golden trace hashes of the ready-made comparisons' runs: a change to either simulator's event
/// order, RNG use or arithmetic shows up here (the same values must come out on wasm32).
#[test]
fn contrast_runs_keep_their_trace_hashes() {
    let mut got: Vec<(String, String)> = Vec::new();
    for file in ["static/comparisons/rest-vs-events.json", "static/comparisons/batch-vs-stream.json"] {
        got.extend(run_comparison(file).into_iter().map(|r| (r.name, r.report.trace_hash)));
    }
    let want = [
        ("rest", "45dc74071a4b4c2d"),
        ("events", "43e6aa6552127c87"),
        ("batch every 15 min", "bc2c71af6ba2536b"),
        ("stream tumbling 60 s", "0c72ec6edd1de583"),
        ("stream hopping 60 s / 10 s", "9a53a3eb72928688"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(got, want);
}
