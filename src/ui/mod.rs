//! The browser app (wasm32 only): a thin Yew shell over the engine. `store` holds the one `Reducible`
//! store and its closed `Action` enum; `hooks` reaches it (`use_sim`) and owns the frame timer
//! (`use_frames`); `app` lays out the top bar, the live figures, and the panels: `cluster` (brokers,
//! controllers, partitions, faults), `groups` (consumer groups, their members, offsets, rebalances,
//! resets) and `eventlog` (what happened, in words). The UI sends intents and reads the
//! engine's `Summary`; it never changes the simulation in any other way.

mod app;
mod cluster;
mod eventlog;
mod groups;
mod hooks;
mod store;

/// Mount the app on `<body>`; panics are reported on the browser console.
pub fn start() {
    console_error_panic_hook::set_once();
    yew::set_custom_panic_hook(Box::new(console_error_panic_hook::hook));
    yew::Renderer::<app::App>::new().render();
}
