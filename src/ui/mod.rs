//! The browser app (wasm32 only): a thin Yew shell over the engine. `store` makes the app's one store
//! (`crate::store`, pure and tested natively, with its closed `Action` enum) Yew's `Reducible`;
//! `hooks` reaches it (`use_sim`) and owns the frame timer (`use_frames`); `app` lays out the top bar, the live figures, and the panels: `cluster` (brokers,
//! controllers, partitions, faults), `groups` (consumer groups, their members, offsets, rebalances,
//! resets) and `eventlog` (what happened, in words). The UI sends intents and reads the
//! engine's `Summary`; it never changes the simulation in any other way.

mod app;
mod charts;
mod checker;
mod cluster;
mod compare;
mod editor;
mod eventlog;
mod groups;
mod hooks;
mod lab_client;
mod logview;
mod metrics;
mod persist;
mod producers;
mod settings;
mod share;
mod store;

use std::cell::RefCell;

thread_local! {
    /// What the error panel shows after a panic: scenario, seed and the actions so far, kept current
    /// by the store.
    static SESSION: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The page address's fragment (without `#`), if any.
pub(crate) fn location_fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let body = hash.strip_prefix('#').unwrap_or(&hash);
    (!body.is_empty()).then(|| body.to_string())
}

/// Keep the text the error panel would show if the app panicked now.
pub(crate) fn remember_session(text: String) {
    SESSION.with(|s| *s.borrow_mut() = text);
}

/// Mount the app on `<body>`. A panic is reported on the browser console and, so that no user meets
/// a dead page, in an error panel with the seed and the actions so far, ready to copy.
pub fn start() {
    let hook = |info: &std::panic::PanicHookInfo<'_>| {
        console_error_panic_hook::hook(info);
        show_error_panel(&info.to_string());
    };
    std::panic::set_hook(Box::new(hook));
    yew::set_custom_panic_hook(Box::new(hook));
    yew::Renderer::<app::App>::new().render();
}

/// Built with DOM calls and text nodes only (no HTML parsing), as the app may be in any state.
fn show_error_panel(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = doc.body() else { return };
    let session = SESSION.with(|s| s.borrow().clone());
    let make = |tag: &str, text: &str| {
        let el = doc.create_element(tag).ok()?;
        el.set_text_content(Some(text));
        Some(el)
    };
    let Some(panel) = doc.create_element("section").ok() else { return };
    let _ = panel.set_attribute("class", "panel errors crash");
    let _ = panel.set_attribute("role", "alert");
    let _ = panel.set_attribute("data-testid", "crash");
    let parts = [
        make("h2", "Streamlab hit a bug and stopped"),
        make("p", "To report it, or to try again, copy the lines below: they name the scenario, the seed and every action you took, which reproduce the run. Reload the page to start again."),
        make("pre", message),
        make("textarea", &session),
    ];
    for part in parts.into_iter().flatten() {
        if part.tag_name() == "TEXTAREA" {
            let _ = part.set_attribute("readonly", "");
            let _ = part.set_attribute("aria-label", "The run so far, to copy");
            let _ = part.set_attribute("rows", "6");
        }
        let _ = panel.append_child(&part);
    }
    let _ = body.prepend_with_node_1(&panel);
}
