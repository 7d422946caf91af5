//! Stepping one engine event at a time, forwards and back, as the app's event buttons do: the same
//! run as running straight through, each event said in words, and a step back that lands exactly on
//! the run one event earlier (with the user's actions before that point, and without those after).

use streamlab::engine::Sim;
use streamlab::scenario::builtin::builtin;
use streamlab::scenario::{parse_scenario, Action, BrokerRef, Scenario};

fn quickstart() -> Scenario {
    parse_scenario(builtin("quickstart").expect("builtin")).expect("parses")
}

/// A fresh run after exactly `n` events.
fn after(scenario: &Scenario, n: u64) -> Sim {
    let mut sim = Sim::new(scenario);
    while sim.events() < n && sim.step() {}
    sim
}

#[test]
fn stepping_event_by_event_is_the_same_run_and_says_what_happened() {
    let s = quickstart();
    let mut sim = Sim::new(&s);
    let words: Vec<String> = (0..20_000).map(|_| sim.step_narrated().expect("an event")).collect();
    let plain = after(&s, 20_000);
    assert_eq!((sim.events(), sim.trace_hash(), sim.now_us()), (plain.events(), plain.trace_hash(), plain.now_us()));
    assert!(words.iter().all(|w| w.ends_with('.') && w.len() > 10 && !w.starts_with("member")), "{words:?}");
    assert!(words.iter().any(|w| w == "checkout sends a record."), "a producer's send");
    assert!(words.iter().any(|w| w.starts_with("A produce request of checkout (") && w.contains("reaches broker")), "a produce request");
    assert!(words.iter().any(|w| w.starts_with("Member ") && w.contains(" of billing receives ") && w.contains(" records of orders-")), "a consumer's fetch response");
    assert!(words.iter().any(|w| w.starts_with("Follower broker ")), "replication");

    // One event back: the run after 19,999 events, its last event the one said 19,999th.
    let (back, said, dropped) = sim.back_one_event(None).expect("there is an event to go back over");
    let plain = after(&s, 19_999);
    assert_eq!((back.events(), back.trace_hash(), back.now_us()), (plain.events(), plain.trace_hash(), plain.now_us()));
    assert_eq!(said.as_deref(), Some(words[19_998].as_str()));
    assert_eq!(dropped, 0);
    // Back to the very start, and no further.
    let one = after(&s, 1);
    let (zero, said, _) = one.back_one_event(None).expect("one event to undo");
    assert_eq!((zero.events(), zero.trace_hash()), (0, Sim::new(&s).trace_hash()));
    assert_eq!(said, None);
    assert!(zero.back_one_event(None).is_none());
}

#[test]
fn a_step_back_keeps_the_actions_before_it_and_drops_those_after() {
    let s = quickstart();
    let crash = Action::CrashBroker { broker: BrokerRef::Id(1) };
    let mut sim = after(&s, 2_000);
    sim.apply(crash.clone());
    let crashed_hash = sim.trace_hash();
    for _ in 0..2 {
        sim.step();
    }
    // Back over one event: the crash (after event 2,000) is still there.
    let (back, _, dropped) = sim.back_one_event(None).expect("events to undo");
    let mut expected = after(&s, 2_000);
    expected.apply(crash.clone());
    expected.step();
    assert_eq!((back.events(), back.trace_hash(), dropped), (2_001, expected.trace_hash(), 0));
    assert_eq!(back.applied_actions().len(), 1);
    // Back to 2,000 events: right after the crash, as it was.
    let (at, _, dropped) = back.back_one_event(None).expect("events to undo");
    assert_eq!((at.events(), at.trace_hash(), dropped), (2_000, crashed_hash, 0));
    // One more: before the crash, which is dropped.
    let (before, _, dropped) = at.back_one_event(None).expect("events to undo");
    assert_eq!((before.events(), before.trace_hash(), dropped), (1_999, after(&s, 1_999).trace_hash(), 1));
    assert!(before.applied_actions().is_empty());
}

#[test]
fn going_back_from_a_checkpoint_is_the_same_as_from_the_start() {
    let s = quickstart();
    let crash = Action::CrashBroker { broker: BrokerRef::Id(1) };
    let restart = Action::RestartBroker { broker: BrokerRef::Id(1) };
    let mut sim = after(&s, 8_000);
    let early = sim.clone();
    sim.apply(crash);
    sim.run_until(sim.now_us() + 3_000_000);
    let late = sim.clone();
    sim.apply(restart);
    sim.run_until(sim.now_us() + 2_000_000);
    // Copies from another seed, or with an action this run never had, must not be used.
    let mut other_seed = s.clone();
    other_seed.seed = 2;
    let foreign = after(&other_seed, 5_000);
    let mut diverged = after(&s, 5_000);
    diverged.apply(Action::CrashBroker { broker: BrokerRef::Id(2) });
    let key = |x: &Sim| (x.events(), x.trace_hash(), x.now_us(), x.applied_actions().len());
    for t in [early.now_us(), early.now_us() + 1_000_000, late.now_us(), sim.now_us() - 500_000, sim.now_us()] {
        let (fresh, dropped) = sim.rewound(t, None);
        for base in [&early, &late, &foreign, &diverged] {
            let (from, d) = sim.rewound(t, Some(base));
            assert_eq!((key(&from), d), (key(&fresh), dropped), "at {t} µs from a copy at {} µs", base.now_us());
        }
    }
    let (fresh, words, dropped) = sim.back_one_event(None).expect("events");
    for base in [&early, &late, &foreign, &diverged] {
        let (from, w, d) = sim.back_one_event(Some(base)).expect("events");
        assert_eq!((key(&from), w.as_deref(), d), (key(&fresh), words.as_deref(), dropped));
    }
}
