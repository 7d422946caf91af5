//! The page's end of the comparison worker (`src/worker.rs`, protocol in `crate::lab`): starts the
//! worker from Trunk's loader shim next to the page, sends requests as JSON text, and hands every
//! reply to a callback. Dropping the client terminates the worker, so closing the comparison view
//! frees its runs.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

pub use crate::lab::{request_text, Reply};

/// The fields of a reply the page uses (`kind`, `controls`, `body`, `errors`), read with the
/// browser's own JSON parser: the page's wasm carries no reader for the whole `Reply`.
fn read_reply(data: &JsValue) -> Option<Reply> {
    let obj = js_sys::JSON::parse(&data.as_string()?).ok()?;
    let field = |name: &str| js_sys::Reflect::get(&obj, &JsValue::from_str(name)).ok();
    let text = |name: &str| field(name).and_then(|v| v.as_string());
    let errors = field("errors").filter(js_sys::Array::is_array).map(|v| js_sys::Array::from(&v).iter().filter_map(|e| e.as_string()).collect()).unwrap_or_default();
    Some(Reply { kind: text("kind")?, controls: text("controls"), body: text("body"), errors, ..Default::default() })
}

/// A `failed` reply made on this side.
pub fn failed(error: String) -> Reply {
    Reply { kind: "failed".into(), errors: vec![error], ..Default::default() }
}

pub struct LabClient {
    worker: Worker,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

impl LabClient {
    /// Start the worker; `on_reply` gets `Ready` once it listens, then one reply per request.
    pub fn start(on_reply: Callback<Reply>) -> Result<LabClient, String> {
        let base = web_sys::window().and_then(|w| w.document()).and_then(|d| d.base_uri().ok().flatten()).unwrap_or_default();
        let url = web_sys::Url::new_with_base("streamlab-worker_loader.js", &base).map_err(|_| "the page's address is not a URL".to_string())?;
        let worker = Worker::new(&url.href()).map_err(|e| format!("the browser refused to start the comparison worker: {e:?}"))?;
        let reply = on_reply.clone();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |msg: MessageEvent| {
            reply.emit(read_reply(&msg.data()).unwrap_or_else(|| failed("the comparison worker sent something unreadable".into())));
        });
        let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
            on_reply.emit(failed("the comparison worker stopped with an error (see the browser console); close and reopen the comparison to start it again".into()));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(LabClient { worker, _on_message: on_message, _on_error: on_error })
    }

    /// Send a request written as JSON (`request_text`, or a control's `data-req`).
    pub fn send_text(&self, text: &str) {
        let _ = self.worker.post_message(&JsValue::from_str(text));
    }
}

impl Drop for LabClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
