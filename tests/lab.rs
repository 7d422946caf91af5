//! The comparison lab (the comparison view's state and its worker protocol) driven as the page
//! drives it: JSON requests in, JSON replies out. Runs side by side on one clock are the very runs
//! `streamlab compare` makes; playing advances them by wall time times the speed; a fault goes to all
//! runs or to one; a what-if branch shares its past exactly; bad requests get reasons.

use serde_json::{json, Value};
use streamlab::engine::report::run_report;
use streamlab::engine::Sim;
use streamlab::lab::Lab;
use streamlab::scenario::builtin::{builtin, builtin_comparison, COMPARISONS};
use streamlab::scenario::comparison::parse_comparison;
use streamlab::scenario::{parse_scenario, Action, BrokerRef};

fn ask(lab: &mut Lab, request: Value) -> Value {
    serde_json::from_str(&lab.handle_json(&request.to_string())).expect("the reply is JSON")
}

fn hashes(reply: &Value) -> Vec<String> {
    serde_json::from_value(reply["hashes"].clone()).unwrap()
}

fn choice(lab: &Lab, label: &str) -> usize {
    lab.menu().iter().position(|m| m == label).unwrap_or_else(|| panic!("{label} in {:?}", lab.menu()))
}

#[test]
fn the_controls_offer_every_ready_made_comparison() {
    let mut lab = Lab::default();
    let shown = ask(&mut lab, json!({"op": "show"}));
    assert_eq!(shown["kind"], "view");
    let controls = shown["controls"].as_str().unwrap();
    for (name, _) in COMPARISONS {
        assert!(controls.contains(&format!("<option value=\"{name}\" title=\"")), "{name}");
    }
    assert!(controls.contains("id=\"compare-play\"") && controls.contains(" disabled>Play<"), "nothing to play yet");
    // Every button's request (which the page sends as it is) is a request the lab reads.
    let reqs: Vec<String> = controls.split("data-req=\"").skip(1).map(|r| r.split('"').next().unwrap().replace("&quot;", "\"")).collect();
    assert_eq!(reqs.len(), 3, "{controls}");
    for r in reqs {
        serde_json::from_str::<streamlab::lab::Request>(&r).unwrap_or_else(|e| panic!("{r}: {e}"));
    }
    // Unchanged controls are not sent again; a new `show` sends them.
    assert_eq!(ask(&mut lab, json!({"op": "tick", "elapsed_ms": 16.0}))["controls"], Value::Null);
    assert!(ask(&mut lab, json!({"op": "show"}))["controls"].is_string());
}

/// Lanes advanced together in steps end exactly where separate whole runs end (the CLI's runs).
#[test]
fn lanes_on_one_clock_are_the_runs_compare_makes() {
    let mut lab = Lab::default();
    let opened = ask(&mut lab, json!({"op": "set", "field": "pick", "value": "log-vs-queue"}));
    assert_eq!(opened["kind"], "view", "{opened}");
    let controls = opened["controls"].as_str().unwrap();
    assert!(controls.contains("<option value=\"log-vs-queue\" title=\"") && controls.contains("selected>log-vs-queue<"));
    assert!(controls.contains(">Crash broker 0</option>") && controls.contains(">run rabbitmq-quorum</option>"));
    assert!(opened["body"].as_str().unwrap().contains("data-testid=\"scorecard\""));
    let mut t = 0;
    let mut reply = Value::Null;
    while t < 20_000_000 {
        t = (t + 1_733_000).min(20_000_000);
        reply = ask(&mut lab, json!({"op": "advance", "to_us": t, "scorecard": false}));
    }
    assert_eq!(reply["now_us"], 20_000_000u64);
    assert_eq!(reply["end_us"], 60_000_000u64);
    let c = parse_comparison(builtin_comparison("log-vs-queue").unwrap(), builtin).unwrap();
    let whole: Vec<String> = c.runs.iter().map(|(_, s)| run_report(s, Some(20_000)).trace_hash).collect();
    assert_eq!(hashes(&reply), whole);
    // One sample per 0.4 s (60 s over about 150 samples), the same times for every lane.
    let view = lab.view(false).unwrap();
    let labels: Vec<&str> = view.lanes.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["kafka-1-partition", "kafka-3-partitions", "rabbitmq-classic", "rabbitmq-quorum"]);
    let samples = view.t_us.len();
    assert_eq!(samples, 50);
    for lane in &view.lanes {
        assert_eq!(lane.series.throughput.len(), samples);
        // 200 records a second go in; over the last 5 s every design processes about that many.
        let tail: f64 = lane.series.throughput[samples - 12..].iter().sum::<f64>() / 12.0;
        assert!((150.0..250.0).contains(&tail), "{}: {tail}", lane.label);
    }
    // The scorecard has a column per lane and marks the lines that differ.
    let card = lab.view(true).unwrap().scorecard.unwrap();
    let design = card.rows.iter().find(|r| r.key == "design").unwrap();
    assert_eq!(design.values, ["log", "log", "queue", "queue"]);
    assert!(design.differs);
    let replay = card.rows.iter().find(|r| r.key == "replay").unwrap();
    assert!(replay.values[0].starts_with("yes"), "{replay:?}");
    assert_eq!(replay.values[2], "no");
}

