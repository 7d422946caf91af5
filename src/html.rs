//! Parts of the page with no controls of their own, written as HTML text: a record's story (its
//! steps and its key's orders). Text is far smaller in the app's wasm than the same markup built
//! node by node, and, being pure, it is tested natively. Every name that comes from a scenario is
//! escaped. The app places the text with `Html::from_html_unchecked`.

use std::fmt::Write;

use crate::engine::checker::{RecordStory, LATE_KEPT};
use crate::engine::Sim;
use crate::text::{count, escape_html, sim_time};

/// Names for indices: producers, topics, groups.
#[derive(Clone, PartialEq, Default, Debug)]
pub struct Names {
    pub producers: Vec<String>,
    pub topics: Vec<String>,
    pub groups: Vec<String>,
}

impl Names {
    pub fn of(sim: &Sim) -> Names {
        Names {
            producers: sim.producer_views().into_iter().map(|p| p.name).collect(),
            topics: sim.scenario().topics.iter().map(|t| t.name.clone()).collect(),
            groups: sim.group_ids(),
        }
    }
    pub fn producer(&self, i: u32) -> String {
        self.producers.get(i as usize).cloned().unwrap_or_else(|| format!("producer {i}"))
    }
    pub fn topic(&self, i: u32) -> String {
        self.topics.get(i as usize).cloned().unwrap_or_else(|| format!("topic {i}"))
    }
    pub fn group(&self, i: u32) -> String {
        self.groups.get(i as usize).cloned().unwrap_or_else(|| format!("group {i}"))
    }
    /// `checkout #12 (key-3)`.
    pub fn record(&self, producer: u32, seq: u64, key: Option<u32>) -> String {
        format!("{} #{seq}{}", self.producer(producer), key.map(|k| format!(" (key-{k})")).unwrap_or_default())
    }
}

/// The body of a record's story (under its heading): lost or not, each step from sent to consumed
/// done (✓) or not (·), and its key's records in the order sent, stored and processed.
pub fn record_story(s: &RecordStory, n: &Names) -> String {
    let mut out = String::new();
    if s.lost {
        out += "<p class=\"danger\" data-testid=\"lost\"><strong>✕ Lost: </strong>acknowledged to its producer, and no longer in the partition's log (its leader lost it: acks=1 or an unclean election).</p>";
    }
    let where_ = s.partition.map(|p| format!("{}-{p}", n.topic(s.topic)));
    let leader = s.replicas.iter().find(|r| r.3);
    let followers: Vec<String> = s.replicas.iter().filter(|r| !r.3).map(|r| format!("broker {} @{}", r.0, r.1)).collect();
    let steps: [(bool, &str, String); 6] = [
        (s.sent, "Sent", match s.sent_at_us { Some(t) => format!("at {}", sim_time(t)), None => "(no copy of it is left, so its send time is not known)".into() }),
        (
            s.partition.is_some(),
            "Appended",
            match (&where_, leader) {
                (Some(w), Some(l)) => format!("to {w} at offset {} (leader epoch {}) on broker {}, the leader", l.1, l.2, l.0),
                (Some(w), None) => format!("to {w}, whose leader is down or elsewhere now"),
                _ if s.expired => "then removed by retention or compaction".into(),
                _ => "not in any replica's log".into(),
            },
        ),
        (!followers.is_empty(), "Replicated", if followers.is_empty() { "to no follower".into() } else { format!("to {}", followers.join(", ")) }),
        (s.committed, "Committed", if s.committed { "below the high watermark: consumers may read it".into() } else { "not below the leader's high watermark".into() }),
        (s.acked, "Acknowledged", if s.acked { format!("to {}", n.producer(s.producer)) } else if s.failed { "no: the send failed".into() } else { "not (yet)".into() }),
        (
            !s.consumed_by.is_empty(),
            "Consumed",
            if s.consumed_by.is_empty() { "by no group yet".into() } else { format!("by {}", s.consumed_by.iter().map(|&g| n.group(g)).collect::<Vec<_>>().join(", ")) },
        ),
    ];
    out += "<ol class=\"steps\">";
    for (done, what, detail) in steps {
        let (class, mark) = if done { ("done", "✓") } else { ("not", "·") };
        let _ = write!(out, "<li class=\"{class}\"><span aria-hidden=\"true\">{mark} </span><strong>{what}</strong> {}</li>", escape_html(&detail));
    }
    out += "</ol>";
    if !s.key_order.is_empty() || !s.processing.is_empty() {
        key_orders(&mut out, s, n, where_.as_deref());
    }
    out
}

/// The story's key in three orders, side by side: sent (sequence numbers), stored in its
/// partition's log (`partition`, as `topic-N`), and processed by each group. A mark and a tooltip, not only a colour, flag each
/// record out of place; this record is underlined.
fn key_orders(out: &mut String, s: &RecordStory, n: &Names, partition: Option<&str>) {
    let row = |out: &mut String, label: &str, testid: &str, cells: &mut dyn Iterator<Item = (u64, Option<(char, String)>)>| {
        let _ = write!(out, "<dt>{}</dt><dd class=\"key-order mono\" data-testid=\"{testid}\">", escape_html(label));
        for (seq, flag) in cells {
            let this = if seq == s.seq { " this" } else { "" };
            match flag {
                Some((mark, why)) => {
                    let _ = write!(out, "<span class=\"seq bad{this}\" title=\"{}\">{mark}#{seq}</span> ", escape_html(&why));
                }
                None => {
                    let _ = write!(out, "<span class=\"seq{this}\">#{seq}</span> ");
                }
            }
        }
        *out += "</dd>";
    };
    let _ = write!(
        out,
        "<div class=\"key-orders\" data-testid=\"key-orders\"><p class=\"small-print\">key-{} of {}, in the order sent, stored and processed (⚠ stored before a record sent earlier, ⇵ processed after a record sent later):</p><dl>",
        s.key.unwrap_or(0),
        escape_html(&n.producer(s.producer))
    );
    row(out, "Sent", "send-order", &mut s.key_sent.iter().map(|&q| (q, None)));
    if let (false, Some(p)) = (s.key_order.is_empty(), partition) {
        let label = format!("Stored in {p}");
        row(out, &label, "key-order", &mut s.key_order.iter().map(|&(offset, seq, bad)| (seq, bad.then(|| ('⚠', format!("stored at offset {offset}, after a record sent later"))))));
    }
    for p in &s.processing {
        let label = if p.complete {
            format!("Processed by {}", n.group(p.group))
        } else {
            format!("Processed by {} (exact up to its first {} records out of order)", n.group(p.group), count(LATE_KEPT as u64))
        };
        row(out, &label, "processing-order", &mut p.order.iter().map(|&(seq, after)| (seq, after.map(|h| ('⇵', format!("processed after #{h}, which was sent later"))))));
    }
    *out += "</dl></div>";
}
