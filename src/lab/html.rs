//! The comparison view's body, rendered in the worker from a `SideView`: a card per run, the
//! scorecard (rows that differ marked ≠), what each difference means, and the runs overlaid on three
//! SVG charts (processed per second, latency p99, backlog) with a marker per fault and at the branch
//! point. The page puts this HTML in place as it is, so every text from outside (labels, names,
//! descriptions, notes) goes through `escape`. Colours are the style sheet's variables, so both
//! themes apply; each chart has a text alternative and a legend in words.

use std::fmt::Write;

use super::scale::{nice_max, nice_step};
use super::SPEEDS;
use crate::text::{count, escape_html as escape, sim_time};
use crate::engine::side_by_side::{LaneSeries, SideView};

/// One colour per run, in run order (the app's chart colours).
const COLOURS: [&str; 6] = ["var(--accent)", "var(--focus)", "var(--warn)", "#8a55c9", "#c2417a", "#5a8f29"];

/// What the controls show.
pub struct Controls<'a> {
    /// The ready-made comparisons: (name, title).
    pub list: &'a [(String, String)],
    pub picked: &'a str,
    /// The open comparison is a what-if branch or a file (not a ready-made one).
    pub branch: bool,
    pub has_view: bool,
    pub finished: bool,
    pub playing: bool,
    /// Index into `SPEEDS`.
    pub speed: usize,
    pub menu: Vec<&'a str>,
    pub choice: u32,
    pub lanes: Vec<&'a str>,
    pub target: Option<u32>,
    pub errors: &'a [String],
}

fn selected(on: bool) -> &'static str {
    if on {
        " selected"
    } else {
        ""
    }
}

fn disabled(on: bool) -> &'static str {
    if on {
        " disabled"
    } else {
        ""
    }
}

/// The shared bar: pick or open a comparison, play, speed, close; then a fault for every run or
/// one; the status line and the errors of the last request. Buttons carry their request in
/// `data-req`, selects name their field in `data-field`; the page forwards them.
pub fn controls(c: &Controls<'_>) -> String {
    let mut h = String::from("<div class=\"compare-bar\" role=\"group\" aria-label=\"Comparison controls\"><h2 id=\"compare-title\">Compare</h2><label class=\"field\" for=\"comparison\">Comparison</label><select id=\"comparison\" data-field=\"pick\">");
    let first = if !c.has_view {
        "choose…"
    } else if c.branch {
        "this one (what if… or a file)"
    } else {
        "choose…"
    };
    let _ = write!(h, "<option value=\"\"{}>{first}</option>", selected(c.picked.is_empty()));
    for (name, title) in c.list {
        let _ = write!(h, "<option value=\"{0}\" title=\"{1}\"{2}>{0}</option>", escape(name), escape(title), selected(c.picked == name));
    }
    let play = if c.playing { ("Pause", "false", "true") } else { ("Play", "true", "false") };
    let _ = write!(
        h,
        "</select><label class=\"file\">Open file…<input type=\"file\" id=\"compare-file\" accept=\".json,application/json\" data-field=\"file\" aria-label=\"Open a comparison file\"></label>\
         <button id=\"compare-play\" class=\"primary\" data-req=\"{{&quot;op&quot;:&quot;play&quot;,&quot;on&quot;:{}}}\" aria-pressed=\"{}\"{}>{}</button>\
         <button id=\"compare-end\" data-req=\"{{&quot;op&quot;:&quot;run_to_end&quot;}}\"{}>Run to end</button>\
         <label class=\"field\" for=\"compare-speed\">Speed</label><select id=\"compare-speed\" data-field=\"speed\">",
        play.1,
        play.2,
        disabled(!c.has_view || c.finished),
        play.0,
        disabled(!c.has_view || c.finished)
    );
    for (i, (key, label, _)) in SPEEDS.iter().enumerate() {
        let _ = write!(h, "<option value=\"{key}\"{}>{label}</option>", selected(i == c.speed));
    }
    h.push_str("</select><span class=\"spacer\"></span><button id=\"compare-close\" data-close=\"1\" title=\"Back to the single run (it is kept as it was)\">Close</button></div>");
    let _ = write!(
        h,
        "<div class=\"compare-bar\" role=\"group\" aria-label=\"Apply a fault\"><label class=\"field\" for=\"compare-fault\">Fault or action</label><select id=\"compare-fault\" data-field=\"choice\"{}>",
        disabled(c.menu.is_empty())
    );
    for (i, m) in c.menu.iter().enumerate() {
        let _ = write!(h, "<option value=\"{i}\"{}>{}</option>", selected(i as u32 == c.choice), escape(m));
    }
    let _ = write!(h, "</select><label class=\"field\" for=\"compare-target\">to</label><select id=\"compare-target\" data-field=\"target\"{}><option value=\"all\"{}>every run</option>", disabled(!c.has_view), selected(c.target.is_none()));
    for (i, l) in c.lanes.iter().enumerate() {
        let _ = write!(h, "<option value=\"{i}\"{}>run {}</option>", selected(c.target == Some(i as u32)), escape(l));
    }
    let _ = write!(
        h,
        "</select><button id=\"compare-apply\" data-req=\"{{&quot;op&quot;:&quot;apply_selected&quot;}}\"{}>Apply now</button></div>",
        disabled(!c.has_view || c.finished || c.menu.is_empty())
    );
    let status = if !c.has_view {
        "Pick a comparison to load its runs, or open a comparison file.".to_string()
    } else if c.finished {
        "Finished: every run reached the end.".to_string()
    } else if c.playing {
        format!("Playing at {}.", SPEEDS[c.speed.min(SPEEDS.len() - 1)].1)
    } else {
        "Paused.".to_string()
    };
    let _ = write!(h, "<p class=\"status\" role=\"status\" data-testid=\"compare-status\">{status}</p>");
    if !c.errors.is_empty() {
        h.push_str("<div class=\"errors\" role=\"alert\" data-testid=\"compare-errors\"><ul>");
        for e in c.errors {
            let _ = write!(h, "<li>{}</li>", escape(e));
        }
        h.push_str("</ul></div>");
    }
    h
}

