//! The comparison lab: what the page and its comparison worker say to each other. The page sends a
//! [`Request`] as JSON text and gets one [`Reply`] back per request. [`Lab`] holds the open
//! comparison ([`SideBySide`]) and the menu of actions offered for it. Pure and synchronous: the
//! worker (`src/worker.rs`) is a thin shell that passes text in and out. Native tests drive it
//! directly.
//!
//! Every design's engine is here (queue, rest/events, batch/stream as well as the log). The worker
//! is a separate wasm that the page loads only when the comparison view opens, so the app's own wasm
//! stays small.

use serde::{Deserialize, Serialize};

use crate::engine::side_by_side::{SideBySide, SideView, MAX_LANES};
use crate::scenario::builtin::{builtin, builtin_comparison, COMPARISONS};
use crate::scenario::comparison::parse_comparison;
use crate::scenario::{parse_session, Action, Scenario};

/// What the page asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The ready-made comparisons.
    List,
    /// Open a ready-made comparison by name.
    Open { name: String },
    /// Open a comparison file's text.
    OpenText { text: String },
    /// A what-if branch: the session (a session file's text) replayed into `runs` lanes.
    Branch { session: String, runs: u32 },
    /// Run every lane to `to_us`; with the scorecard if asked.
    Advance { to_us: u64, scorecard: bool },
    /// Apply the menu's entry `choice` now, to lane `lane` or to all.
    Apply { choice: u32, lane: Option<u32> },
}

/// A ready-made comparison as the picker lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub title: String,
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The worker has loaded and listens (sent once, unasked).
    Ready,
    List { comparisons: Vec<Entry> },
    /// A comparison is open: its view (with the scorecard) and the labels of its action menu.
    Opened { view: SideView, menu: Vec<String> },
    View { view: SideView },
    /// The request could not be done; each line names the field and the reason.
    Failed { errors: Vec<String> },
}

/// The worker's state: the open comparison, if any.
#[derive(Default)]
pub struct Lab {
    open: Option<(SideBySide, Vec<(String, Action)>)>,
}

/// Requests longer than this are refused (a comparison file or a session is far smaller).
pub const MAX_REQUEST_BYTES: usize = 8 << 20;

fn failed(errors: Vec<String>) -> Reply {
    Reply::Failed { errors }
}

impl Lab {
    /// Handle one request given as JSON text; the reply as JSON text. Never panics on bad input.
    pub fn handle_json(&mut self, text: &str) -> String {
        let reply = if text.len() > MAX_REQUEST_BYTES {
            failed(vec![format!("request of {} bytes; at most {MAX_REQUEST_BYTES} are accepted", text.len())])
        } else {
            match serde_json::from_str::<Request>(text) {
                Ok(r) => self.handle(r),
                Err(e) => failed(vec![format!("not a request the comparison worker understands: {e}")]),
            }
        };
        serde_json::to_string(&reply).unwrap_or_else(|e| format!("{{\"reply\":\"failed\",\"errors\":[\"cannot write the reply: {e}\"]}}"))
    }

    pub fn handle(&mut self, request: Request) -> Reply {
        match request {
            Request::List => Reply::List {
                comparisons: COMPARISONS
                    .iter()
                    .map(|(name, text)| Entry {
                        name: name.to_string(),
                        title: parse_comparison(text, builtin).map(|c| first_sentence(&c.description).to_string()).unwrap_or_default(),
                    })
                    .collect(),
            },
            Request::Open { name } => match builtin_comparison(&name) {
                Some(text) => self.open_text(text),
                None => failed(vec![format!("no ready-made comparison is called \"{name}\"")]),
            },
            Request::OpenText { text } => self.open_text(&text),
            Request::Branch { session, runs } => {
                if !(2..=MAX_LANES as u32).contains(&runs) {
                    return failed(vec![format!("runs: {runs}; a what-if branch has 2 to {MAX_LANES} runs")]);
                }
                match parse_session(&session) {
                    Ok(s) => {
                        let labels: Vec<String> = (0..runs).map(|i| char::from(b'A' + i as u8).to_string()).collect();
                        let side = SideBySide::branch(&s, &labels);
                        let menu = side.menu(&[&s.scenario]);
                        self.opened(side, menu)
                    }
                    Err(errors) => failed(errors.iter().map(|e| format!("session: {e}")).collect()),
                }
            }
            Request::Advance { to_us, scorecard } => match &mut self.open {
                Some((side, _)) => {
                    side.advance_to(to_us);
                    Reply::View { view: side.view(scorecard) }
                }
                None => failed(vec!["no comparison is open".into()]),
            },
            Request::Apply { choice, lane } => match &mut self.open {
                Some((side, menu)) => match menu.get(choice as usize) {
                    Some((label, action)) if lane.is_none_or(|l| (l as usize) < side.lanes()) => {
                        side.apply(lane, label, action);
                        Reply::View { view: side.view(true) }
                    }
                    Some(_) => failed(vec![format!("lane: {}; this comparison has {} runs", lane.unwrap_or(0), side.lanes())]),
                    None => failed(vec![format!("choice: {choice}; the menu has {} entries", menu.len())]),
                },
                None => failed(vec!["no comparison is open".into()]),
            },
        }
    }

    fn open_text(&mut self, text: &str) -> Reply {
        match parse_comparison(text, builtin) {
            Ok(c) => {
                let side = SideBySide::new(&c.name, &c.description, &c.runs);
                let scenarios: Vec<&Scenario> = c.runs.iter().map(|(_, s)| s).collect();
                let menu = side.menu(&scenarios);
                self.opened(side, menu)
            }
            Err(errors) => failed(errors.iter().map(|e| e.to_string()).collect()),
        }
    }

    fn opened(&mut self, side: SideBySide, menu: Vec<(String, Action)>) -> Reply {
        let reply = Reply::Opened { view: side.view(true), menu: menu.iter().map(|(l, _)| l.clone()).collect() };
        self.open = Some((side, menu));
        reply
    }
}

/// The first sentence of a description (up to the first ". ").
fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}
