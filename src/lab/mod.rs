//! The comparison lab: the comparison view's state and what the page and its worker say to each
//! other. The page sends a [`Request`] as JSON text; the worker answers each with one [`Reply`], and
//! while the runs play it sends a reply per tick unasked. [`Lab`] holds the open comparison
//! ([`SideBySide`]), the action menu, the controls' state (playing, speed, the chosen fault and
//! target) and the last scorecard, and renders the view as HTML (`html.rs`): the page only puts that
//! HTML in place and forwards clicks and changes (elements carry `data-req` or `data-field`).
//!
//! Pure and synchronous: the worker (`src/worker.rs`) is a thin shell that passes text in and out
//! and keeps the clock; native tests drive `Lab` directly. `Request` and `Reply` are compiled
//! everywhere; `Lab` (every design's engine: queue, rest/events, batch/stream as well as the log)
//! only with the `all-designs` feature, so it is in the worker's wasm and not in the app's, which
//! the page loads first and keeps small.

use serde::{Deserialize, Serialize};

#[cfg(feature = "all-designs")]
mod html;
pub mod scale;

#[cfg(feature = "all-designs")]
use crate::engine::side_by_side::{Scorecard, SideBySide, SideView, MAX_LANES};
#[cfg(feature = "all-designs")]
use crate::scenario::builtin::{builtin, builtin_comparison, COMPARISONS};
#[cfg(feature = "all-designs")]
use crate::scenario::comparison::parse_comparison;
#[cfg(feature = "all-designs")]
use crate::scenario::{parse_session, Action, Scenario};
#[cfg(feature = "all-designs")]
use crate::text::first_sentence;

/// What the page asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Render the view as it is (the page asks once the worker is ready).
    Show,
    /// Open a ready-made comparison by name.
    Open { name: String },
    /// Open a comparison file's text.
    OpenText { text: String },
    /// A what-if branch: the session (a session file's text) replayed into `runs` lanes (2 unless
    /// said).
    Branch {
        session: String,
        #[serde(default = "two")]
        runs: u32,
    },
    /// Play or pause.
    Play { on: bool },
    /// A control changed: `pick` (a ready-made comparison's name), `speed` (`1`, `10`, `100`,
    /// `max`), `choice` (a menu index), `target` (`all` or a lane index).
    Set { field: String, value: String },
    /// `elapsed_ms` of wall time went by: while playing, advance by that times the speed.
    Tick { elapsed_ms: f64 },
    /// Run every lane to `to_us`; with a new scorecard if asked.
    Advance { to_us: u64, scorecard: bool },
    /// Every lane to the end.
    RunToEnd,
    /// Apply menu entry `choice` now, to lane `lane` or to all.
    Apply { choice: u32, lane: Option<u32> },
    /// Apply the chosen entry to the chosen target (the controls' state).
    ApplySelected,
}

fn two() -> u32 {
    2
}

/// A request as JSON text: `op` and text fields. The page writes its requests with this, so its
/// wasm needs no serializer for `Request`.
pub fn request_text(op: &str, fields: &[(&str, &str)]) -> String {
    let mut s = format!("{{\"op\":\"{op}\"");
    for (key, value) in fields {
        s += &format!(",\"{key}\":{}", serde_json::to_string(value).unwrap_or_default());
    }
    s + "}"
}

/// What the worker sends: the parts of the view that changed, as HTML, and where the runs are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reply {
    /// `ready` (sent once, unasked, when the worker listens), `view`, or `failed` (the request
    /// could not be done: `errors`, each naming the field and the reason; they show in the controls).
    pub kind: String,
    /// The controls (picker, play, speed, fault, target, errors), when they changed.
    pub controls: Option<String>,
    /// The runs' cards, the scorecard and the overlaid charts, when they changed.
    pub body: Option<String>,
    pub errors: Vec<String>,
    /// Each lane's trace hash, in lane order.
    pub hashes: Vec<String>,
    pub now_us: u64,
    pub end_us: u64,
    /// The runs play: the worker will send ticks' replies unasked.
    pub playing: bool,
}

