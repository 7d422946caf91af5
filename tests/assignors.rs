//! Kafka's assignors against cases from Kafka's own tests (`tests/data/assignors/*.json`: each case
//! names the Kafka test it comes from), plus properties over random inputs: every subscribed
//! partition assigned exactly once and only to a subscriber, balance and stickiness of the sticky
//! assignors, and cooperative-sticky converging to the sticky result in two rounds.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use streamlab::engine::assignor::{assign, AssignInput, MemberSubscription, Strategy, TopicPartition};

fn names(a: &BTreeMap<String, Vec<TopicPartition>>) -> BTreeMap<String, Vec<String>> {
    a.iter().map(|(m, l)| (m.clone(), l.iter().map(ToString::to_string).collect())).collect()
}

/// Runs every case of one file and reports each failure by name, expected against actual.
fn check_file(strategy: Strategy, text: &str) {
    let cases: Vec<Value> = serde_json::from_str(text).expect("the case file is JSON");
    assert!(cases.len() >= 10, "{}: only {} cases", strategy.name(), cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let input = serde_json::json!({ "topics": case["topics"], "members": case["members"] });
        let input = match AssignInput::from_json(&input.to_string()) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("{name}: bad input: {e:?}"));
                continue;
            }
        };
        let expected: BTreeMap<String, Vec<String>> = serde_json::from_value(case["expected"].clone()).expect("expected is member -> list");
        let expected: BTreeMap<String, Vec<String>> = expected
            .into_iter()
            .map(|(m, mut l)| {
                l.sort_by_key(|s| {
                    let (t, p) = s.rsplit_once('-').unwrap();
                    (t.to_string(), p.parse::<u32>().unwrap())
                });
                (m, l)
            })
            .collect();
        let got = names(&assign(strategy, &input.topics, &input.members));
        if got != expected {
            failures.push(format!("{name} ({}):\n  expected {expected:?}\n  got      {got:?}", case["kafka_test"].as_str().unwrap_or("")));
        }
    }
    assert!(failures.is_empty(), "{} of {} {} cases fail:\n{}", failures.len(), cases.len(), strategy.name(), failures.join("\n"));
}

#[test]
fn range_matches_kafkas_cases() {
    check_file(Strategy::Range, include_str!("data/assignors/range.json"));
}

#[test]
fn roundrobin_matches_kafkas_cases() {
    check_file(Strategy::RoundRobin, include_str!("data/assignors/roundrobin.json"));
}

#[test]
fn sticky_matches_kafkas_cases() {
    check_file(Strategy::Sticky, include_str!("data/assignors/sticky.json"));
}

#[test]
fn cooperative_sticky_matches_kafkas_cases() {
    check_file(Strategy::CooperativeSticky, include_str!("data/assignors/cooperative-sticky.json"));
}

/// A random group: 1–4 topics of 1–12 partitions, 1–8 members, each subscribing to all topics
/// (`equal`) or a random non-empty subset; some static.
fn random_group(rng: &mut ChaCha8Rng, equal: bool) -> (BTreeMap<String, u32>, Vec<MemberSubscription>) {
    let topics: BTreeMap<String, u32> = (0..rng.random_range(1..=4)).map(|t| (format!("t{t}"), rng.random_range(1..=12))).collect();
    let names: Vec<String> = topics.keys().cloned().collect();
    let members = (0..rng.random_range(1..=8))
        .map(|i| {
            let subscription = if equal {
                names.clone()
            } else {
                let s: Vec<String> = names.iter().filter(|_| rng.random_bool(0.6)).cloned().collect();
                if s.is_empty() { vec![names[0].clone()] } else { s }
            };
            MemberSubscription {
                member_id: format!("m{}", rng.random_range(0..1000) * 10 + i),
                group_instance_id: rng.random_bool(0.3).then(|| format!("i{i}")),
                subscription,
                owned: Vec::new(),
                generation: None,
            }
        })
        .collect();
    (topics, members)
}