/// Playing: each tick advances by the wall time that went by times the speed; a new scorecard
/// about every half second of wall time; at the end the runs stop.
#[test]
fn ticks_advance_by_wall_time_times_the_speed() {
    let mut lab = Lab::default();
    ask(&mut lab, json!({"op": "open", "name": "mmc"}));
    let paused = ask(&mut lab, json!({"op": "tick", "elapsed_ms": 100.0}));
    assert_eq!(paused["now_us"], 0, "paused: time stands still");
    let played = ask(&mut lab, json!({"op": "play", "on": true}));
    assert_eq!(played["playing"], true);
    assert!(played["controls"].as_str().unwrap().contains("aria-pressed=\"true\">Pause<"));
    ask(&mut lab, json!({"op": "set", "field": "speed", "value": "100"}));
    let r = ask(&mut lab, json!({"op": "tick", "elapsed_ms": 40.0}));
    assert_eq!(r["now_us"], 4_000_000, "40 ms at 100× is 4 simulated seconds");
    assert!(r["body"].as_str().unwrap().contains("data-testid=\"compare-time\">t = 00:04.000"));
    // Pausing shows the scorecard of that moment.
    let paused = ask(&mut lab, json!({"op": "play", "on": false}));
    assert!(paused["body"].as_str().unwrap().contains("data-testid=\"scorecard\""));
    let card = lab.view(true).unwrap().scorecard.unwrap();
    let sent = |c: &streamlab::engine::side_by_side::Scorecard| c.rows.iter().find(|r| r.key == "sent").unwrap().values.clone();
    assert!(paused["body"].as_str().unwrap().contains(&format!("<td class=\"num\">{}</td>", sent(&card)[0])));
    ask(&mut lab, json!({"op": "play", "on": true}));
    ask(&mut lab, json!({"op": "set", "field": "speed", "value": "max"}));
    let mut r = Value::Null;
    for _ in 0..1000 {
        r = ask(&mut lab, json!({"op": "tick", "elapsed_ms": 16.0}));
        if r["playing"] == false {
            break;
        }
    }
    assert_eq!(r["playing"], false, "stopped at the end");
    assert_eq!(r["now_us"], r["end_us"]);
    assert!(r["controls"].as_str().unwrap().contains("Finished: every run reached the end."));
}

