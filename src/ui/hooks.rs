//! The app's hooks: `use_sim()` reaches the store from any component and offers intent methods
//! (`play`, `pause`, `step` …) instead of raw dispatch; `use_frames()` owns the timer that drives the
//! simulation while it plays, and cancels it on pause and on unmount (dropping a gloo `Interval` clears it).

use std::ops::Deref;

use gloo::timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::store::{Action, Speed, Store};

/// The store as components see it through the context.
pub type SimContext = UseReducerHandle<Store>;

/// Wall-clock period of the frame timer: about one display frame.
const FRAME_MS: u32 = 16;

/// The store plus the intents a user can express.
#[derive(Clone, PartialEq)]
pub struct SimHandle {
    store: SimContext,
}

impl Deref for SimHandle {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl SimHandle {
    /// The handle of a store the caller holds (the app, above its own context provider).
    pub fn of(store: SimContext) -> SimHandle {
        SimHandle { store }
    }
    pub fn play(&self) {
        self.store.dispatch(Action::Play);
    }
    pub fn pause(&self) {
        self.store.dispatch(Action::Pause);
    }
    pub fn step(&self) {
        self.store.dispatch(Action::Step);
    }
    pub fn edit(&self, text: String) {
        self.store.dispatch(Action::Edit(text));
    }
    pub fn run_source(&self) {
        self.store.dispatch(Action::RunSource);
    }
    pub fn revert_source(&self) {
        self.store.dispatch(Action::RevertSource);
    }
    pub fn step_back(&self) {
        self.store.dispatch(Action::StepBack);
    }
    pub fn step_event(&self) {
        self.store.dispatch(Action::StepEvent);
    }
    pub fn step_event_back(&self) {
        self.store.dispatch(Action::StepEventBack);
    }
    pub fn seek(&self, t_us: u64) {
        self.store.dispatch(Action::Seek(t_us));
    }
    pub fn reset(&self) {
        self.store.dispatch(Action::Reset);
    }
    pub fn set_speed(&self, speed: Speed) {
        self.store.dispatch(Action::SetSpeed(speed));
    }
    pub fn select_scenario(&self, index: usize) {
        self.store.dispatch(Action::SelectScenario(index));
    }
    pub fn set_seed(&self, seed: u64) {
        self.store.dispatch(Action::SetSeed(seed));
    }
    /// Replay a session; `text` is its file's text.
    pub fn open_session(&self, session: crate::scenario::Session, text: String) {
        self.store.dispatch(Action::OpenSession(Box::new(session), std::rc::Rc::new(text)));
    }
    pub fn show_record(&self, record: Option<(u32, u64)>) {
        self.store.dispatch(Action::ShowRecord(record));
    }
    /// Apply a fault or an action to the simulation at the current simulated time.
    pub fn apply(&self, action: crate::scenario::Action) {
        self.store.dispatch(Action::Apply(action));
    }
}

/// The store provided by the nearest `ContextProvider<SimContext>`.
#[hook]
pub fn use_sim() -> SimHandle {
    let store = use_context::<SimContext>().expect("use_sim() needs a ContextProvider<SimContext> above it");
    SimHandle { store }
}

/// While `playing` (or a seek is on its way), dispatch `Action::Frame` with `performance.now()` every `FRAME_MS`; the store
/// bounds the work each frame does.
#[hook]
pub fn use_frames(playing: bool, dispatcher: UseReducerDispatcher<Store>) {
    use_effect_with(playing, move |&playing| {
        let interval = playing.then(|| {
            Interval::new(FRAME_MS, move || dispatcher.dispatch(Action::Frame { wall_ms: wall_now_ms() }))
        });
        move || drop(interval)
    });
}

/// Keyboard shortcuts on the whole page: space plays or pauses, → steps, ← steps back, and with Shift
/// one engine event forwards or back. Keys typed into a form field
/// are left alone. The listener is removed on unmount (dropping a gloo `EventListener` removes it).
#[hook]
pub fn use_shortcuts(sim: SimHandle) {
    // Re-register when the store changes so the closure sees the current state.
    use_effect_with(sim, move |sim| {
        let sim = sim.clone();
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            // Not passive: the shortcuts prevent the page from scrolling on space and arrows.
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            gloo::events::EventListener::new_with_options(&doc, "keydown", options, move |e| {
                let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let tag = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|el| el.tag_name());
                // Form fields keep their keys; a focused button keeps space (it presses the button).
                if matches!(tag.as_deref(), Some("INPUT" | "SELECT" | "TEXTAREA")) {
                    return;
                }
                let on_button = matches!(tag.as_deref(), Some("BUTTON" | "SUMMARY" | "A"));
                match e.key().as_str() {
                    " " if !on_button => {
                        e.prevent_default();
                        if sim.busy() { sim.pause() } else { sim.play() }
                    }
                    // Shift: one engine event instead of 100 ms.
                    "ArrowRight" => {
                        e.prevent_default();
                        if e.shift_key() { sim.step_event() } else { sim.step() }
                    }
                    "ArrowLeft" => {
                        e.prevent_default();
                        if e.shift_key() { sim.step_event_back() } else { sim.step_back() }
                    }
                    _ => {}
                }
            })
        });
        move || drop(listener)
    });
}

