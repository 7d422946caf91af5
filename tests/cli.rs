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
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), streamlab::scenario::builtin::BUILTIN.len());
    for ((stem, _), line) in streamlab::scenario::builtin::BUILTIN.iter().zip(&lines) {
        let (name, description) = line.split_once(' ').unwrap_or((line, ""));
        assert_eq!(name, *stem);
        assert!(!description.trim().is_empty(), "{line}");
    }
}
