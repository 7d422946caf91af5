//! The comparison lab (the comparison view's worker protocol) driven as the page drives it: JSON
//! requests in, JSON replies out. Runs side by side on one clock are the very runs `streamlab
//! compare` makes; a fault goes to all runs or to one; a what-if branch shares its past exactly.

use serde_json::{json, Value};
use streamlab::engine::report::run_report;
use streamlab::engine::Sim;
use streamlab::lab::{Lab, Reply, Request};
use streamlab::scenario::builtin::{builtin, builtin_comparison, COMPARISONS};
use streamlab::scenario::comparison::parse_comparison;
use streamlab::scenario::{parse_scenario, Action, BrokerRef};

fn ask(lab: &mut Lab, request: Value) -> Value {
    serde_json::from_str(&lab.handle_json(&request.to_string())).expect("the reply is JSON")
}

fn hashes(view: &Value) -> Vec<String> {
    view["lanes"].as_array().unwrap().iter().map(|l| l["trace_hash"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_list_offers_every_ready_made_comparison() {
    let mut lab = Lab::default();
    let Reply::List { comparisons } = lab.handle(Request::List) else { panic!("a list") };
    assert_eq!(comparisons.len(), COMPARISONS.len());
    assert!(comparisons.iter().all(|c| !c.title.is_empty()), "{comparisons:?}");
}

/// Lanes advanced together in steps end exactly where separate whole runs end (the CLI's runs).
#[test]
fn lanes_on_one_clock_are_the_runs_compare_makes() {
    let mut lab = Lab::default();
    let opened = ask(&mut lab, json!({"op": "open", "name": "log-vs-queue"}));
    assert_eq!(opened["reply"], "opened", "{opened}");
    assert_eq!(opened["view"]["lanes"].as_array().unwrap().len(), 4);
    assert!(opened["menu"].as_array().unwrap().iter().any(|m| m == "Crash broker 0"), "{}", opened["menu"]);
    let mut t = 0;
    let mut view = Value::Null;
    while t < 20_000_000 {
        t = (t + 1_733_000).min(20_000_000);
        view = ask(&mut lab, json!({"op": "advance", "to_us": t, "scorecard": false}))["view"].clone();
    }
    assert_eq!(view["now_us"], 20_000_000u64);
    let c = parse_comparison(builtin_comparison("log-vs-queue").unwrap(), builtin).unwrap();
    let whole: Vec<String> = c.runs.iter().map(|(_, s)| run_report(s, Some(view["now_us"].as_u64().unwrap() / 1000)).trace_hash).collect();
    assert_eq!(hashes(&view), whole);
    // One sample per 0.2 s (60 s over about 300 samples), the same times for every lane.
    let samples = view["t_us"].as_array().unwrap().len();
    assert_eq!(samples, 100);
    for lane in view["lanes"].as_array().unwrap() {
        assert_eq!(lane["series"]["throughput"].as_array().unwrap().len(), samples);
        // 200 records a second go in; over the last 5 s every design processes about that many.
        let tail: f64 = lane["series"]["throughput"].as_array().unwrap()[samples - 25..].iter().map(|v| v.as_f64().unwrap()).sum::<f64>() / 25.0;
        assert!((150.0..250.0).contains(&tail), "{}: {tail}", lane["label"]);
    }
    // The scorecard, when asked for, has a column per lane and marks the lines that differ.
    let view = ask(&mut lab, json!({"op": "advance", "to_us": 20_000_000u64, "scorecard": true}))["view"].clone();
    let rows = view["scorecard"]["rows"].as_array().unwrap();
    let design = rows.iter().find(|r| r["key"] == "design").unwrap();
    assert_eq!(design["values"], json!(["log", "log", "queue", "queue"]));
    assert_eq!(design["differs"], true);
    let replay = rows.iter().find(|r| r["key"] == "replay").unwrap();
    assert!(replay["values"][0].as_str().unwrap().starts_with("yes"), "{replay}");
    assert_eq!(replay["values"][2], "no");
}

/// A fault applied to all lanes lands in each at the same simulated time; applied to one, only
/// that lane changes.
#[test]
fn a_fault_goes_to_every_run_or_to_one() {
    let mut lab = Lab::default();
    let opened = ask(&mut lab, json!({"op": "open", "name": "log-vs-queue"}));
    let menu: Vec<String> = serde_json::from_value(opened["menu"].clone()).unwrap();
    let crash = menu.iter().position(|m| m == "Crash broker 0").unwrap();
    ask(&mut lab, json!({"op": "advance", "to_us": 5_000_000u64, "scorecard": false}));
    let before = hashes(&ask(&mut lab, json!({"op": "advance", "to_us": 5_000_000u64, "scorecard": false}))["view"]);
    let after = ask(&mut lab, json!({"op": "apply", "choice": crash, "lane": null}));
    assert_eq!(after["reply"], "view", "{after}");
    let applied = &after["view"]["applied"];
    assert_eq!(applied, &json!([{"t_us": 5_000_000u64, "label": "Crash broker 0", "lane": null}]));
    let after = hashes(&after["view"]);
    assert!(before.iter().zip(&after).all(|(b, a)| b != a), "every lane took the fault: {before:?} {after:?}");

    // The same with the fault in the second lane only.
    let mut one = Lab::default();
    ask(&mut one, json!({"op": "open", "name": "log-vs-queue"}));
    ask(&mut one, json!({"op": "advance", "to_us": 5_000_000u64, "scorecard": false}));
    let only = hashes(&ask(&mut one, json!({"op": "apply", "choice": crash, "lane": 1}))["view"]);
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
    assert_eq!(opened["reply"], "opened", "{opened}");
    assert_eq!(hashes(&opened["view"]), vec![past.clone(), past.clone()]);
    assert_eq!(opened["view"]["branched_at_us"], sim.now_us());
    let menu: Vec<String> = serde_json::from_value(opened["menu"].clone()).unwrap();
    let crash = menu.iter().position(|m| m == "Crash broker 1").unwrap();
    ask(&mut lab, json!({"op": "apply", "choice": crash, "lane": 1}));
    let view = ask(&mut lab, json!({"op": "advance", "to_us": 15_000_000u64, "scorecard": false}))["view"].clone();
    let h = hashes(&view);
    sim.run_until(15_000_000);
    assert_eq!(h[0], format!("{:016x}", sim.trace_hash()), "lane A is the run as it was");
    assert_ne!(h[1], h[0], "lane B took another future");
    // Lane B is exactly the recorded run with the crash added at the branch point.
    let mut b = Sim::replay(&recorded.scenario, &recorded.actions, recorded.stop);
    b.apply(Action::CrashBroker { broker: BrokerRef::Id(1) });
    b.run_until(15_000_000);
    assert_eq!(h[1], format!("{:016x}", b.trace_hash()));
}

#[test]
fn bad_requests_get_reasons_not_panics() {
    let mut lab = Lab::default();
    let failed = |v: Value| -> Vec<String> {
        assert_eq!(v["reply"], "failed", "{v}");
        serde_json::from_value(v["errors"].clone()).unwrap()
    };
    let e = failed(serde_json::from_str(&lab.handle_json("{not json")).unwrap());
    assert!(e[0].contains("not a request"), "{e:?}");
    let e = failed(ask(&mut lab, json!({"op": "advance", "to_us": 1, "scorecard": false})));
    assert_eq!(e, vec!["no comparison is open"]);
    let e = failed(ask(&mut lab, json!({"op": "open", "name": "nope"})));
    assert!(e[0].contains("\"nope\""), "{e:?}");
    let e = failed(ask(&mut lab, json!({"op": "branch", "session": "{}", "runs": 1})));
    assert!(e[0].starts_with("runs: 1"), "{e:?}");
    let e = failed(ask(&mut lab, json!({"op": "branch", "session": "{\"seed\": -1}", "runs": 2})));
    assert!(e.iter().all(|x| x.starts_with("session: ")), "{e:?}");
    let e = failed(ask(&mut lab, json!({"op": "open_text", "text": "{\"base\": \"mm1\", \"variants\": [{\"label\": \"a\", \"set\": {\"seed\": \"x\"}}]}"})));
    assert!(e.iter().any(|x| x.contains("seed")), "{e:?}");
    ask(&mut lab, json!({"op": "open", "name": "mmc"}));
    let e = failed(ask(&mut lab, json!({"op": "apply", "choice": 999, "lane": null})));
    assert!(e[0].starts_with("choice: 999"), "{e:?}");
    let e = failed(ask(&mut lab, json!({"op": "apply", "choice": 0, "lane": 9})));
    assert!(e[0].starts_with("lane: 9"), "{e:?}");
}