/// Requests longer than this are refused (a comparison file or a session is far smaller).
pub const MAX_REQUEST_BYTES: usize = 8 << 20;

/// Wall time between two scorecards while playing (each reads every lane's whole report).
pub const SCORECARD_EVERY_MS: f64 = 500.0;

/// Simulated time one tick covers at "max" speed.
#[cfg(feature = "all-designs")]
const MAX_SPEED_STEP_US: u64 = 2_000_000;

/// The speeds offered, as (key, label, simulated µs per wall ms; 0 for max).
pub const SPEEDS: [(&str, &str, f64); 4] = [("1", "1×", 1_000.0), ("10", "10×", 10_000.0), ("100", "100×", 100_000.0), ("max", "max", 0.0)];

/// A comparison that is open.
#[cfg(feature = "all-designs")]
struct Open {
    side: SideBySide,
    menu: Vec<(String, Action)>,
    /// The ready-made comparison's name, or "" (a file, a branch).
    picked: String,
    /// The last scorecard built; a tick between two scorecards shows it again.
    card: Option<Scorecard>,
}

/// The view's state: the open comparison, if any, and the controls.
#[cfg(feature = "all-designs")]
pub struct Lab {
    /// The ready-made comparisons: (name, first sentence of the description).
    list: Vec<(String, String)>,
    open: Option<Open>,
    playing: bool,
    speed: usize,
    choice: u32,
    target: Option<u32>,
    errors: Vec<String>,
    since_card_ms: f64,
    /// The controls' HTML last sent, so a reply carries them only when they changed.
    last_controls: String,
}

#[cfg(feature = "all-designs")]
impl Default for Lab {
    fn default() -> Lab {
        let list = COMPARISONS
            .iter()
            .map(|(name, text)| (name.to_string(), parse_comparison(text, builtin).map(|c| first_sentence(&c.description).to_string()).unwrap_or_default()))
            .collect();
        Lab { list, open: None, playing: false, speed: 1, choice: 0, target: None, errors: Vec::new(), since_card_ms: 0.0, last_controls: String::new() }
    }
}

#[cfg(feature = "all-designs")]
impl Lab {
    /// Handle one request given as JSON text; the reply as JSON text. Never panics on bad input.
    pub fn handle_json(&mut self, text: &str) -> String {
        let reply = if text.len() > MAX_REQUEST_BYTES {
            self.fail(vec![format!("request of {} bytes; at most {MAX_REQUEST_BYTES} are accepted", text.len())])
        } else {
            match serde_json::from_str::<Request>(text) {
                Ok(r) => self.handle(r),
                Err(e) => self.fail(vec![format!("not a request the comparison worker understands: {e}")]),
            }
        };
        serde_json::to_string(&reply).unwrap_or_else(|e| format!("{{\"kind\":\"failed\",\"errors\":[\"cannot write the reply: {e}\"]}}"))
    }

