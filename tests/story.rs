//! The checker's findings, located (which record, which partition and offset), and a record's whole
//! story (sent, stored on which replicas, committed, acknowledged, consumed, lost), as the app's
//! checker panel and "show me" links use them.

use streamlab::engine::Sim;
use streamlab::scenario::builtin::builtin;
use streamlab::scenario::parse_scenario;

fn finished(stem: &str) -> Sim {
    let mut sim = Sim::new(&parse_scenario(builtin(stem).expect("builtin")).expect("parses"));
    sim.run();
    sim
}

#[test]
fn findings_are_located_and_agree_with_the_counts() {
    let sim = finished("reordering");
    let (counts, found) = sim.check_detailed(5);
    assert_eq!(counts, sim.check(), "the same counts with or without details");
    assert!(counts.order_violations > 5 && counts.duplicates > 5);
    for kind in ["order", "duplicate", "unseen"] {
        assert_eq!(found.iter().filter(|f| f.kind == kind).count(), 5, "{kind}");
    }
    // An order violation names the record stored before it though sent after, and the story agrees.
    let v = found.iter().find(|f| f.kind == "order").expect("a violation");
    let (before_seq, before_offset) = v.before.expect("the earlier-stored record");
    assert!(before_seq > v.seq && before_offset < v.offset.expect("offset"));
    let story = sim.record_story(v.producer, v.seq).expect("a story");
    assert_eq!((story.key, story.partition), (v.key, v.partition));
    let here = story.key_order.iter().find(|e| Some(e.0) == v.offset).expect("in the key's order");
    assert!(here.2, "marked out of order: {:?}", story.key_order);
    assert!(story.key_order.iter().any(|e| e.1 == before_seq && e.0 == before_offset));
}

#[test]
fn the_story_of_a_lost_record_and_of_a_healthy_one() {
    let sim = finished("acks1-loss");
    let (counts, found) = sim.check_detailed(10);
    assert_eq!(counts.lost_acked, 1);
    let lost = found.iter().find(|f| f.kind == "lost").expect("the lost record");
    let story = sim.record_story(lost.producer, lost.seq).expect("a story");
    assert!(story.sent && story.acked && story.lost && !story.expired);
    assert!(story.consumed_by.is_empty() || story.lost, "{story:?}");

    let sim = finished("quickstart");
    let story = sim.record_story(0, 100).expect("record 100 was sent");
    assert!(story.sent && story.acked && !story.lost && story.committed);
    assert_eq!(story.replicas.len(), 3, "on all three replicas: {:?}", story.replicas);
    assert_eq!(story.replicas.iter().filter(|r| r.3).count(), 1, "one of them the leader");
    assert_eq!(story.consumed_by, [0], "billing processed it");
    assert!(story.sent_at_us.is_some_and(|t| t > 0 && t < 2_000_000));
    assert!(sim.record_story(0, 10_000_000).is_none(), "never sent");
    assert!(sim.record_story(7, 0).is_none(), "no such producer");
}
