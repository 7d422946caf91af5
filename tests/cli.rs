//! The `streamlab` binary as a script sees it: exit codes, stdout, stderr. `run` and `bench` wait for
//! the engine; `validate`, `partition` and `list` are tested here.

use std::process::{Command, Output};

fn streamlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_streamlab"))
        .args(args)
        .output()
        .expect("the streamlab binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scenario file in the temp directory, unique per test so tests can run in parallel.
fn temp_file(name: &str, text: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("streamlab-cli-{}-{name}.json", std::process::id()));
    std::fs::write(&path, text).expect("temp dir is writable");
    path.to_string_lossy().into_owned()
}

#[test]
fn validate_accepts_a_valid_file_silently() {
    let path = temp_file("valid", r#"{"topics": [{"name": "t", "partitions": 1}]}"#);
    let o = streamlab(&["validate", &path]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

#[test]
fn validate_accepts_builtin_names() {
    let o = streamlab(&["validate", "quickstart"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn validate_prints_every_error_one_per_line() {
    let path = temp_file(
        "invalid",
        r#"{"cluster": {"brokers": 2}, "topics": [{"name": "t", "partitions": 1, "replication.factor": 3}], "seeds": 1}"#,
    );
    let o = streamlab(&["validate", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "$.seeds: unknown field \"seeds\"; did you mean \"seed\"?\n\
         $.topics[0][\"replication.factor\"]: Replication factor: 3 larger than available brokers: 2.\n"
    );
}

#[test]
fn validate_reports_invalid_json_with_line_and_column() {
    let path = temp_file("syntax", "{\n  \"seed\": 1,\n}");
    let o = streamlab(&["validate", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "$: invalid JSON at line 3, column 1: trailing comma\n"
    );
}

#[test]
fn an_unreadable_file_is_named_in_the_error() {
    let o = streamlab(&["validate", "/nonexistent/scenario.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("cannot read /nonexistent/scenario.json: "),
        "{}",
        stderr(&o)
    );
    let o = streamlab(&["run", "/nonexistent/scenario.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("cannot read /nonexistent/scenario.json: "),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn run_rejects_an_invalid_scenario_before_running() {
    let path = temp_file("run-invalid", r#"{"duration_ms": 0}"#);
    let o = streamlab(&["run", &path, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "$.duration_ms: out of range: expected 1 to 86400000, got 0\n"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn partition_matches_kafkas_murmur2() {
    // toPositive(murmur2) of the UtilsTest vectors: "21" 1173551340, "foobar" 1357151166,
    // "a-little-bit-long-string" 1161502112, "a-little-bit-longer-string" 661178819,
    // "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8" 2088585677, "abc" 479470107.
    let o = streamlab(&[
        "partition",
        "--partitions",
        "7",
        "21",
        "foobar",
        "a-little-bit-long-string",
        "a-little-bit-longer-string",
        "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
        "abc",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "21 3\nfoobar 0\na-little-bit-long-string 1\na-little-bit-longer-string 0\n\
         lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8 3\nabc 4\n"
    );
    let o = streamlab(&["partition", "--partitions", "3", "21"]);
    assert_eq!(stdout(&o), "21 0\n");
    let o = streamlab(&["partition", "--partitions", "1", "anything"]);
    assert_eq!(stdout(&o), "anything 0\n");
}

#[test]
fn partition_rejects_zero_partitions() {
    let o = streamlab(&["partition", "--partitions", "0", "21"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("--partitions must be at least 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_command_line_is_a_usage_error() {
    let o = streamlab(&["partition", "--partitions", "x", "21"]);
    assert_eq!(o.status.code(), Some(2));
    let o = streamlab(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn list_names_every_builtin_with_a_one_line_description() {
    let o = streamlab(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let (scenarios, comparisons) = out.split_once("\nready-made comparisons (streamlab compare NAME):\n").expect("a second list of comparisons");
    let lines: Vec<&str> = scenarios.lines().collect();
    assert_eq!(lines.len(), streamlab::scenario::builtin::BUILTIN.len());
    for ((stem, _), line) in streamlab::scenario::builtin::BUILTIN.iter().zip(&lines) {
        let (name, description) = line.split_once(' ').unwrap_or((line, ""));
        assert_eq!(name, *stem);
        assert!(!description.trim().is_empty(), "{line}");
    }
    let lines: Vec<&str> = comparisons.lines().collect();
    assert_eq!(lines.len(), streamlab::scenario::builtin::COMPARISONS.len());
    for ((stem, _), line) in streamlab::scenario::builtin::COMPARISONS.iter().zip(&lines) {
        let (name, description) = line.split_once(' ').unwrap_or((line, ""));
        assert_eq!(name, *stem);
        assert!(!description.trim().is_empty() && !description.contains("(invalid"), "{line}");
    }
}

/// Every file in static/comparisons/ is offered by name (the app's comparison view lists them).
#[test]
fn every_comparison_file_is_built_in() {
    let mut files: Vec<String> = std::fs::read_dir("static/comparisons")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".json").map(String::from))
        .collect();
    files.sort();
    let mut names: Vec<String> = streamlab::scenario::builtin::COMPARISONS.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
    let o = streamlab(&["compare", "mmc", "--until-ms", "2000", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn assign_prints_kafkas_range_assignment_as_one_json_object() {
    let path = temp_file(
        "assign-range",
        r#"{ "topics": { "t0": 3, "t1": 3 },
             "members": [ { "member_id": "C0", "group_instance_id": null, "subscription": ["t0", "t1"], "owned": ["t0-0"], "generation": 1 },
                          { "member_id": "C1", "subscription": ["t0", "t1"] } ] }"#,
    );
    let o = streamlab(&["assign", "--strategy", "range", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"C0\":[\"t0-0\",\"t0-1\",\"t1-0\",\"t1-1\"],\"C1\":[\"t0-2\",\"t1-2\"]}\n");
    // Kafka's class name works too.
    let o = streamlab(&["assign", "--strategy", "org.apache.kafka.clients.consumer.RoundRobinAssignor", &path]);
    assert_eq!(stdout(&o), "{\"C0\":[\"t0-0\",\"t0-2\",\"t1-1\"],\"C1\":[\"t0-1\",\"t1-0\",\"t1-2\"]}\n");
}

#[test]
fn assign_cooperative_sticky_withholds_partitions_that_change_owner() {
    let path = temp_file(
        "assign-coop",
        r#"{ "topics": { "orders": 4 },
             "members": [ { "member_id": "a", "subscription": ["orders"], "owned": ["orders-0", "orders-1", "orders-2", "orders-3"], "generation": 3 },
                          { "member_id": "b", "subscription": ["orders"] } ] }"#,
    );
    let o = streamlab(&["assign", "--strategy", "cooperative-sticky", &path]);
    assert_eq!(stdout(&o), "{\"a\":[\"orders-0\",\"orders-1\"],\"b\":[]}\n");
    // The eager sticky assignor hands them over in the same round.
    let o = streamlab(&["assign", "--strategy", "sticky", &path]);
    assert_eq!(stdout(&o), "{\"a\":[\"orders-0\",\"orders-1\"],\"b\":[\"orders-2\",\"orders-3\"]}\n");
}

#[test]
fn assign_rejects_bad_input_with_the_path_and_the_reason() {
    let o = streamlab(&["assign", "--strategy", "fastest", "x.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown --strategy \"fastest\"; expected range, roundrobin, sticky or cooperative-sticky"), "{}", stderr(&o));

    let o = streamlab(&["assign", "--strategy", "range", "/nonexistent/streamlab.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("cannot read /nonexistent/streamlab.json"), "{}", stderr(&o));

    let path = temp_file("assign-syntax", "{\"topics\": {");
    let o = streamlab(&["assign", "--strategy", "range", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("$: invalid JSON at line 1, column"), "{}", stderr(&o));

    let path = temp_file(
        "assign-bad",
        r#"{ "topics": { "t": 2, "u": 0 },
             "members": [ { "member_id": "C0", "subscription": ["t", "v"], "owned": ["t-2", "t", "w-0"], "generation": "one" },
                          { "member_id": "C0", "subscription": ["t"] },
                          { "subscription": ["t"], "colour": "red" } ],
             "extra": 1 }"#,
    );
    let o = streamlab(&["assign", "--strategy", "sticky", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    for expected in [
        "$.extra: unknown field; expected \"topics\" or \"members\"",
        "$.topics[\"u\"]: expected a partition count from 1 to 1000000, got 0",
        "$.members[0].subscription[1]: topic \"v\" is not in \"topics\"",
        "$.members[0].owned[0]: topic \"t\" has 2 partitions, so there is no partition 2",
        "$.members[0].owned[1]: expected \"topic-partition\" such as \"orders-3\", got \"t\"",
        "$.members[0].owned[2]: topic \"w\" is not in \"topics\"",
        "$.members[0].generation: expected an integer from -1 to 2147483647 or null, got \"one\"",
        "$.members[2].colour: unknown field; expected member_id, group_instance_id, subscription, owned or generation",
        "$.members[2].member_id: missing required field",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in:\n{err}");
    }
    // The duplicate is only reported for a member that is otherwise valid.
    let path = temp_file("assign-dup", r#"{ "topics": { "t": 2 }, "members": [ { "member_id": "C0", "subscription": ["t"] }, { "member_id": "C0", "subscription": ["t"] } ] }"#);
    let o = streamlab(&["assign", "--strategy", "range", &path]);
    assert_eq!(stderr(&o), "$.members[1].member_id: duplicate member id \"C0\"\n");
}

#[test]
fn run_replays_a_session_file_to_the_hash_the_page_showed() {
    use streamlab::engine::Sim;
    use streamlab::scenario::{builtin::builtin, parse_scenario, Action};
    let scenario = parse_scenario(builtin("quickstart").expect("quickstart")).expect("parses");
    let mut sim = Sim::new(&scenario);
    sim.run_until(2_500_000);
    sim.apply(Action::CrashLeader { topic: "orders".into(), partition: 0 });
    sim.run_events(500);
    sim.apply(Action::AddConsumer { group: "billing".into() });
    sim.run_until(6_000_000);
    let path = temp_file("session", &sim.session().to_json_pretty());
    let o = streamlab(&["run", &path, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(report["trace_hash"], format!("{:016x}", sim.trace_hash()));
    assert_eq!(report["sim_time_ms"], 6_000);
    assert!(stderr(&o).contains(&format!("session: 2 actions replayed; stopped at 6000000 µs after {} events", sim.events())), "{}", stderr(&o));
    // The share link of the same session runs to the same hash.
    let link = format!("http://127.0.0.1:8080/#{}", streamlab::scenario::share::encode_fragment(&sim.session()));
    let o = streamlab(&["run", &link, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let from_link: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(from_link["trace_hash"], report["trace_hash"]);
    let o = streamlab(&["run", "http://127.0.0.1:8080/#s1=AAAA"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("link: the link is damaged"), "{}", stderr(&o));
    // Another seed would not be the recorded run.
    let o = streamlab(&["run", &path, "--seed", "9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--seed 9 cannot be used with this session: its 2 actions were recorded on a run with seed 1"), "{}", stderr(&o));
    // Going on past the stop replays the actions and runs to the given time.
    let o = streamlab(&["run", &path, "--json", "--until-ms", "30000"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    let mut rest = sim;
    rest.run_until(30_000_000);
    assert_eq!(report["trace_hash"], format!("{:016x}", rest.trace_hash()));
}

#[test]
fn assign_reads_stdin_and_topics_with_hyphens() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamlab"))
        .args(["assign", "--strategy", "roundrobin", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{ "topics": { "payments-eu-1": 3 },
                        "members": [ { "member_id": "b", "subscription": ["payments-eu-1"], "owned": ["payments-eu-1-2"] },
                                     { "member_id": "a", "subscription": ["payments-eu-1"] } ] }"#)
        .expect("writes");
    let o = child.wait_with_output().expect("exits");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Kafka orders members by id: a gets partitions 0 and 2, b gets 1; "payments-eu-1-2" is topic
    // "payments-eu-1", partition 2 (split at the last '-').
    assert_eq!(stdout(&o), "{\"a\":[\"payments-eu-1-0\",\"payments-eu-1-2\"],\"b\":[\"payments-eu-1-1\"]}\n");
}