/// The body before a comparison is open.
pub fn empty() -> String {
    "<p class=\"small-print\">Each ready-made comparison runs one seeded workload through two to four designs (log or queue, acks, rebalancing protocols, partitioning, idempotence, REST or events, batch or stream) on one clock. Play them, apply the same fault to every run, and read the scorecard. <strong>What if…</strong> in the single run's bar branches that run here instead.</p>".to_string()
}

pub fn render(v: &SideView) -> String {
    let mut h = String::new();
    let _ = write!(h, "<p class=\"clock\" data-testid=\"compare-time\">{} <span class=\"end\">of {}</span></p>", sim_time(v.now_us), &sim_time(v.end_us)[4..]);
    let _ = write!(h, "<h3>{}</h3>", escape(&v.name));
    if !v.description.is_empty() {
        let _ = write!(h, "<p class=\"small-print\">{}</p>", escape(&v.description));
    }
    if let Some(at) = v.branched_at_us {
        let _ = write!(
            h,
            "<p class=\"small-print\" data-testid=\"branch-note\">Branched at {}: every run shares the past up to there (the same trace hash); each takes its own actions after.</p>",
            sim_time(at)
        );
    }
    lanes(&mut h, v);
    scorecard(&mut h, v);
    charts(&mut h, v);
    h
}

fn lanes(h: &mut String, v: &SideView) {
    h.push_str("<div class=\"lanes\">");
    for (i, l) in v.lanes.iter().enumerate() {
        let applied: Vec<String> = v.applied.iter().filter(|a| a.lane.is_none_or(|n| n as usize == i)).map(|a| format!("{} {}", sim_time(a.t_us), a.label)).collect();
        let _ = write!(
            h,
            "<article class=\"lane\" data-testid=\"lane-{i}\"><h3><span class=\"swatch\" style=\"background: {}\"></span> {} <span class=\"muted\">{}</span></h3>\
             <dl class=\"figures small\">\
             <div class=\"figure\"><dt>Processed</dt><dd>{}</dd></div>\
             <div class=\"figure\"><dt>Backlog now</dt><dd>{}</dd></div>\
             <div class=\"figure\"><dt>Events</dt><dd>{}</dd></div>\
             <div class=\"figure wide\"><dt>Trace hash</dt><dd data-testid=\"lane-hash-{i}\">{}</dd></div></dl>",
            COLOURS[i % COLOURS.len()],
            escape(&l.label),
            escape(&l.design),
            count(l.processed),
            count(l.backlog),
            count(l.events),
            escape(&l.trace_hash)
        );
        if !applied.is_empty() {
            let _ = write!(h, "<p class=\"small-print\">Applied: {}</p>", escape(&applied.join("; ")));
        }
        h.push_str("</article>");
    }
    h.push_str("</div>");
}