/// Every partition of a subscribed topic goes to exactly one member that subscribes to its topic.
fn check_complete(a: &BTreeMap<String, Vec<TopicPartition>>, topics: &BTreeMap<String, u32>, members: &[MemberSubscription], what: &str) {
    let mut seen = BTreeSet::new();
    for m in members {
        for tp in &a[&m.member_id] {
            assert!(m.subscription.contains(&tp.topic), "{what}: {tp} given to {} which does not subscribe", m.member_id);
            assert!(seen.insert(tp.clone()), "{what}: {tp} assigned twice");
        }
    }
    let wanted: usize = topics.iter().filter(|(t, _)| members.iter().any(|m| m.subscription.contains(t))).map(|(_, &n)| n as usize).sum();
    assert_eq!(seen.len(), wanted, "{what}: not every partition assigned");
}

#[test]
fn every_assignor_assigns_every_partition_once_to_a_subscriber() {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    for round in 0..300 {
        let (topics, members) = random_group(&mut rng, round % 2 == 0);
        for s in [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky, Strategy::CooperativeSticky] {
            let a = assign(s, &topics, &members);
            // With nothing owned, cooperative-sticky withholds nothing.
            check_complete(&a, &topics, &members, &format!("{} round {round}", s.name()));
        }
    }
}

#[test]
fn range_and_roundrobin_do_not_depend_on_the_order_members_arrive() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..200 {
        let (topics, mut members) = random_group(&mut rng, false);
        for s in [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky] {
            let a = assign(s, &topics, &members);
            members.reverse();
            assert_eq!(assign(s, &topics, &members), a, "{}", s.name());
        }
    }
}

#[test]
fn sticky_balances_and_keeps_what_it_can_when_a_member_joins_or_leaves() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for round in 0..300 {
        let (topics, mut members) = random_group(&mut rng, true);
        let first = assign(Strategy::Sticky, &topics, &members);
        let counts = |a: &BTreeMap<String, Vec<TopicPartition>>| a.values().map(Vec::len).collect::<Vec<_>>();
        let c = counts(&first);
        assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1, "round {round}: unbalanced {c:?}");
        // Next generation: everyone reports what it owns; one member joins or one leaves.
        for m in members.iter_mut() {
            m.owned = first[&m.member_id].clone();
            m.generation = Some(1);
        }
        let leaving = members.len() > 1 && rng.random_bool(0.5);
        if leaving {
            members.remove(rng.random_range(0..members.len()));
        } else {
            let subscription = members[0].subscription.clone();
            members.push(MemberSubscription { member_id: "new".into(), group_instance_id: None, subscription, owned: vec![], generation: None });
        }
        let second = assign(Strategy::Sticky, &topics, &members);
        check_complete(&second, &topics, &members, &format!("sticky round {round}"));
        let c2 = counts(&second);
        assert!(c2.iter().max().unwrap() - c2.iter().min().unwrap() <= 1, "round {round}: unbalanced {c2:?}");
        // Stickiness: a member keeps min(owned, new count) of its owned partitions.
        for m in &members {
            let kept = second[&m.member_id].iter().filter(|tp| m.owned.contains(tp)).count();
            assert_eq!(kept, m.owned.len().min(second[&m.member_id].len()), "round {round}: {} lost partitions it could keep", m.member_id);
        }
        // Cooperative: the first round withholds exactly the moves, the second completes them.
        let coop1 = assign(Strategy::CooperativeSticky, &topics, &members);
        for m in &members {
            for tp in &coop1[&m.member_id] {
                assert!(second[&m.member_id].contains(tp), "round {round}: cooperative gave {tp} to {} but sticky did not", m.member_id);
            }
            for tp in &second[&m.member_id] {
                let owned_by_other = members.iter().any(|o| o.member_id != m.member_id && o.owned.contains(tp));
                assert_eq!(coop1[&m.member_id].contains(tp), !owned_by_other, "round {round}: {tp} for {}", m.member_id);
            }
        }
        let mut next = members.clone();
        for m in next.iter_mut() {
            m.owned = coop1[&m.member_id].clone();
            m.generation = Some(2);
        }
        let coop2 = assign(Strategy::CooperativeSticky, &topics, &next);
        check_complete(&coop2, &topics, &next, &format!("cooperative second round {round}"));
        assert_eq!(coop2, second, "round {round}: two cooperative rounds reach the sticky assignment");
    }
}
