//! The app's one store: which built-in scenario is loaded, with which seed, the running `Sim`, its
//! latest `Summary`, and the transport state (playing, speed). Every change goes through the closed
//! `Action` enum and `Store::update`. The store never reads a clock: the frame hook passes the wall
//! time in `Action::Frame`, and each frame does a bounded amount of engine work
//! (`MAX_EVENTS_PER_FRAME`), so the page stays responsive at any speed.
//!
//! It holds view state and sends commands to the engine; it knows nothing of the DOM, storage or Yew,
//! so it compiles natively and is tested there (`tests/store.rs`). The app (`ui::store`) makes it
//! Yew's `Reducible`: `reduce` is `update` followed by the side effects (saving the workspace,
//! remembering the session for the error panel), and the app passes what it loaded from
//! localStorage to `Store::new`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::engine::{Rewind, Sim, Summary};
use crate::scenario::builtin::BUILTIN_NAMES;
use crate::scenario::workspace::{Workspace, WORKSPACE_VERSION};
use crate::scenario::{parse_scenario, Action as SimAction, AppliedAction, Scenario, Session, StopAt};

/// Going forwards, the store keeps a copy of the run every this many events (at first), so going
/// back re-simulates at most about this many events (in the browser, a few tenths of a second).
pub const CHECKPOINT_EVENTS: u64 = 250_000;
/// Copies kept at most: past this, every other one goes and the spacing doubles (memory stays
/// bounded on long runs; going back then re-simulates at most twice as far, and so on).
pub const MAX_CHECKPOINTS: usize = 16;
/// A seek (the timeline, Step back) runs at most this many engine events per frame, so a long one
/// (re-simulating from a copy far back, or going far ahead) keeps the page responsive and shows the
/// run sweeping to its target.
pub const SEEK_EVENTS_PER_FRAME: u64 = 100_000;
/// What the Step button advances: 100 ms of simulated time.
pub const STEP_US: u64 = 100_000;
/// The most engine events one animation frame may process, at any speed.
pub const MAX_EVENTS_PER_FRAME: u64 = 20_000;
/// The longest wall-clock gap one frame accounts for: a tab coming back from the background resumes
/// where it was instead of catching up in one long frame.
pub const MAX_FRAME_WALL_MS: f64 = 100.0;
/// A speed-scaled frame advances simulated time in at most this many slices, checking the event budget
/// after each one.
const SLICES_PER_FRAME: u64 = 32;

/// How fast simulated time runs against wall time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    X1,
    X10,
    X100,
    /// As many events as the per-frame budget allows.
    Max,
}

impl Speed {
    pub const ALL: [Speed; 4] = [Speed::X1, Speed::X10, Speed::X100, Speed::Max];

    pub fn label(self) -> &'static str {
        match self {
            Speed::X1 => "1×",
            Speed::X10 => "10×",
            Speed::X100 => "100×",
            Speed::Max => "max",
        }
    }

    /// The value of the speed `<select>` option.
    pub fn key(self) -> &'static str {
        match self {
            Speed::X1 => "1",
            Speed::X10 => "10",
            Speed::X100 => "100",
            Speed::Max => "max",
        }
    }

    pub fn from_key(key: &str) -> Option<Speed> {
        Speed::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Simulated microseconds per wall-clock millisecond; `None` for `Max`.
    pub(crate) fn sim_us_per_wall_ms(self) -> Option<f64> {
        match self {
            Speed::X1 => Some(1_000.0),
            Speed::X10 => Some(10_000.0),
            Speed::X100 => Some(100_000.0),
            Speed::Max => None,
        }
    }
}

