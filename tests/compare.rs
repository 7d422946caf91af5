//! `streamlab compare` and comparison files: the ready-made comparisons show what they exist to
//! show, `set` paths are read as documented, and bad input is an error with a path, never a panic.

use std::process::{Command, Output};

use serde_json::Value;
use streamlab::scenario::builtin::builtin;
use streamlab::scenario::comparison::{parse_comparison, parse_path, set_path, Step};
use streamlab::scenario::parse_scenario;

fn streamlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_streamlab")).args(args).output().expect("the streamlab binary runs")
}

fn compare_json(file: &str) -> Value {
    let o = streamlab(&["compare", file, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

fn run<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["runs"].as_array().unwrap().iter().find(|r| r["name"] == name).map(|r| &r["report"]).unwrap_or_else(|| panic!("no run {name}"))
}

fn temp_file(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("streamlab-compare-{}-{name}.json", std::process::id()));
    std::fs::write(&path, text).expect("temp dir is writable");
    path.to_string_lossy().into_owned()
}

#[test]
fn log_vs_queue_one_partition_idles_two_consumers_and_only_the_log_keeps_history() {
    let v = compare_json("static/comparisons/log-vs-queue.json");
    let idle = |n: &str| run(&v, n)["groups"]["billing"]["idle_members"].as_u64().unwrap();
    assert_eq!(idle("kafka-1-partition"), 2);
    assert_eq!(idle("kafka-3-partitions"), 0);
    assert_eq!(idle("rabbitmq-classic"), 0);
    assert_eq!(idle("rabbitmq-quorum"), 0);
    // The one busy Kafka consumer runs at 80%: its records wait far longer than on three.
    let p50 = |n: &str| run(&v, n)["latency_ms"]["p50"].as_f64().unwrap();
    assert!(p50("kafka-1-partition") > 1.5 * p50("kafka-3-partitions"));
    assert!(p50("kafka-1-partition") > 3.0 * p50("rabbitmq-classic"));
    for n in ["kafka-1-partition", "kafka-3-partitions"] {
        assert_eq!(run(&v, n)["replay"]["possible"], true);
        assert!(run(&v, n)["replay"]["window_ms"].as_u64().unwrap() >= 59_000);
        assert_eq!(run(&v, n)["anomalies"]["order_violations"], 0);
    }
    for n in ["rabbitmq-classic", "rabbitmq-quorum"] {
        assert_eq!(run(&v, n)["replay"]["possible"], false);
        assert!(run(&v, n)["storage"]["records"].as_u64().unwrap() < 20);
        assert!(run(&v, n)["anomalies"]["order_violations"].as_u64().unwrap() > 0);
    }
    let diffs: Vec<&str> = v["differences"].as_array().unwrap().iter().map(|d| d["metric"].as_str().unwrap()).collect();
    for m in ["design", "replay", "idle_members", "order_violations"] {
        assert!(diffs.contains(&m), "{m} missing from {diffs:?}");
    }
}

#[test]
fn late_subscriber_replays_on_the_log_only() {
    let v = compare_json("static/comparisons/late-subscriber.json");
    let processed = |n: &str, g: &str| run(&v, n)["groups"][g]["processed"].as_u64().unwrap();
    assert!(processed("kafka", "audit") + 50 >= processed("kafka", "billing"));
    let share = processed("rabbitmq", "audit") as f64 / processed("rabbitmq", "billing") as f64;
    assert!((share - 0.5).abs() < 0.05, "{share}");
}

#[test]
fn mmc_comparison_shows_competing_consumers_cut_the_wait() {
    let v = compare_json("static/comparisons/mmc.json");
    let mean = |n: &str| run(&v, n)["latency_ms"]["mean"].as_f64().unwrap();
    // Erlang C: 9.47, 2.15 and 1.81 ms; 600 s runs are within 5%.
    for (n, want) in [("queue c=1", 9.47), ("queue c=2", 2.153), ("queue c=4", 1.806), ("log c=1", 9.47)] {
        assert!((mean(n) - want).abs() / want < 0.05, "{n}: {} vs {want}", mean(n));
    }
    assert_eq!(run(&v, "log 1 partition, 4 members")["groups"]["server"]["idle_members"], 3);
}

#[test]
fn compare_prints_a_scorecard_with_one_column_per_run() {
    let o = streamlab(&["compare", "mm1", "static/comparisons/log-vs-queue.json"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    let header = text.lines().next().unwrap();
    for n in ["mm1", "kafka-1-partition", "rabbitmq-quorum"] {
        assert!(header.contains(n), "{header}");
    }
    for row in ["design", "latency p99 (ms)", "acknowledged lost", "new consumer can replay", "idle consumers", "rebalance pauses"] {
        assert!(text.lines().any(|l| l.starts_with(row)), "no row {row} in\n{text}");
    }
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("SEED=1 (mm1)"));
}

#[test]
fn compare_rejects_bad_input_with_paths_and_exit_code_1() {
    let bad = temp_file(
        "bad",
        r#"{"base": "mm1", "variants": [
             {"label": "a", "set": {"producers[3].rate_per_sec": 1}},
             {"label": "b", "set": {"design": "quue"}},
             {"label": "a", "set": {}},
             {"label": "c", "set": {"queue[\"queue.type\"]": "classic", "queue.x-delivery-limit": 3}}]}"#,
    );
    let o = streamlab(&["compare", &bad]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(r#"$.variants[0].set["producers[3].rate_per_sec"]: index [3] is out of range: $.producers has 1 element"#), "{err}");
    assert!(err.contains(r#"$.variants[1] ("b"): $.design: unknown value "quue"; did you mean "queue"?"#), "{err}");
    assert!(err.contains(r#"$.variants[2].label: duplicate label "a""#), "{err}");
    assert!(err.contains(r#"x-delivery-limit is a quorum queue argument"#), "{err}");
    for text in ["[]", r#"{"variants": []}"#, r#"{"base": 3, "variants": [{}]}"#, "{", r#"{"base": "nope", "variants": [{"label": "x"}]}"#] {
        let f = temp_file("worse", text);
        let o = streamlab(&["compare", &f]);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(!o.stderr.is_empty());
    }
    let o = streamlab(&["compare", "/nonexistent/x.json"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn set_paths_know_the_format_s_dotted_names() {
    use Step::*;
    let k = |s: &str| Key(s.to_string());
    assert_eq!(parse_path("producers[0].config.linger.ms").unwrap(), vec![k("producers"), Index(0), k("config"), k("linger.ms")]);
    assert_eq!(parse_path("$.queue.queues.billing[\"x-message-ttl\"]").unwrap(), vec![k("queue"), k("queues"), k("billing"), k("x-message-ttl")]);
    assert_eq!(parse_path("consumer_groups[0].group.id").unwrap(), vec![k("consumer_groups"), Index(0), k("group.id")]);
    assert_eq!(parse_path("queue.queue.type").unwrap(), vec![k("queue"), k("queue.type")]);
    for bad in ["", "a..b", "a.", "a[x]", "a[1", "[\"x]", "a]b"] {
        assert!(parse_path(bad).is_err(), "{bad:?}");
    }
    let mut doc: Value = serde_json::from_str(r#"{"a": [1, {"b": 2}], "n": 3}"#).unwrap();
    set_path(&mut doc, "a[1].c.d", Value::from(4)).unwrap();
    assert_eq!(doc["a"][1]["c"]["d"], 4);
    assert!(set_path(&mut doc, "n.x", Value::from(1)).unwrap_err().contains("not an object"));
    assert!(set_path(&mut doc, "a[1][0]", Value::from(1)).unwrap_err().contains("not an array"));
}

#[test]
fn a_comparison_variant_is_the_base_with_its_overrides() {
    let text = r#"{"name": "c", "base": "mm1", "variants": [
        {"label": "as is"},
        {"label": "queue", "set": {"design": "queue", "consumer_groups[0].config.prefetch": 7, "queue.queues.server.x-max-length": 10}}]}"#;
    let c = parse_comparison(text, builtin).unwrap();
    let mm1 = parse_scenario(builtin("mm1").unwrap()).unwrap();
    assert_eq!(c.runs[0].1, mm1);
    let q = &c.runs[1].1;
    assert_eq!(q.design, streamlab::scenario::Design::Queue);
    assert_eq!(q.consumer_groups[0].config.prefetch, Some(7));
    assert_eq!(q.queue.args_for("server").max_length, Some(10));
}

#[test]
fn the_scorecard_shows_ack_latency_duplicates_rebalances_and_processing_order() {
    let o = streamlab(&["compare", "reordering", "idempotent", "mm1"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    let row = |label: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no row {label} in\n{text}"));
        line[label.len()..].split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
    };
    // reordering (no idempotence) writes duplicates; idempotent does not; mm1 (acks=1) has none.
    let dups = row("duplicates in the log");
    assert!(dups[0] != "0" && dups[1] == "0" && dups[2] == "0", "{dups:?}");
    assert_eq!(row("rebalances"), ["0", "0", "0"]);
    assert_eq!(row("ack latency p50 / p99 (ms)").len(), 3);
    assert_eq!(row("processed out of order (per key)")[1], "0");
    let v: Value = serde_json::from_slice(&streamlab(&["compare", "reordering", "idempotent", "--json"]).stdout).unwrap();
    assert!(v["runs"][0]["report"]["ack_latency_ms"]["p50"].as_f64().unwrap() > 0.0);
    let diffs: Vec<&str> = v["differences"].as_array().unwrap().iter().map(|d| d["metric"].as_str().unwrap()).collect();
    assert!(diffs.contains(&"duplicates"), "{diffs:?}");
}

#[test]
fn acks1_loses_acknowledged_records_in_the_crash_and_acks_all_loses_none_for_slower_acks() {
    let v = compare_json("static/comparisons/acks1-vs-acks-all.json");
    let (one, all) = (run(&v, "acks=1"), run(&v, "acks=all, min.insync.replicas=2"));
    assert!(one["anomalies"]["lost_acked"].as_u64().unwrap() > 0, "{}", one["anomalies"]);
    assert_eq!(all["anomalies"]["lost_acked"], 0);
    assert_eq!(all["anomalies"]["order_violations"], 0);
    // acks=all waits for the followers' fetch: one more round trip of 2 × 5 ms at least.
    let p50 = |r: &Value| r["ack_latency_ms"]["p50"].as_f64().unwrap();
    assert!(p50(all) > p50(one) + 10.0, "{} vs {}", p50(all), p50(one));
    let diffs: Vec<&str> = v["differences"].as_array().unwrap().iter().map(|d| d["metric"].as_str().unwrap()).collect();
    assert!(diffs.contains(&"lost_acked") && diffs.contains(&"ack_latency_ms"), "{diffs:?}");
}

#[test]
fn a_rolling_restart_stops_every_partition_eagerly_only_moved_ones_cooperatively_and_none_of_the_others_statically() {
    let v = compare_json("static/comparisons/eager-vs-cooperative-vs-static.json");
    let g = |n: &str, k: &str| run(&v, n)["groups"]["billing"][k].as_u64().unwrap();
    let (eager, coop, stat) = ("eager (range)", "cooperative-sticky", "static (group.instance.id)");
    // Four restarts: eager, a LeaveGroup and a join each, every one stopping all 12 partitions.
    assert_eq!(g(eager, "rebalances"), 8);
    assert_eq!(g(eager, "partition_pauses"), 8 * 12);
    // Cooperative: one round for the leave, two for the join; only the 3 partitions that move stop.
    assert_eq!(g(coop, "rebalances"), 12);
    assert_eq!(g(coop, "partition_pauses"), 4 * (3 + 3));
    assert!(g(coop, "rebalance_pause_ms") < g(eager, "rebalance_pause_ms"));
    // Static: no rebalance at all; only the restarting member's 3 partitions wait out its 3 s.
    assert_eq!(g(stat, "rebalances"), 0);
    assert_eq!(g(stat, "partition_pauses"), 4 * 3);
    assert_eq!(g(stat, "rebalance_pause_ms"), 4 * 3 * 3000);
    assert!(g(stat, "rebalance_pause_ms") < g(coop, "rebalance_pause_ms"));
    for n in [eager, coop, stat] {
        assert_eq!(g(n, "processed_twice"), 0, "{n}");
    }
}

#[test]
fn a_hot_key_overloads_one_partition_when_keyed_and_loses_its_order_when_round_robin() {
    let v = compare_json("static/comparisons/keyed-vs-round-robin.json");
    let (keyed, rr) = (run(&v, "keyed (murmur2)"), run(&v, "round-robin"));
    let a = |r: &Value, k: &str| r["anomalies"][k].as_u64().unwrap();
    // Keyed: per-key order holds, but one consumer gets two thirds of the records and falls behind.
    assert_eq!(a(keyed, "processing_order_violations"), 0);
    assert!(keyed["backlog_max"].as_u64().unwrap() > 500, "{}", keyed["backlog_max"]);
    assert!(keyed["groups"]["sessions"]["lag_end"].as_u64().unwrap() > 500);
    // Round-robin: balanced, but records of one key are processed out of order.
    assert!(rr["backlog_max"].as_u64().unwrap() * 4 < keyed["backlog_max"].as_u64().unwrap());
    assert!(a(rr, "processing_order_violations") > 1000, "{}", rr["anomalies"]);
    assert_eq!(rr["groups"]["sessions"]["processing_order_violations"], rr["anomalies"]["processing_order_violations"]);
    // Within each partition the log keeps send order either way: a key over three partitions is
    // not a log order violation.
    assert_eq!(a(keyed, "order_violations"), 0);
    assert_eq!(a(rr, "order_violations"), 0);
}

#[test]
fn without_idempotence_retries_duplicate_and_reorder_and_with_it_they_do_not() {
    let v = compare_json("static/comparisons/idempotence-on-vs-off.json");
    let (off, on) = (run(&v, "idempotence off"), run(&v, "idempotence on"));
    let a = |r: &Value, k: &str| r["anomalies"][k].as_u64().unwrap();
    for k in ["duplicates", "order_violations", "processing_order_violations"] {
        assert!(a(off, k) > 0, "{k}: {}", off["anomalies"]);
        assert_eq!(a(on, k), 0, "{k}: {}", on["anomalies"]);
    }
    assert!(off["groups"]["sessionizer"]["processed_twice"].as_u64().unwrap() > 0);
    assert_eq!(on["groups"]["sessionizer"]["processed_twice"], 0);
    assert_eq!(a(off, "lost_acked") + a(on, "lost_acked"), 0);
}

#[test]
fn every_ready_made_comparison_reads_and_says_what_it_shows() {
    let mut files: Vec<_> = std::fs::read_dir("static/comparisons").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let c = parse_comparison(&text, builtin).unwrap_or_else(|e| panic!("{}: {e:?}", f.display()));
        assert!(c.description.len() > 200, "{}: a description that teaches the lesson", f.display());
        assert!(c.runs.len() >= 2, "{}", f.display());
    }
}