/// Open the share link in the page's address: once when the app starts (it wins over the saved
/// workspace, which stays saved), and again when only the fragment changes (a link pasted into the
/// address of the open page does not reload it). The page's own "Share" sets the fragment with
/// `history.replaceState`, which fires no event. Unpacking is asynchronous (the browser's
/// DecompressionStream); the run opens when it is done.
#[hook]
pub fn use_share_links(dispatcher: UseReducerDispatcher<Store>) {
    use_effect_with((), move |_| {
        let open = move |dispatcher: UseReducerDispatcher<Store>| {
            let Some(fragment) = super::location_fragment().filter(|f| crate::scenario::share::is_share_fragment(f)) else { return };
            wasm_bindgen_futures::spawn_local(async move {
                match super::share::decode_fragment(&fragment).await {
                    Ok((session, text)) => dispatcher.dispatch(Action::OpenSession(Box::new(session), std::rc::Rc::new(text))),
                    Err(errors) => dispatcher.dispatch(Action::LinkFailed(errors)),
                }
            });
        };
        open(dispatcher.clone());
        let listener = web_sys::window().map(|w| gloo::events::EventListener::new(&w, "hashchange", move |_| open(dispatcher.clone())));
        move || drop(listener)
    });
}

/// Fetch the built-in scenarios from `scenarios/NAME.json` next to the page, once, all at the same
/// time; the store loads the first one when they are in. The app's wasm carries only their names.
#[hook]
pub fn use_builtin_texts(dispatcher: UseReducerDispatcher<Store>) {
    use_effect_with((), move |_| {
        wasm_bindgen_futures::spawn_local(async move {
            match fetch_builtins().await {
                Ok(texts) => dispatcher.dispatch(Action::BuiltinsLoaded(texts)),
                Err(e) => dispatcher.dispatch(Action::BuiltinsFailed(e)),
            }
        });
    });
}

async fn fetch_builtins() -> Result<Vec<String>, String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let names = crate::scenario::builtin::BUILTIN_NAMES;
    let requests: Vec<_> = names.iter().map(|n| JsFuture::from(window.fetch_with_str(&format!("scenarios/{n}.json")))).collect();
    let mut texts = Vec::with_capacity(names.len());
    for (name, request) in names.iter().zip(requests) {
        let failed = |why: String| format!("the built-in scenario {name} could not be loaded from scenarios/{name}.json: {why}");
        let response: web_sys::Response = request.await.map_err(|_| failed("the request failed".into()))?.unchecked_into();
        if !response.ok() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        let text = JsFuture::from(response.text().map_err(|_| failed("no body".into()))?).await.ok().and_then(|t| t.as_string());
        texts.push(text.ok_or_else(|| failed("the body is not text".into()))?);
    }
    Ok(texts)
}

/// Milliseconds from the page's time origin; only the UI shell reads a clock, never the engine.
fn wall_now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}