/// Everything that can happen to the store.
// One action at a time goes through the store, so an engine action held inline costs nothing worth
// a box (the lint fires on 64-bit targets only; on wasm32 the variants are closer in size).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Load built-in scenario `BUILTIN_NAMES[index]` with its own seed, paused at t = 0.
    SelectScenario(usize),
    /// Restart the loaded scenario with this seed, paused at t = 0.
    SetSeed(u64),
    Play,
    Pause,
    /// Pause and advance `STEP_US` of simulated time.
    Step,
    /// Pause and go back `STEP_US` of simulated time (the run is re-simulated up to there).
    StepBack,
    /// Pause and process the next engine event, saying in words what it was.
    StepEvent,
    /// Pause and go back one engine event (re-simulated), saying what the last event now is.
    StepEventBack,
    /// Pause and move to this simulated time (µs), forwards or backwards.
    Seek(u64),
    SetSpeed(Speed),
    /// Restart the loaded scenario with the current seed, paused at t = 0.
    Reset,
    /// One tick of the frame hook, with the wall time in milliseconds (`performance.now()`).
    Frame { wall_ms: f64 },
    /// Apply a fault or an action to the running simulation now (crash a broker, reset offsets …).
    Apply(SimAction),
    /// The scenario editor's text changed (kept and checked, not run yet).
    Edit(String),
    /// Run the editor's text (when it is a valid scenario), from t = 0.
    RunSource,
    /// Drop the edits of the selected scenario and run the built-in one.
    RevertSource,
    /// Open a session (a share link's, or an imported session file's): replay it, paused where it
    /// stopped.
    OpenSession(Box<Session>, Rc<String>),
    /// The built-in scenarios' texts, fetched from `scenarios/` next to the page.
    BuiltinsLoaded(Vec<String>),
    /// They could not be fetched: why.
    BuiltinsFailed(String),
    /// A share link could not be opened: why (`path: message` each). The current run stays.
    LinkFailed(Vec<String>),
    /// Show the story of record (producer, sequence number), or close it.
    ShowRecord(Option<(u32, u64)>),
}

/// The state of the app. Cloning is cheap: the `Sim` and the scenario are behind `Rc`.
#[derive(Clone)]
pub struct Store {
    /// Index into `BUILTIN_NAMES`; `None` when the build has no built-in scenario.
    pub selected: Option<usize>,
    pub seed: u64,
    /// The loaded scenario as parsed (its own seed), when it parsed.
    scenario: Option<Rc<Scenario>>,
    /// Every error of the selected scenario file, as `path: message`.
    pub errors: Rc<Vec<String>>,
    sim: Option<Rc<RefCell<Sim>>>,
    pub summary: Summary,
    pub playing: bool,
    pub speed: Speed,
    /// Wall time of the previous frame while playing.
    last_wall_ms: Option<f64>,
    /// Actions applied from the page so far (they change views without moving time).
    pub applied: u64,
    /// A note about the last rewind ("1 later action was undone").
    pub notice: Option<String>,
    /// The user's edited text per built-in scenario (saved in the browser).
    edits: Rc<BTreeMap<String, String>>,
    /// The editor's text and its errors (`path: message`), empty when it is a valid scenario.
    pub source: Rc<String>,
    pub source_errors: Rc<Vec<String>>,
    /// The saved workspace could not be read (it was set aside); shown until the next reload.
    pub storage_problem: Option<String>,
    /// The run was opened from a share link or a session file (its scenario's name): edits to it are
    /// not saved over the user's own edits of a built-in.
    pub shared: Option<String>,
    /// Why the last share link could not be opened (`path: message` each).
    pub link_errors: Rc<Vec<String>>,
    /// The record whose story is shown: (producer index, sequence number).
    pub record: Option<(u32, u64)>,
    /// The last engine event in words, after stepping by events: (its number, its time, the words).
    /// Views show it while the run stands at that event (`narration()`).
    narrated: Option<Rc<(u64, u64, String)>>,
    /// Copies of this run taken as it went forwards, every `checkpoint_every` events: going back
    /// re-simulates from the latest one before the target instead of from t = 0.
    checkpoints: Rc<Vec<Rc<Sim>>>,
    checkpoint_every: u64,
    /// The seek in progress, run a slice per frame (`SEEK_EVENTS_PER_FRAME`).
    seeking: Option<Rc<Seeking>>,
    /// The built-in scenarios' text, in `BUILTIN_NAMES` order, once fetched (empty until then).
    texts: Rc<Vec<String>>,
    /// What to load when the texts arrive: the scenario index and the saved seed.
    pending: Option<(usize, Option<u64>)>,
    /// The JSON text of the scenario the run was made from (its own seed): sessions, share links
    /// and what-if branches are written from it.
    running: Rc<String>,
    /// The checker's last findings and the moment they are for (see `findings`), shared by the
    /// checker panel and the log view.
    checked: Rc<RefCell<Option<(FindingsKey, Findings)>>>,
}

