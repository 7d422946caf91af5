//! Sessions: what a person did in the app (scenario, seed, actions at their exact places, where they
//! stopped), written as a file and read back. Replaying a session gives the very run it recorded, trace
//! hash included; a damaged session is refused with every error and its path.

use streamlab::engine::Sim;
use streamlab::scenario::builtin::BUILTIN;
use streamlab::scenario::{parse_scenario, parse_session, Action, BrokerRef, ResetTo};

fn builtin(stem: &str) -> &'static str {
    BUILTIN.iter().find(|(s, _)| *s == stem).map(|(_, t)| *t).expect("built-in scenario")
}

/// A run of quickstart with a person's actions, some at the same instant as each other.
fn played() -> Sim {
    let scenario = parse_scenario(builtin("quickstart")).expect("quickstart parses");
    let mut sim = Sim::new(&scenario);
    sim.run_until(3_250_000);
    sim.apply(Action::CrashLeader { topic: "orders".into(), partition: 1 });
    sim.run_events(1_000);
    sim.apply(Action::AddConsumer { group: "billing".into() });
    sim.apply(Action::CrashConsumer { group: "billing".into(), member: 2 });
    sim.run_until(7_000_000);
    sim.apply(Action::ResetOffsets { group: "billing".into(), topic: None, partition: None, to: ResetTo::Earliest });
    sim.apply(Action::RestartBroker { broker: BrokerRef::Crashed });
    sim.run_events(777);
    sim
}

#[test]
fn a_session_file_replays_the_same_run_to_the_same_moment() {
    let sim = played();
    let text = sim.session().to_json_pretty();
    let session = parse_session(&text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(session, sim.session(), "the file reads back as written");
    let stop = session.stop.expect("a stop");
    let replayed = Sim::replay(&session.scenario, &session.actions, Some(stop));
    assert_eq!((replayed.now_us(), replayed.events()), (sim.now_us(), sim.events()));
    assert_eq!(replayed.trace_hash(), sim.trace_hash());
    // And both go on identically.
    let (mut a, mut b) = (replayed, sim);
    a.run();
    b.run();
    assert_eq!(a.trace_hash(), b.trace_hash());
}

#[test]
fn a_session_is_a_scenario_file_and_a_scenario_is_a_session() {
    // Every built-in scenario reads as a session without actions.
    for (stem, text) in BUILTIN {
        let s = parse_session(text).unwrap_or_else(|e| panic!("{stem}: {e:?}"));
        assert!(s.actions.is_empty() && s.stop.is_none(), "{stem}");
        assert_eq!(s.scenario, parse_scenario(text).expect("parses"), "{stem}");
    }
    // The editor's reader refuses the session object: a session is run, not edited.
    let text = played().session().to_json_pretty();
    let errors = parse_scenario(&text).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().starts_with("$.session: unknown field"), "{}", errors[0]);
}

#[test]
fn a_damaged_session_is_refused_with_every_error() {
    let mut v: serde_json::Value = serde_json::from_str(&played().session().to_json_pretty()).expect("json");
    let s = &mut v["session"];
    s["version"] = 7.into();
    s["stop_at"]["t_us"] = 1_000.into();
    let actions = s["actions"].as_array_mut().expect("actions");
    actions[0]["partition"] = 99.into();
    actions[1]["t_us"] = 1.into();
    actions[2]["colour"] = "red".into();
    actions[3]["t_us"] = (3_600u64 * 1_000_000).into();
    let errors: Vec<String> = parse_session(&v.to_string()).unwrap_err().iter().map(ToString::to_string).collect();
    for expected in [
        "$.session.version: session version 7 is not one this Streamlab reads (it reads version 1); export the session again",
        "$.session.actions[0].partition: topic \"orders\" has 6 partitions (0 to 5), so there is no partition 99",
        "$.session.actions[2].colour: unknown field",
        "$.session.actions[3].t_us: out of range",
        "$.session.stop_at.t_us: the session stops at 1000 µs, before its last action",
    ] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "missing {expected:?} in:\n{}", errors.join("\n"));
    }
    // Out of order is named too (the one that is out of order, not the ones after it).
    let mut v: serde_json::Value = serde_json::from_str(&played().session().to_json_pretty()).expect("json");
    v["session"]["actions"][1]["t_us"] = 1.into();
    let errors: Vec<String> = parse_session(&v.to_string()).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(errors, ["$.session.actions[1]: actions must be in the order they were applied: this one comes before the one above it (t_us, then after_events)"]);
    // Members a session adds may be named by later actions; others may not.
    let mut v: serde_json::Value = serde_json::from_str(&played().session().to_json_pretty()).expect("json");
    v["session"]["actions"][2]["member"] = 3.into();
    let errors: Vec<String> = parse_session(&v.to_string()).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(errors, ["$.session.actions[2].member: no member 3 in group \"billing\": its members are numbered 0 to 2"]);
}
