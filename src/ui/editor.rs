//! The scenario editor: the selected scenario as JSON, checked as you type (every error with its
//! JSON path), run on demand, reverted to the built-in, exported to a file and imported from one.
//! Edits are kept per scenario in the browser (see `persist`), so a reload or a switch of scenario
//! never loses them.

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::hooks::use_sim;

#[component]
pub fn EditorPanel() -> Html {
    let sim = use_sim();
    let import_error = use_state(|| None::<String>);
    let on_input = {
        let sim = sim.clone();
        Callback::from(move |e: InputEvent| sim.edit(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let on_run = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.run_source())
    };
    let on_revert = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| sim.revert_source())
    };
    let on_export = {
        let sim = sim.clone();
        Callback::from(move |_: MouseEvent| {
            let name = sim.scenario().map(|s| s.name.clone()).unwrap_or_else(|| "scenario".into());
            download(&format!("{name}.json"), &sim.source);
        })
    };
    let on_import = {
        let sim = sim.clone();
        let import_error = import_error.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            if file.size() > 4.0 * 1024.0 * 1024.0 {
                import_error.set(Some(format!("{} is larger than 4 MB; a scenario file is a few KB", file.name())));
                return;
            }
            let sim = sim.clone();
            let import_error = import_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()) {
                    Some(text) => {
                        import_error.set(None);
                        // A session file (exported from this page) replays; a scenario file is edited and run.
                        match crate::scenario::parse_session(&text) {
                            Ok(session) if session.stop.is_some() || !session.actions.is_empty() => sim.open_session(session, text),
                            _ => {
                                sim.edit(text);
                                sim.run_source();
                            }
                        }
                    }
                    None => import_error.set(Some(format!("{} could not be read as text", file.name()))),
                }
            });
        })
    };
    let errors = sim.source_errors.clone();
    let valid = errors.is_empty();
    html! {
        <section class="panel editor" aria-labelledby="editor-title">
            <details open={!valid || sim.edited()}>
                <summary><h2 id="editor-title">{ "Scenario (JSON)" }</h2>
                    if sim.edited() { <span class="chip warn">{ "edited" }</span> }
                </summary>
                <textarea aria-label="Scenario JSON" spellcheck="false" rows="16" data-testid="editor"
                    value={(*sim.source).clone()} oninput={on_input} />
                <p class={if valid { "ok" } else { "danger" }} data-testid="editor-status" role="status">
                    { if valid { "✓ A valid scenario.".to_string() } else { format!("✕ {} error{}:", errors.len(), if errors.len() == 1 { "" } else { "s" }) } }
                </p>
                if !valid {
                    <ul class="editor-errors" data-testid="editor-errors">
                        { for errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                    </ul>
                }
                <div class="actions">
                    <button class="small" onclick={on_run} disabled={!valid}>{ "Run this scenario" }</button>
                    <button class="small" onclick={on_revert} disabled={!sim.edited()}>{ "Revert to the built-in" }</button>
                    <button class="small" onclick={on_export}>{ "Export" }</button>
                    <label class="small file">{ "Import" }
                        <input type="file" accept=".json,application/json" onchange={on_import} />
                    </label>
                </div>
                if let Some(message) = &*import_error { <p class="danger" role="alert">{ message.clone() }</p> }
            </details>
        </section>
    }
}

/// Offer `text` as a file download.
pub(super) fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