/// A seek on its way: the run replays `actions` (the ones it has not applied yet, where they were
/// first applied) and stops at `stop`; `dropped` of the run's actions came after the target.
struct Seeking {
    /// Going back: the time of the run it re-simulates from (a saved copy's, or 0).
    from_us: Option<u64>,
    actions: Vec<AppliedAction>,
    stop: StopAt,
    dropped: usize,
}

/// What the findings were computed for: events (while playing, in steps of CHECK_EVERY), the
/// trace hash, the actions applied, the scenario.
type FindingsKey = (u64, u64, u64, Option<usize>);
/// The checker's counts and its first `FINDINGS_PER_KIND` findings of each kind.
pub type Findings = Rc<(crate::engine::report::Anomalies, Vec<crate::engine::checker::Finding>)>;
/// Findings of each kind kept for the views (the checker lists the first few; the log outlines these).
pub const FINDINGS_PER_KIND: usize = 1_000;
/// The check scans every partition's log: while playing it reruns every this many events, not every frame.
pub const CHECK_EVERY: u64 = 50_000;

impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        self.selected == other.selected
            && self.seed == other.seed
            && Rc::ptr_eq(&self.errors, &other.errors)
            && self.summary == other.summary
            && self.playing == other.playing
            && self.speed == other.speed
            && self.applied == other.applied
            && self.notice == other.notice
            && Rc::ptr_eq(&self.source, &other.source)
            && Rc::ptr_eq(&self.source_errors, &other.source_errors)
            && self.storage_problem == other.storage_problem
            && self.shared == other.shared
            && Rc::ptr_eq(&self.link_errors, &other.link_errors)
            && self.record == other.record
            && self.narrated.as_ref().map(Rc::as_ptr) == other.narrated.as_ref().map(Rc::as_ptr)
            && self.seeking.as_ref().map(Rc::as_ptr) == other.seeking.as_ref().map(Rc::as_ptr)
            && Rc::ptr_eq(&self.texts, &other.texts)
            && self.pending == other.pending
            && match (&self.sim, &other.sim) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl Store {
    /// The store at start, given what was read from storage (`Ok(None)`: nothing saved; `Err`: why
    /// the saved workspace could not be read, shown to the user). The saved scenario (or the first
    /// built-in one) loads, paused at t = 0 with the saved seed, when the built-in texts arrive
    /// (`Action::BuiltinsLoaded`).
    pub fn new(saved: Result<Option<Workspace>, String>) -> Store {
        let empty = Store {
            selected: None,
            seed: 0,
            scenario: None,
            errors: Rc::new(Vec::new()),
            sim: None,
            summary: Summary::default(),
            playing: false,
            speed: Speed::X1,
            last_wall_ms: None,
            applied: 0,
            notice: None,
            edits: Rc::new(BTreeMap::new()),
            source: Rc::new(String::new()),
            source_errors: Rc::new(Vec::new()),
            storage_problem: None,
            shared: None,
            link_errors: Rc::new(Vec::new()),
            record: None,
            narrated: None,
            checkpoints: Rc::new(Vec::new()),
            checkpoint_every: CHECKPOINT_EVENTS,
            seeking: None,
            texts: Rc::new(Vec::new()),
            pending: None,
            running: Rc::new(String::new()),
            checked: Rc::new(RefCell::new(None)),
        };
        let mut store = empty;
        let mut seed = None;
        let mut pick = 0;
        match saved {
            Ok(Some(w)) => {
                store.edits = Rc::new(w.edits);
                pick = w.builtin.and_then(|b| BUILTIN_NAMES.iter().position(|stem| *stem == b)).unwrap_or(0);
                seed = Some(w.seed);
            }
            Ok(None) => {}
            Err(problem) => store.storage_problem = Some(problem),
        }
        // The scenario loads when the built-in texts arrive (`Action::BuiltinsLoaded`).
        store.selected = Some(pick);
        store.pending = Some((pick, seed));
        store
    }

    /// The checker's findings now: computed once per moment (while playing, once every
    /// `CHECK_EVERY` events) and shared by every view that shows them.
    pub fn findings(&self) -> Option<Findings> {
        let e = self.summary.events;
        let key = (if self.playing { e / CHECK_EVERY } else { e }, if self.playing { 0 } else { self.summary.trace_hash }, self.applied, self.selected);
        let mut cache = self.checked.borrow_mut();
        // On the way to a seek's target the run only passes through: the last findings stand (a
        // check scans every log, and a long seek passes through millions of events).
        if let Some((_, f)) = cache.as_ref().filter(|(k, _)| *k == key || (self.seeking.is_some() && k.3 == key.3)) {
            return Some(f.clone());
        }
        let f: Findings = Rc::new(self.view(|s| s.check_detailed(FINDINGS_PER_KIND))?);
        *cache = Some((key, f.clone()));
        Some(f)
    }

    /// The built-in scenarios are still being fetched.
    pub fn loading(&self) -> bool {
        self.texts.is_empty() && self.pending.is_some()
    }

    /// The fetched texts are in: load the scenario picked at start (unless a shared run opened
    /// meanwhile), with the saved seed.
    fn builtins_loaded(mut self, texts: Vec<String>) -> Store {
        self.texts = Rc::new(texts);
        let Some((pick, seed)) = self.pending.take() else { return self };
        if self.sim.is_some() || self.shared.is_some() {
            return self;
        }
        // A share link that failed while the texts were on their way keeps its explanation.
        let link_errors = self.link_errors.clone();
        let mut store = self.select(pick);
        store.link_errors = link_errors;
        if let Some(seed) = seed.filter(|_| store.has_sim()) {
            store.seed = seed;
            store = store.restart();
        }
        store
    }

    /// (stem, display name) of every built-in scenario, in file order.
    pub fn scenario_names() -> Vec<&'static str> {
        BUILTIN_NAMES.to_vec()
    }

    pub fn scenario(&self) -> Option<&Scenario> {
        self.scenario.as_deref()
    }

    pub fn has_sim(&self) -> bool {
        self.sim.is_some()
    }

    /// Read the running simulation (views only: the store is the one place that changes it).
    pub fn view<T>(&self, read: impl FnOnce(&Sim) -> T) -> Option<T> {
        self.sim.as_ref().map(|sim| read(&sim.borrow()))
    }

    /// True once simulated time has reached the scenario's end.
    pub fn finished(&self) -> bool {
        self.sim.is_some() && self.summary.now_us >= self.summary.end_us
    }

    /// The stem of the selected built-in scenario.
    pub fn stem(&self) -> Option<&'static str> {
        self.selected.and_then(|i| BUILTIN_NAMES.get(i)).copied()
    }

    /// True when the editor holds the user's own version of the selected scenario.
    pub fn edited(&self) -> bool {
        self.shared.is_none() && self.stem().is_some_and(|s| self.edits.contains_key(s))
    }

    /// What the app saves between visits.
    pub fn workspace(&self) -> Workspace {
        Workspace { version: WORKSPACE_VERSION, builtin: self.stem().map(str::to_string), seed: self.seed, edits: (*self.edits).clone() }
    }

    /// Put `text` in the editor and check it.
    fn set_source(&mut self, text: String) {
        self.source_errors = Rc::new(match parse_scenario(&text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
        });
        self.source = Rc::new(text);
    }

    /// Run the editor's text if it is a valid scenario (from t = 0, with its own seed).
    fn run_source(mut self) -> Store {
        match parse_scenario(&self.source) {
            Ok(scenario) if scenario.design != crate::scenario::Design::Log => {
                self.source_errors = Rc::new(vec![
                    "$.design: the single run is the log design; open this in Compare or run it with `streamlab run`".to_string(),
                ]);
                self
            }
            Ok(scenario) => {
                self.seed = scenario.seed;
                self.scenario = Some(Rc::new(scenario));
                self.running = self.source.clone();
                self.errors = Rc::new(Vec::new());
                self.restart()
            }
            Err(errors) => {
                self.source_errors = Rc::new(errors.iter().map(|e| e.to_string()).collect());
                self
            }
        }
    }

    /// Replay `session` and pause where it stopped.
    fn open_session(mut self, session: Session, text: &str) -> Store {
        let Session { scenario, actions, stop } = session;
        if scenario.design != crate::scenario::Design::Log {
            self.link_errors = Rc::new(vec!["$.design: the single run is the log design; run this with `streamlab run`".to_string()]);
            return self;
        }
        let sim = Sim::replay(&scenario, &actions, stop);
        self.set_source(Session::scenario_text(text).unwrap_or_default());
        self.running = self.source.clone();
        self.seed = scenario.seed;
        self.shared = Some(scenario.name.clone());
        self.scenario = Some(Rc::new(scenario));
        self.errors = Rc::new(Vec::new());
        self.link_errors = Rc::new(Vec::new());
        self.summary = sim.summary();
        self.sim = Some(Rc::new(RefCell::new(sim)));
        self.narrated = None;
        self.forget_checkpoints();
        self.pause_here();
        self.notice = Some(format!(
            "Opened a shared run: {} action{} replayed, paused where it was shared.",
            actions.len(),
            if actions.len() == 1 { "" } else { "s" }
        ));
        self.refresh_forced()
    }

    /// This run up to now as a session (what `streamlab run` replays): the text of the scenario it
    /// runs with the seed it runs, the actions, and where it is.
    pub fn session_value(&self) -> Option<serde_json::Value> {
        let mut scenario: serde_json::Value = serde_json::from_str(&self.running).ok()?;
        scenario.as_object_mut()?.insert("seed".into(), self.seed.into());
        self.view(|sim| Session::wrap(scenario, sim.applied_actions(), Some(crate::scenario::StopAt { t_us: sim.now_us(), events: sim.events() })))
    }

    /// The session as a file's text.
    pub fn session_json(&self) -> Option<String> {
        self.session_value().and_then(|v| serde_json::to_string_pretty(&v).ok())
    }

    fn select(mut self, index: usize) -> Store {
        self.shared = None;
        self.link_errors = Rc::new(Vec::new());
        self.selected = Some(index);
        self.pause_here();
        if self.texts.is_empty() {
            // Not fetched yet: this one loads when they arrive.
            self.pending = Some((index, None));
            return self;
        }
        // The user's version of this scenario, when they made one and the single run can run it.
        // Otherwise the editor keeps their text with its errors and the built-in runs.
        if let Some(text) = self.stem().and_then(|s| self.edits.get(s)).cloned() {
            self.set_source(text);
            if self.source_errors.is_empty() {
                self = self.run_source();
                if self.source_errors.is_empty() {
                    return self;
                }
            }
        } else if let Some(json) = self.texts.get(index) {
            self.set_source(json.clone());
        }
        match self.texts.get(index).map(|json| (json, parse_scenario(json))) {
            Some((json, Ok(scenario))) => {
                // Sessions are written from the text that runs: the built-in's, also when the editor
                // holds the user's version that could not run.
                self.running = Rc::new(json.clone());
                self.seed = scenario.seed;
                self.scenario = Some(Rc::new(scenario));
                self.errors = Rc::new(Vec::new());
                self.restart()
            }
            Some((_, Err(errors))) => {
                self.scenario = None;
                self.sim = None;
                self.summary = Summary::default();
                self.errors = Rc::new(errors.iter().map(|e| e.to_string()).collect());
                self
            }
            None => {
                self.scenario = None;
                self.sim = None;
                self.summary = Summary::default();
                self.errors = Rc::new(vec![format!("no built-in scenario number {index}")]);
                self
            }
        }
    }

    /// A fresh `Sim` of the loaded scenario with the current seed, paused at t = 0.
    fn restart(mut self) -> Store {
        self.notice = None;
        self.record = None;
        // The words of a step belong to the run they were said of.
        self.narrated = None;
        self.pause_here();
        if let Some(scenario) = &self.scenario {
            let mut seeded = Scenario::clone(scenario);
            seeded.seed = self.seed;
            let sim = Sim::new(&seeded);
            self.summary = sim.summary();
            self.sim = Some(Rc::new(RefCell::new(sim)));
        }
        self.forget_checkpoints();
        self
    }

    /// How many copies of the run are kept to go back from.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// A new run: no copies of the old one, and no seek on its way.
    fn forget_checkpoints(&mut self) {
        self.seeking = None;
        self.checkpoints = Rc::new(Vec::new());
        self.checkpoint_every = CHECKPOINT_EVENTS;
    }

    /// Keep a copy of the run when it has gone `checkpoint_every` events past the last copy.
    fn take_checkpoint(&mut self) {
        let Some(sim) = &self.sim else { return };
        let last = self.checkpoints.last().map_or(0, |c| c.events());
        if self.summary.events < last + self.checkpoint_every {
            return;
        }
        let mut kept: Vec<Rc<Sim>> = self.checkpoints.iter().cloned().collect();
        kept.push(Rc::new(sim.borrow().clone()));
        if kept.len() > MAX_CHECKPOINTS {
            kept = kept.into_iter().skip(1).step_by(2).collect();
            self.checkpoint_every *= 2;
        }
        self.checkpoints = Rc::new(kept);
    }

    /// The latest copy of the run no later than (`t_us`, `events`), to re-simulate from.
    fn checkpoint_before(&self, t_us: u64, events: u64) -> Option<Rc<Sim>> {
        self.checkpoints.iter().rev().find(|c| c.now_us() <= t_us && c.events() <= events).cloned()
    }

    /// Going back to `t_us` leaves the copies after it behind: they are of a future that may change.
    fn drop_checkpoints_after(&mut self, t_us: u64) {
        if self.checkpoints.iter().any(|c| c.now_us() > t_us) {
            self.checkpoints = Rc::new(self.checkpoints.iter().filter(|c| c.now_us() <= t_us).cloned().collect());
        }
    }

    /// Re-read the summary and stop playing at the end of the scenario.
    fn refresh(mut self) -> Store {
        if let Some(sim) = &self.sim {
            self.summary = sim.borrow().summary();
        }
        self.take_checkpoint();
        if self.finished() {
            self.pause_here();
        }
        self
    }

    /// Pause at simulated time `t_us`: run forwards, or rewind (re-simulate the run with the user's
    /// actions up to then, from the latest copy before it; determinism makes it the same run).
    /// Actions after `t_us` are dropped, and the notice says how many. The first slice runs now; a
    /// longer seek goes on a slice per frame (`seeking`).
    fn go_to(mut self, t_us: u64) -> Store {
        self.pause_here();
        let Some(sim) = self.sim.clone() else { return self };
        let now = sim.borrow().now_us();
        let t_us = t_us.min(self.summary.end_us);
        let plan = if t_us >= now {
            Seeking { from_us: None, actions: sim.borrow().applied_actions().to_vec(), stop: StopAt { t_us, events: 0 }, dropped: 0 }
        } else {
            let base = self.checkpoint_before(t_us, u64::MAX);
            let Rewind { start, actions, stop, dropped } = sim.borrow().rewind(t_us, base.as_deref());
            self.drop_checkpoints_after(t_us);
            let from_us = Some(start.now_us());
            self.sim = Some(Rc::new(RefCell::new(start)));
            Seeking { from_us, actions, stop, dropped }
        };
        self.notice = None;
        self.seeking = Some(Rc::new(plan));
        self.seek_on().refresh_forced()
    }

    /// Playing, or on the way to a seek's target: the frame hook ticks, and Pause stops it.
    pub fn busy(&self) -> bool {
        self.playing || self.seeking.is_some()
    }

    /// Where the seek in progress is going (simulated µs), if one is.
    pub fn seeking(&self) -> Option<u64> {
        self.seeking.as_ref().map(|s| s.stop.t_us)
    }

    /// The seek in progress in words, for the status line.
    pub fn seeking_words(&self) -> Option<String> {
        let s = self.seeking.as_ref()?;
        let to = crate::text::sim_time(s.stop.t_us);
        Some(match s.from_us {
            None => format!("Going to {to} (Pause stops here)."),
            Some(0) => format!("Going back to {to}: re-simulating from the start (Pause stops here)."),
            Some(from) => format!("Going back to {to}: re-simulating from the copy of the run saved at {} (Pause stops here).", crate::text::sim_time(from)),
        })
    }

    /// One slice of the seek in progress, at most `SEEK_EVENTS_PER_FRAME` events, keeping copies of
    /// the run on the way at their usual spacing; once there, the seek ends and the notice says how
    /// many later actions were undone.
    fn seek_on(mut self) -> Store {
        let (Some(plan), Some(sim)) = (self.seeking.clone(), self.sim.clone()) else { return self };
        let mut budget = SEEK_EVENTS_PER_FRAME;
        while budget > 0 {
            let events = sim.borrow().events();
            let next_copy = self.checkpoints.last().map_or(0, |c| c.events()) + self.checkpoint_every;
            let slice = budget.min(next_copy.saturating_sub(events).max(1));
            let there = sim.borrow_mut().replay_at_most(&plan.actions, plan.stop, slice);
            budget = budget.saturating_sub(slice);
            self.summary = sim.borrow().summary();
            self.take_checkpoint();
            if there {
                self.seeking = None;
                self.notice = undone(plan.dropped);
                break;
            }
        }
        self
    }

    /// Stop the seek in progress where it got to: a moment of the same run. Actions it had not
    /// replayed yet are undone too, and the notice says how many.
    fn stop_seeking(mut self) -> Store {
        if let Some(plan) = self.seeking.take() {
            let replayed = self.view(|s| s.applied_actions().len()).unwrap_or(0);
            self.notice = undone(plan.dropped + plan.actions.len().saturating_sub(replayed));
        }
        self
    }

    /// Pause and process the next event, keeping its words; nothing at the end of the run.
    fn step_event(mut self) -> Option<Store> {
        let sim = self.sim.clone()?;
        let words = sim.borrow_mut().step_narrated()?;
        let (events, now) = (sim.borrow().events(), sim.borrow().now_us());
        self.narrated = Some(Rc::new((events, now, words)));
        self.pause_here();
        self.notice = None;
        Some(self.refresh_forced())
    }

    /// Pause and go back one event: the run re-simulated to one event fewer, with the words of what
    /// is now its last event; later actions are dropped, and the notice says how many.
    fn step_event_back(mut self) -> Option<Store> {
        let events = self.summary.events;
        let base = self.checkpoint_before(u64::MAX, events.saturating_sub(2));
        let (back, words, dropped) = self.sim.as_ref()?.borrow().back_one_event(base.as_deref())?;
        let t_us = back.now_us();
        self.drop_checkpoints_after(t_us);
        self.narrated = words.map(|w| Rc::new((back.events(), back.now_us(), w)));
        self.sim = Some(Rc::new(RefCell::new(back)));
        self.pause_here();
        self.notice = undone(dropped);
        Some(self.refresh_forced())
    }

    /// The last event in words while the run stands right after it: (event number, time, words).
    pub fn narration(&self) -> Option<&(u64, u64, String)> {
        self.narrated.as_deref().filter(|n| n.0 == self.summary.events && self.has_sim())
    }

    /// Stop playing; the next Play starts timing its frames afresh.
    fn pause_here(&mut self) {
        self.playing = false;
        self.last_wall_ms = None;
    }

    /// `refresh`, and count the change so `PartialEq` sees a new store (an action may change views
    /// without changing any summary figure).
    fn refresh_forced(mut self) -> Store {
        self.applied += 1;
        self.refresh()
    }

    fn frame(mut self, wall_ms: f64) -> Store {
        let Some(sim) = self.sim.clone() else {
            self.playing = false;
            return self;
        };
        let elapsed_ms = match self.last_wall_ms {
            Some(last) => (wall_ms - last).clamp(0.0, MAX_FRAME_WALL_MS),
            None => 0.0,
        };
        self.last_wall_ms = Some(wall_ms);
        advance(&mut sim.borrow_mut(), self.speed, elapsed_ms);
        self.refresh()
    }
}