fn scorecard(h: &mut String, v: &SideView) {
    let Some(card) = &v.scorecard else { return };
    h.push_str("<div class=\"scorecard\"><table class=\"grid\" data-testid=\"scorecard\"><caption class=\"sr-only\">Scorecard: one row per figure, one column per run; ≠ marks the rows that differ</caption><thead><tr><th scope=\"col\"></th>");
    for l in &v.lanes {
        let _ = write!(h, "<th scope=\"col\" class=\"num\">{}</th>", escape(&l.label));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &card.rows {
        let _ = write!(
            h,
            "<tr{} data-key=\"{}\"><th scope=\"row\">{}{}</th>",
            if r.differs { " class=\"differs\"" } else { "" },
            escape(&r.key),
            if r.differs { "≠ " } else { "" },
            escape(&r.label)
        );
        for value in &r.values {
            let _ = write!(h, "<td class=\"num\">{}</td>", escape(value));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    // What the differences mean (the bare "differs between runs" needs no line of its own).
    let notes: Vec<_> = card.notes.iter().filter(|(_, n)| n != "differs between runs").collect();
    if !notes.is_empty() {
        h.push_str("<ul class=\"notes small-print\">");
        for (key, note) in notes {
            let _ = write!(h, "<li><strong>{}</strong>: {}</li>", escape(key), escape(note));
        }
        h.push_str("</ul>");
    }
    h.push_str("</div>");
}

/// One chart line: a run's label, its colour and a value per sample.
struct Line<'a> {
    label: &'a str,
    colour: &'static str,
    values: Vec<f64>,
}

fn charts(h: &mut String, v: &SideView) {
    let lines = |f: fn(&LaneSeries) -> Vec<f64>| -> Vec<Line<'_>> {
        v.lanes.iter().enumerate().map(|(i, l)| Line { label: &l.label, colour: COLOURS[i % COLOURS.len()], values: f(&l.series) }).collect()
    };
    h.push_str("<div class=\"chart-grid\">");
    chart(h, v, "Processed per second", "records/s", "compare-chart-throughput", &lines(|s| s.throughput.clone()), false);
    chart(h, v, "Latency p99", "ms", "compare-chart-latency", &lines(|s| s.p99_ms.clone()), false);
    chart(h, v, "Backlog", "records", "compare-chart-backlog", &lines(|s| s.backlog.iter().map(|&b| b as f64).collect()), true);
    h.push_str("</div>");
}

fn number(v: f64, integer: bool) -> String {
    if integer || v >= 100.0 {
        count(libm::round(v) as u64)
    } else {
        format!("{v:.1}")
    }
}

/// An SVG line chart over the whole run's time axis.
fn chart(h: &mut String, v: &SideView, title: &str, unit: &str, testid: &str, lines: &[Line<'_>], integer: bool) {
    const W: f64 = 600.0;
    const H: f64 = 170.0;
    let (left, right, top, bottom) = (52.0, W - 14.0, 8.0, H - 22.0);
    let end_s = (v.end_us as f64 / 1e6).max(0.001);
    let peak = lines.iter().flat_map(|l| l.values.iter().copied()).fold(0.0, f64::max);
    let y_max = nice_max(peak * 1.1, integer);
    let x_of = |t_us: u64| left + (t_us as f64 / 1e6) / end_s * (right - left);
    let y_of = |value: f64| bottom - value / y_max * (bottom - top);
    let alt = lines
        .iter()
        .map(|l| format!("run {} {} now (peak {})", l.label, number(l.values.last().copied().unwrap_or(0.0), integer), number(l.values.iter().copied().fold(0.0, f64::max), integer)))
        .collect::<Vec<_>>()
        .join("; ");
    let _ = write!(
        h,
        "<figure class=\"chart\"><figcaption>{} <span class=\"muted\">({})</span></figcaption>\
         <svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}: {}\" data-testid=\"{testid}\" class=\"svg-chart\">",
        escape(title),
        escape(unit),
        escape(title),
        escape(&alt)
    );
    for i in 0..=4 {
        let value = y_max * f64::from(i) / 4.0;
        let y = y_of(value);
        let label = if integer || y_max >= 10.0 { count(libm::round(value) as u64) } else { format!("{value:.1}") };
        let _ = write!(h, "<line x1=\"{left}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid-line\"/><text x=\"{}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{label}</text>", left - 4.0, y + 4.0);
    }
    let step = nice_step(end_s / 6.0);
    let mut t = 0.0;
    while t <= end_s + 1e-9 {
        let x = x_of((t * 1e6) as u64);
        let _ = write!(h, "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{bottom}\" class=\"grid-line\"/><text x=\"{x:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{t:.0} s</text>", bottom + 15.0);
        t += step;
    }
    for a in &v.applied {
        let x = x_of(a.t_us);
        let _ = write!(h, "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{bottom}\" class=\"marker fault\"><title>{} {}</title></line>", sim_time(a.t_us), escape(&a.label));
    }
    if let Some(at) = v.branched_at_us {
        let x = x_of(at);
        let _ = write!(h, "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{bottom}\" class=\"marker\"><title>{} branch point</title></line>", sim_time(at));
    }
    for l in lines {
        h.push_str("<polyline fill=\"none\" stroke-width=\"2\" style=\"stroke: ");
        h.push_str(l.colour);
        h.push_str("\" points=\"");
        for (t_us, value) in v.t_us.iter().zip(&l.values) {
            let _ = write!(h, "{:.1},{:.1} ", x_of(*t_us), y_of(*value));
        }
        h.push_str("\"/>");
    }
    h.push_str("</svg><ul class=\"legend\">");
    for l in lines {
        let _ = write!(h, "<li><span class=\"swatch\" style=\"background: {}\"></span> run {}</li>", l.colour, escape(l.label));
    }
    h.push_str("</ul></figure>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::side_by_side::{AppliedView, LaneView, ScoreRow, Scorecard};

    fn view() -> SideView {
        let lane = |label: &str| LaneView {
            label: label.into(),
            design: "log".into(),
            events: 1234,
            trace_hash: "00000000000000ff".into(),
            processed: 1_000_000,
            backlog: 3,
            series: LaneSeries { throughput: vec![100.0, 200.0], p99_ms: vec![1.5, 2.5], backlog: vec![0, 3] },
        };
        SideView {
            name: "a <b> & c".into(),
            description: "\"quoted\"".into(),
            now_us: 2_000_000,
            end_us: 10_000_000,
            branched_at_us: Some(1_000_000),
            t_us: vec![1_000_000, 2_000_000],
            lanes: vec![lane("A"), lane("<script>")],
            applied: vec![AppliedView { t_us: 1_500_000, label: "Crash broker 0".into(), lane: Some(1) }],
            scorecard: Some(Scorecard {
                rows: vec![ScoreRow { key: "lost_acked".into(), label: "acknowledged lost".into(), values: vec!["0".into(), "7".into()], differs: true }],
                notes: vec![("lost_acked".into(), "lost in: <script>".into())],
            }),
        }
    }

    #[test]
    fn every_outside_text_is_escaped() {
        let h = render(&view());
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("a &lt;b&gt; &amp; c") && h.contains("&quot;quoted&quot;") && h.contains("&lt;script&gt;"));
    }

    #[test]
    fn cards_scorecard_and_charts_are_all_there() {
        let h = render(&view());
        assert_eq!(h.matches("<article class=\"lane\"").count(), 2);
        assert!(h.contains("data-testid=\"lane-hash-1\">00000000000000ff<"));
        assert!(h.contains("1\u{2009}000\u{2009}000"), "counts are grouped");
        assert!(h.contains("<tr class=\"differs\" data-key=\"lost_acked\"><th scope=\"row\">≠ acknowledged lost</th><td class=\"num\">0</td><td class=\"num\">7</td></tr>"));
        assert_eq!(h.matches("<svg ").count(), 3);
        assert_eq!(h.matches("<polyline").count(), 6, "one line per run on each chart");
        assert_eq!(h.matches("class=\"marker fault\"").count(), 3, "the fault on every chart");
        assert!(h.contains("Applied: t = 00:01.500 Crash broker 0"), "only in run 2's card");
        assert_eq!(h.matches("Applied:").count(), 1);
        assert!(h.contains("data-testid=\"branch-note\">Branched at t = 00:01.000"));
        assert!(h.contains("aria-label=\"Processed per second: run A 200 now (peak 200); run &lt;script&gt; 200 now (peak 200)\""));
    }
}
