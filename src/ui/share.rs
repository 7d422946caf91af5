//! Sharing and reproducing a run. "Share" packs the scenario, the seed, every action applied so far
//! and where the run stands into the page address (a fragment: nothing leaves the browser) and shows
//! the link to copy; opening it replays the identical run, paused at the same moment with the same
//! trace hash. "Export session" saves the same session as a file, which `streamlab run` replays in a
//! terminal to that trace hash. A link that cannot be opened is explained above the figures.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair, WritableStream};
use yew::prelude::*;

use crate::scenario::share::{fragment_from_packed, packed_from_fragment, session_and_text, unpack_error, MAX_UNPACKED_BYTES};
use crate::scenario::Session;

use super::editor::download;
use super::hooks::use_sim;
use super::store::{format_hash, format_sim_time};

// The Compression Streams API (every current browser has it; web-sys lists it as unstable, so it is
// bound here directly).
#[wasm_bindgen]
extern "C" {
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> WritableStream;

    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> WritableStream;
}

/// `bytes` through one of the browser's (de)compression streams, read chunk by chunk; `None` when the
/// stream fails (damaged data), `Some(Err(()))` when the output passes `limit` bytes.
async fn through(bytes: &[u8], pair: ReadableWritablePair, limit: usize) -> Option<Result<Vec<u8>, ()>> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let input: ReadableStream = Blob::new_with_u8_array_sequence(&parts).ok()?.stream();
    let reader: ReadableStreamDefaultReader = input.pipe_through(&pair).get_reader().dyn_into().ok()?;
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.ok()?;
        if Reflect::get(&chunk, &"done".into()).ok()?.as_bool().unwrap_or(true) {
            return Some(Ok(out));
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into()).ok()?.dyn_into().ok()?;
        if out.len() + value.length() as usize > limit {
            let _ = reader.cancel();
            return Some(Err(()));
        }
        out.extend_from_slice(&value.to_vec());
    }
}

/// The share fragment (without `#`) for a session's compact JSON, compressed by the browser.
pub async fn encode_fragment(session_json: &str) -> Option<String> {
    let stream = CompressionStream::new("deflate-raw").ok()?;
    let pair = ReadableWritablePair::new(&stream.readable(), &stream.writable());
    let packed = through(session_json.as_bytes(), pair, usize::MAX).await?.ok()?;
    Some(fragment_from_packed(&packed))
}

/// The session a share fragment carries and its text, or every reason it carries none
/// (`path: message`).
pub async fn decode_fragment(fragment: &str) -> Result<(Session, String), Vec<String>> {
    let strings = |errors: Vec<crate::scenario::ScenarioError>| errors.iter().map(ToString::to_string).collect::<Vec<_>>();
    let packed = packed_from_fragment(fragment).map_err(strings)?;
    let stream = DecompressionStream::new("deflate-raw").map_err(|_| vec!["link: this browser cannot unpack share links (no DecompressionStream)".to_string()])?;
    let pair = ReadableWritablePair::new(&stream.readable(), &stream.writable());
    match through(&packed, pair, MAX_UNPACKED_BYTES).await {
        Some(Ok(bytes)) => session_and_text(bytes).map_err(strings),
        Some(Err(())) => Err(strings(unpack_error(true))),
        None => Err(strings(unpack_error(false))),
    }
}

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
            let Some(session) = sim.session_value() else { return };
            let actions = sim.view(|s| s.applied_actions().len()).unwrap_or(0);
            let (at_us, hash) = (sim.summary.now_us, sim.summary.trace_hash);
            let (made, copied) = (made.clone(), copied.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Some(fragment) = encode_fragment(&session.to_string()).await else { return };
                let url = format!("{}#{fragment}", base_url());
                // The address bar shows the link too; replaceState fires no hashchange, so nothing reloads.
                if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
                }
                made.set(Some(Made { url, at_us, hash, actions }));
                copied.set(false);
            });
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