/// One frame of engine work: at a scaled speed, simulated time advances by the wall time elapsed times
/// the speed, in slices, until the event budget runs out; at `Max`, the engine runs up to the budget
/// of events (and, when it has none left, jumps to the scenario's end).
fn advance(sim: &mut Sim, speed: Speed, elapsed_ms: f64) {
    let start = sim.summary();
    match speed.sim_us_per_wall_ms() {
        Some(us_per_ms) => {
            let span_us = (elapsed_ms * us_per_ms) as u64;
            let target_us = start.now_us.saturating_add(span_us).min(start.end_us);
            if target_us <= start.now_us {
                return;
            }
            let slice_us = ((target_us - start.now_us) / SLICES_PER_FRAME).max(1_000);
            let mut t_us = start.now_us;
            while t_us < target_us {
                t_us = t_us.saturating_add(slice_us).min(target_us);
                sim.run_until(t_us);
                if sim.summary().events.saturating_sub(start.events) >= MAX_EVENTS_PER_FRAME {
                    break;
                }
            }
        }
        None => {
            let ran = sim.run_events(MAX_EVENTS_PER_FRAME);
            if ran < MAX_EVENTS_PER_FRAME {
                sim.run_until(start.end_us);
            }
        }
    }
}

impl Store {
    /// What the error panel offers to copy: scenario, seed, time and the actions so far.
    pub fn session_text(&self) -> String {
        let name = self.scenario.as_ref().map(|s| s.name.as_str()).unwrap_or("(none)");
        let actions = self
            .view(|s| serde_json::to_value(s.applied_actions()).map(|v| v.to_string()).unwrap_or_default())
            .unwrap_or_else(|| "[]".into());
        format!(
            "scenario: {name}\nseed: {}\nsimulated time: {} µs\ntrace hash: {}\nactions: {actions}",
            self.seed,
            self.summary.now_us,
            format_hash(self.summary.trace_hash)
        )
    }