/// A fault applied to all lanes lands in each at the same simulated time; applied to one, only
/// that lane changes. The chosen fault and target are the controls' state.
#[test]
fn a_fault_goes_to_every_run_or_to_one() {
    let mut lab = Lab::default();
    ask(&mut lab, json!({"op": "open", "name": "log-vs-queue"}));
    let crash = choice(&lab, "Crash broker 0");
    let before = hashes(&ask(&mut lab, json!({"op": "advance", "to_us": 5_000_000u64, "scorecard": false})));
    ask(&mut lab, json!({"op": "set", "field": "choice", "value": crash.to_string()}));
    let after = ask(&mut lab, json!({"op": "apply_selected"}));
    assert_eq!(after["kind"], "view", "{after}");
    let applied = lab.view(false).unwrap().applied;
    assert_eq!((applied[0].t_us, applied[0].label.as_str(), applied[0].lane), (5_000_000, "Crash broker 0", None));
    let body = after["body"].as_str().unwrap();
    assert_eq!(body.matches("class=\"marker fault\"").count(), 3, "a marker on each chart");
    assert_eq!(body.matches("Applied: t = 00:05.000 Crash broker 0").count(), 4, "in every run's card");
    let after = hashes(&after);
    assert!(before.iter().zip(&after).all(|(b, a)| b != a), "every lane took the fault: {before:?} {after:?}");

    // The same with the fault in the second lane only.
    let mut one = Lab::default();
    ask(&mut one, json!({"op": "open", "name": "log-vs-queue"}));
    ask(&mut one, json!({"op": "advance", "to_us": 5_000_000u64, "scorecard": false}));
    ask(&mut one, json!({"op": "set", "field": "target", "value": "1"}));
    let only = hashes(&ask(&mut one, json!({"op": "apply", "choice": crash, "lane": 1})));
    assert_eq!(only[0], before[0]);
    assert_ne!(only[1], before[1]);
    assert_eq!(only[2..], before[2..]);
}

/// A what-if: a session replayed into two lanes that share its past (same hash as the session's
/// run); then lane B's broker crash makes the futures differ, while lane A goes on exactly as the
/// original run would have.
#[test]
fn a_what_if_branch_shares_the_past_and_splits_the_future() {
    let scenario = parse_scenario(builtin("quickstart").unwrap()).unwrap();
    let mut sim = Sim::new(&scenario);
    sim.run_until(4_000_000);
    sim.apply(Action::CrashConsumer { group: "billing".into(), member: 1 });
    sim.run_events(500);
    let recorded = sim.session();
    let session = recorded.to_json_pretty();
    let past = format!("{:016x}", sim.trace_hash());

    let mut lab = Lab::default();
    let opened = ask(&mut lab, json!({"op": "branch", "session": session, "runs": 2}));
    assert_eq!(opened["kind"], "view", "{opened}");
    assert_eq!(hashes(&opened), vec![past.clone(), past.clone()]);
    assert_eq!(lab.view(false).unwrap().branched_at_us, Some(sim.now_us()));
    assert!(opened["body"].as_str().unwrap().contains("data-testid=\"branch-note\""));
    let crash = choice(&lab, "Crash broker 1");
    assert!(lab.menu().contains(&"acks=1 for checkout".to_string()), "{:?}", lab.menu());
    ask(&mut lab, json!({"op": "apply", "choice": crash, "lane": 1}));
    let h = hashes(&ask(&mut lab, json!({"op": "advance", "to_us": 15_000_000u64, "scorecard": false})));
    sim.run_until(15_000_000);
    assert_eq!(h[0], format!("{:016x}", sim.trace_hash()), "lane A is the run as it was");
    assert_ne!(h[1], h[0], "lane B took another future");
    // Lane B is exactly the recorded run with the crash added at the branch point.
    let mut b = Sim::replay(&recorded.scenario, &recorded.actions, recorded.stop);
    b.apply(Action::CrashBroker { broker: BrokerRef::Id(1) });
    b.run_until(15_000_000);
    assert_eq!(h[1], format!("{:016x}", b.trace_hash()));
}

