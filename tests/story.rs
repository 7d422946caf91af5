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

#[test]
fn a_story_shows_each_groups_processing_order_of_the_key() {
    let sim = finished("reordering");
    let (counts, found) = sim.check_detailed(1_000);
    assert!(counts.processing_order_violations > 0, "{counts:?}");
    let late = found.iter().find(|f| f.kind == "processing").expect("a record processed out of order");
    let (group, after) = late.late_in.expect("the group and the later record it came after");
    let story = sim.record_story(late.producer, late.seq).expect("a story");
    let p = story.processing.iter().find(|p| p.group == group).expect("the group's order");
    let order = &p.order;
    assert!(p.complete, "fewer than the kept number out of order: exact");
    let here = order.iter().position(|e| e.0 == late.seq).expect("the record in its group's order");
    assert_eq!(order[here].1, Some(after), "flagged, with the record it came after");
    if let Some(before) = order.iter().position(|e| e.0 == after) {
        assert!(before < here, "{after} before {} in {order:?}", late.seq);
    }
    // Records processed in order come in sequence order.
    let in_order: Vec<u64> = order.iter().filter(|e| e.1.is_none()).map(|e| e.0).collect();
    assert!(in_order.windows(2).all(|w| w[0] < w[1]), "{in_order:?}");
    // One consumer reads the key's one partition from start to end, so the group first processed
    // the key's records in the order they are stored (each at its first copy): the order rebuilt
    // from the checker agrees with the log, record for record, where the two windows overlap.
    let mut stored: Vec<u64> = Vec::new();
    for &(_, seq, _) in &story.key_order {
        if !stored.contains(&seq) {
            stored.push(seq);
        }
    }
    let processed: Vec<u64> = order.iter().map(|e| e.0).filter(|s| stored.contains(s)).collect();
    let stored_and_processed: Vec<u64> = stored.into_iter().filter(|s| processed.contains(s)).collect();
    assert!(processed.len() >= 10, "{processed:?}");
    assert_eq!(processed, stored_and_processed);
}

#[test]
fn the_story_is_written_as_html_text_with_marks_and_escaped_names() {
    use streamlab::html::{record_story, Names};
    let sim = finished("reordering");
    let (_, found) = sim.check_detailed(1_000);
    let late = found.iter().find(|f| f.kind == "processing").expect("a record processed out of order");
    let (_, after) = late.late_in.expect("located");
    let story = sim.record_story(late.producer, late.seq).expect("a story");
    let html = record_story(&story, &Names::of(&sim));
    for testid in ["send-order", "key-order", "processing-order"] {
        assert!(html.contains(&format!("data-testid=\"{testid}\"")), "{testid} in {html}");
    }
    assert!(html.contains(&format!("<span class=\"seq bad this\" title=\"processed after #{after}, which was sent later\">⇵#{}</span>", late.seq)), "{html}");
    assert!(html.contains("<li class=\"done\"><span aria-hidden=\"true\">✓ </span><strong>Sent</strong> at t = "), "{html}");
    assert!(!html.contains("data-testid=\"lost\""));
    // Names from a scenario file are text, never markup.
    let names = Names { producers: vec!["<b>p&q</b>".into()], topics: vec!["t\"x".into()], groups: vec!["<g>".into()] };
    let html = record_story(&story, &names);
    assert!(html.contains("&lt;b&gt;p&amp;q&lt;/b&gt;") && html.contains("t&quot;x-") && html.contains("Processed by &lt;g&gt;"), "{html}");
    assert!(!html.contains("<b>") && !html.contains("<g>"));
}