    /// The store after `action`, with no side effect (the app's `Reducible::reduce` adds those). An
    /// action that changes nothing gives back the same `Rc`.
    pub fn update(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut store = Store::clone(&self);
        // Anything that moves or changes the run stops a seek in progress where it got to first.
        let seeking = store.seeking.is_some();
        if seeking && !matches!(action, Action::Frame { .. } | Action::SetSpeed(_) | Action::ShowRecord(_) | Action::Edit(_)) {
            store = store.stop_seeking();
        }
        let next = match action {
            Action::SelectScenario(index) => store.select(index),
            Action::SetSeed(seed) => Store { seed, ..store }.restart(),
            Action::Reset => store.restart(),
            Action::Play => {
                if !store.has_sim() || store.finished() || store.playing {
                    return self;
                }
                Store { playing: true, last_wall_ms: None, ..store }
            }
            Action::Pause => {
                if !store.playing && !seeking {
                    return self;
                }
                Store { playing: false, last_wall_ms: None, ..store }
            }
            Action::Step => {
                let Some(sim) = store.sim.clone() else { return self };
                {
                    let mut sim = sim.borrow_mut();
                    let s = sim.summary();
                    sim.run_until(s.now_us.saturating_add(STEP_US).min(s.end_us));
                }
                Store { playing: false, last_wall_ms: None, ..store }.refresh()
            }
            Action::StepBack => {
                let now = store.summary.now_us;
                store.go_to(now.saturating_sub(STEP_US))
            }
            Action::Seek(t_us) => store.go_to(t_us),
            Action::StepEvent => match store.step_event() {
                Some(next) => next,
                None => return self,
            },
            Action::StepEventBack => match store.step_event_back() {
                Some(next) => next,
                None => return self,
            },
            Action::Edit(text) => {
                let mut store = store;
                if let Some((stem, json)) = store.selected.filter(|_| store.shared.is_none()).and_then(|i| Some((*BUILTIN_NAMES.get(i)?, store.texts.get(i)?))) {
                    let mut edits = (*store.edits).clone();
                    if text == *json {
                        edits.remove(stem);
                    } else {
                        edits.insert(stem.to_string(), text.clone());
                    }
                    store.edits = Rc::new(edits);
                }
                store.set_source(text);
                store
            }
            Action::RunSource => store.run_source(),
            Action::BuiltinsLoaded(texts) => store.builtins_loaded(texts),
            Action::BuiltinsFailed(error) => Store { errors: Rc::new(vec![error]), pending: None, ..store },
            Action::OpenSession(session, text) => store.open_session(*session, &text),
            Action::LinkFailed(errors) => Store { link_errors: Rc::new(errors), ..store },
            Action::ShowRecord(record) => Store { record, ..store },
            Action::RevertSource => {
                let mut store = store;
                if store.shared.is_some() {
                    return self;
                }
                if let Some(stem) = store.stem() {
                    let mut edits = (*store.edits).clone();
                    edits.remove(stem);
                    store.edits = Rc::new(edits);
                }
                match store.selected {
                    Some(i) => store.select(i),
                    None => store,
                }
            }
            Action::SetSpeed(speed) => Store { speed, ..store },
            Action::Apply(action) => {
                let Some(sim) = store.sim.clone() else { return self };
                sim.borrow_mut().apply(action);
                // A new summary even when no figure moved, so views re-read the engine.
                store.refresh_forced()
            }
            Action::Frame { wall_ms } => {
                if seeking {
                    store.seek_on().refresh()
                } else if store.playing {
                    store.frame(wall_ms)
                } else {
                    return self;
                }
            }
        };
        Rc::new(next)
    }
}

/// The notice after going back in time over `dropped` actions (none when there were none).
fn undone(dropped: usize) -> Option<String> {
    (dropped > 0).then(|| format!("Went back in time: {dropped} later action{} undone.", if dropped == 1 { " was" } else { "s were" }))
}

pub use crate::text::{count as format_count, sim_time as format_sim_time};

/// The trace hash as 16 lowercase hex digits.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:016x}")
}