    /// The runs are playing (the worker keeps ticking).
    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn handle(&mut self, request: Request) -> Reply {
        match request {
            Request::Show => {
                self.last_controls.clear();
                self.reply(true)
            }
            Request::Open { name } => match builtin_comparison(&name) {
                Some(text) => self.open_text(text, &name),
                None => self.fail(vec![format!("no ready-made comparison is called \"{name}\"")]),
            },
            Request::OpenText { text } => self.open_text(&text, ""),
            Request::Branch { session, runs } => {
                if !(2..=MAX_LANES as u32).contains(&runs) {
                    return self.fail(vec![format!("runs: {runs}; a what-if branch has 2 to {MAX_LANES} runs")]);
                }
                match parse_session(&session) {
                    Ok(s) => {
                        let labels: Vec<String> = (0..runs).map(|i| char::from(b'A' + i as u8).to_string()).collect();
                        let side = SideBySide::branch(&s, &labels);
                        let menu = side.menu(&[&s.scenario]);
                        self.opened(side, menu, "")
                    }
                    Err(errors) => self.fail(errors.iter().map(|e| format!("session: {e}")).collect()),
                }
            }
            Request::Play { on } => {
                self.playing = on && self.open.as_ref().is_some_and(|o| o.side.now_us() < o.side.end_us());
                self.since_card_ms = 0.0;
                // Paused: the scorecard of this very moment.
                match &mut self.open {
                    Some(o) if !self.playing => {
                        o.card = Some(o.side.scorecard());
                        self.reply(true)
                    }
                    _ => self.reply(false),
                }
            }
            Request::Set { field, value } => self.set(&field, &value),
            Request::Tick { elapsed_ms } => {
                let Some(o) = &self.open else { return self.reply(false) };
                if !self.playing {
                    return self.reply(false);
                }
                let per_ms = SPEEDS[self.speed].2;
                let step = if per_ms == 0.0 { MAX_SPEED_STEP_US } else { (per_ms * elapsed_ms.clamp(0.0, 250.0)) as u64 };
                let to_us = o.side.now_us().saturating_add(step.max(1));
                self.since_card_ms += elapsed_ms.max(0.0);
                let card = self.since_card_ms >= SCORECARD_EVERY_MS;
                if card {
                    self.since_card_ms = 0.0;
                }
                self.advance(to_us, card)
            }
            Request::Advance { to_us, scorecard } => {
                if self.open.is_none() {
                    return self.fail(vec!["no comparison is open".into()]);
                }
                self.advance(to_us, scorecard)
            }
            Request::RunToEnd => match &self.open {
                Some(o) => {
                    let end = o.side.end_us();
                    self.advance(end, true)
                }
                None => self.fail(vec!["no comparison is open".into()]),
            },
            Request::ApplySelected => self.apply(self.choice, self.target),
            Request::Apply { choice, lane } => self.apply(choice, lane),
        }
    }

    /// The labels of the open comparison's action menu.
    pub fn menu(&self) -> Vec<String> {
        self.open.as_ref().map(|o| o.menu.iter().map(|(l, _)| l.clone()).collect()).unwrap_or_default()
    }

    /// The open comparison's view as it stands (for tests and tools).
    pub fn view(&self, with_scorecard: bool) -> Option<SideView> {
        self.open.as_ref().map(|o| o.side.view(with_scorecard))
    }

    fn set(&mut self, field: &str, value: &str) -> Reply {
        match field {
            "pick" if value.is_empty() => self.reply(false),
            "pick" => self.handle(Request::Open { name: value.to_string() }),
            "speed" => match SPEEDS.iter().position(|s| s.0 == value) {
                Some(i) => {
                    self.speed = i;
                    self.reply(false)
                }
                None => self.fail(vec![format!("speed: \"{value}\"; expected one of 1, 10, 100, max")]),
            },
            "choice" => match value.parse::<u32>() {
                Ok(c) if (c as usize) < self.open.as_ref().map_or(0, |o| o.menu.len()) => {
                    self.choice = c;
                    self.reply(false)
                }
                _ => self.fail(vec![format!("choice: \"{value}\" is not an entry of the menu")]),
            },
            "target" if value == "all" => {
                self.target = None;
                self.reply(false)
            }
            "target" => match value.parse::<u32>() {
                Ok(l) if (l as usize) < self.open.as_ref().map_or(0, |o| o.side.lanes()) => {
                    self.target = Some(l);
                    self.reply(false)
                }
                _ => self.fail(vec![format!("target: \"{value}\" is not a run of this comparison")]),
            },
            _ => self.fail(vec![format!("field: \"{field}\"; expected pick, speed, choice or target")]),
        }
    }

    fn advance(&mut self, to_us: u64, scorecard: bool) -> Reply {
        let Some(o) = &mut self.open else { return self.reply(false) };
        o.side.advance_to(to_us);
        if scorecard || o.side.now_us() >= o.side.end_us() {
            o.card = Some(o.side.scorecard());
        }
        if o.side.now_us() >= o.side.end_us() {
            self.playing = false;
        }
        self.errors.clear();
        self.reply(true)
    }

