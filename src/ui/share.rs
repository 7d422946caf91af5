//! Sharing and reproducing a run. "Share" packs the scenario, the seed, every action applied so far
//! and where the run stands into the page address (a fragment: nothing leaves the browser) and shows
//! the link to copy; opening it replays the identical run, paused at the same moment with the same
//! trace hash. "Export session" saves the same session as a file, which `streamlab run` replays in a
//! terminal to that trace hash. A link that cannot be opened is explained above the figures.

use wasm_bindgen::JsValue;
use yew::prelude::*;

use super::editor::download;
use super::hooks::use_sim;
use super::store::{format_hash, format_sim_time};

/// What the link replays, fixed when it was made.
#[derive(Clone, PartialEq)]
struct Made {
    url: String,
    at_us: u64,
    hash: u64,
    actions: usize,
}

/// The page's address without its fragment.
fn base_url() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else { return String::new() };
    let href = location.href().unwrap_or_default();
    match href.find('#') {
        Some(i) => href[..i].to_string(),
        None => href,
    }
}

#[component]
pub fn ShareMenu() -> Html {
    let sim = use_sim();
    let made = use_state(|| None::<Made>);
    let copied = use_state(|| false);

    let make = {
        let sim = sim.clone();
        let made = made.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(fragment) = sim.share_fragment() else { return };
            let url = format!("{}#{fragment}", base_url());
            // The address bar shows the link too; replaceState fires no hashchange, so nothing reloads.
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
            let actions = sim.view(|s| s.applied_actions().len()).unwrap_or(0);
            made.set(Some(Made { url, at_us: sim.summary.now_us, hash: sim.summary.trace_hash, actions }));
            copied.set(false);
        })
    };
    let close = {
        let made = made.clone();
        Callback::from(move |_: MouseEvent| made.set(None))
    };
    let copy = {
        let made = made.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let (Some(m), Some(window)) = (&*made, web_sys::window()) else { return };
            let _ = window.navigator().clipboard().write_text(&m.url);
            copied.set(true);
        })
    };
    let export = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(json) = sim.session_json() else { return };
            let name = sim.scenario().map(|s| s.name.clone()).unwrap_or_else(|| "streamlab".into());
            download(&format!("{name}-session.json"), &json);
        })
    };

    html! {
        <span class="menu">
            <button onclick={make} disabled={!sim.has_sim()} aria-haspopup="dialog"
                aria-expanded={if made.is_some() { "true" } else { "false" }}
                title="A link that replays this run exactly: scenario, seed and every action so far">{ "Share" }</button>
            <button onclick={export} disabled={!sim.has_sim()} aria-label="Export session"
                title="Save this run as a session file; `streamlab run FILE` replays it to the same trace hash">{ "Export" }</button>
            if let Some(m) = &*made {
                <div class="popover" role="dialog" aria-label="Share this run" data-testid="share">
                    <p>{ format!(
                        "This link replays the run to {} ({} action{}), trace hash {}. Anyone who opens it gets the same run.",
                        format_sim_time(m.at_us), m.actions, if m.actions == 1 { "" } else { "s" }, format_hash(m.hash)
                    ) }</p>
                    <input type="text" readonly=true value={m.url.clone()} aria-label="Share link"
                        data-testid="share-link" onfocus={Callback::from(|e: FocusEvent| {
                            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { input.select(); }
                        })} />
                    <div class="actions">
                        <button class="small primary" onclick={copy}>{ if *copied { "Copied ✓" } else { "Copy link" } }</button>
                        <button class="small" onclick={close}>{ "Close" }</button>
                    </div>
                    <p class="hint">{ "The link holds everything (nothing is uploaded). Share again after more actions to include them." }</p>
                </div>
            }
        </span>
    }
}