/// A plain scenario file of another design (here the queue) opens as a comparison of one run.
#[test]
fn a_scenario_file_of_any_design_opens_as_one_run() {
    let mut lab = Lab::default();
    let mut v: Value = serde_json::from_str(builtin("quickstart").unwrap()).unwrap();
    v["design"] = json!("queue");
    let r = ask(&mut lab, json!({"op": "open_text", "text": v.to_string()}));
    assert_eq!(r["kind"], "view", "{r}");
    let view = lab.view(false).unwrap();
    assert_eq!((view.lanes.len(), view.lanes[0].design.as_str()), (1, "queue"));
}

/// The page writes its requests with `request_text`; they read back as the requests meant.
#[test]
fn the_pages_requests_read_back() {
    use streamlab::lab::{request_text, Request};
    let read = |t: String| serde_json::from_str::<Request>(&t).unwrap();
    assert_eq!(read(request_text("show", &[])), Request::Show);
    assert_eq!(read(request_text("branch", &[("session", "{\"a\": \"b\n\"}")])), Request::Branch { session: "{\"a\": \"b\n\"}".into(), runs: 2 });
    assert_eq!(read(request_text("set", &[("field", "speed"), ("value", "max")])), Request::Set { field: "speed".into(), value: "max".into() });
    assert_eq!(read(request_text("open_text", &[("text", "x")])), Request::OpenText { text: "x".into() });
}

#[test]
fn bad_requests_get_reasons_not_panics() {
    let mut lab = Lab::default();
    let failed = |lab: &mut Lab, v: Value| -> Vec<String> {
        let r = ask(lab, v);
        assert_eq!(r["kind"], "failed", "{r}");
        // The reasons show in the controls too.
        let errors: Vec<String> = serde_json::from_value(r["errors"].clone()).unwrap();
        assert!(r["controls"].as_str().unwrap().contains("data-testid=\"compare-errors\""), "{r}");
        errors
    };
    let r: Value = serde_json::from_str(&lab.handle_json("{not json")).unwrap();
    assert!(r["errors"][0].as_str().unwrap().contains("not a request"), "{r}");
    assert_eq!(failed(&mut lab, json!({"op": "advance", "to_us": 1, "scorecard": false})), vec!["no comparison is open"]);
    let e = failed(&mut lab, json!({"op": "open", "name": "nope"}));
    assert!(e[0].contains("\"nope\""), "{e:?}");
    let e = failed(&mut lab, json!({"op": "branch", "session": "{}", "runs": 1}));
    assert!(e[0].starts_with("runs: 1"), "{e:?}");
    let e = failed(&mut lab, json!({"op": "branch", "session": "{\"seed\": -1}", "runs": 2}));
    assert!(e.iter().all(|x| x.starts_with("session: ")), "{e:?}");
    let e = failed(&mut lab, json!({"op": "open_text", "text": "{\"base\": \"mm1\", \"variants\": [{\"label\": \"a\", \"set\": {\"seed\": \"x\"}}]}"}));
    assert!(e.iter().any(|x| x.contains("seed")), "{e:?}");
    ask(&mut lab, json!({"op": "open", "name": "mmc"}));
    let e = failed(&mut lab, json!({"op": "apply", "choice": 999, "lane": null}));
    assert!(e[0].starts_with("choice: 999"), "{e:?}");
    let e = failed(&mut lab, json!({"op": "apply", "choice": 0, "lane": 9}));
    assert!(e[0].starts_with("lane: 9"), "{e:?}");
    let e = failed(&mut lab, json!({"op": "set", "field": "speed", "value": "7"}));
    assert!(e[0].starts_with("speed: \"7\""), "{e:?}");
    let e = failed(&mut lab, json!({"op": "set", "field": "target", "value": "12"}));
    assert!(e[0].starts_with("target: \"12\""), "{e:?}");
    let e = failed(&mut lab, json!({"op": "set", "field": "colour", "value": "red"}));
    assert!(e[0].starts_with("field: \"colour\""), "{e:?}");
    // A good request afterwards clears the errors.
    let r = ask(&mut lab, json!({"op": "advance", "to_us": 1000, "scorecard": false}));
    assert!(!r["controls"].as_str().unwrap().contains("compare-errors"), "{r}");
}