    fn apply(&mut self, choice: u32, lane: Option<u32>) -> Reply {
        let Some(o) = &mut self.open else { return self.fail(vec!["no comparison is open".into()]) };
        let Some((label, action)) = o.menu.get(choice as usize).cloned() else {
            let n = o.menu.len();
            return self.fail(vec![format!("choice: {choice}; the menu has {n} entries")]);
        };
        if lane.is_some_and(|l| l as usize >= o.side.lanes()) {
            let n = o.side.lanes();
            return self.fail(vec![format!("lane: {}; this comparison has {n} runs", lane.unwrap_or(0))]);
        }
        o.side.apply(lane, &label, &action);
        o.card = Some(o.side.scorecard());
        self.errors.clear();
        self.reply(true)
    }

    fn open_text(&mut self, text: &str, name: &str) -> Reply {
        // A plain scenario file (of any design) opens as a comparison of one run.
        if !crate::scenario::comparison::is_comparison(text) {
            return match crate::scenario::parse_scenario(text) {
                Ok(sc) => {
                    let runs = vec![(sc.name.clone(), sc)];
                    let side = SideBySide::new(&runs[0].0, &runs[0].1.description, &runs);
                    let menu = side.menu(&[&runs[0].1]);
                    self.opened(side, menu, name)
                }
                Err(errors) => self.fail(errors.iter().map(|e| e.to_string()).collect()),
            };
        }
        match parse_comparison(text, builtin) {
            Ok(c) => {
                let side = SideBySide::new(&c.name, &c.description, &c.runs);
                let scenarios: Vec<&Scenario> = c.runs.iter().map(|(_, s)| s).collect();
                let menu = side.menu(&scenarios);
                self.opened(side, menu, name)
            }
            Err(errors) => self.fail(errors.iter().map(|e| e.to_string()).collect()),
        }
    }

    fn opened(&mut self, side: SideBySide, menu: Vec<(String, Action)>, picked: &str) -> Reply {
        let card = Some(side.scorecard());
        self.open = Some(Open { side, menu, picked: picked.into(), card });
        self.playing = false;
        self.choice = 0;
        self.target = None;
        self.errors.clear();
        self.reply(true)
    }

    fn fail(&mut self, errors: Vec<String>) -> Reply {
        self.errors = errors;
        self.playing = false;
        let mut r = self.reply(false);
        r.kind = "failed".into();
        r.errors = self.errors.clone();
        r
    }

    /// The reply: the controls if they changed, the body if asked.
    fn reply(&mut self, with_body: bool) -> Reply {
        let controls = html::controls(&html::Controls {
            list: &self.list,
            picked: self.open.as_ref().map_or("", |o| o.picked.as_str()),
            branch: self.open.as_ref().is_some_and(|o| o.picked.is_empty()),
            has_view: self.open.is_some(),
            finished: self.open.as_ref().is_some_and(|o| o.side.now_us() >= o.side.end_us()),
            playing: self.playing,
            speed: self.speed,
            menu: self.open.as_ref().map(|o| o.menu.iter().map(|(l, _)| l.as_str()).collect()).unwrap_or_default(),
            choice: self.choice,
            lanes: self.open.as_ref().map(|o| o.side.labels()).unwrap_or_default(),
            target: self.target,
            errors: &self.errors,
        });
        let changed = controls != self.last_controls;
        if changed {
            self.last_controls = controls.clone();
        }
        let mut r = Reply { kind: "view".into(), controls: changed.then_some(controls), playing: self.playing, ..Default::default() };
        if let Some(o) = &self.open {
            let mut view = o.side.view(false);
            view.scorecard = o.card.clone();
            r.hashes = view.lanes.iter().map(|l| l.trace_hash.clone()).collect();
            r.now_us = view.now_us;
            r.end_us = view.end_us;
            if with_body {
                r.body = Some(html::render(&view));
            }
        } else if with_body {
            r.body = Some(html::empty());
        }
        r
    }
}
