//! The comparison view's web worker: a thin shell over `streamlab::lab`. It takes each message (a
//! request as JSON text), hands it to the `Lab`, and posts the reply (JSON text) back. It says
//! `ready` once it listens, since messages sent to a worker before its wasm has loaded are lost.
//! Natively this binary has nothing to do.

#[cfg(target_arch = "wasm32")]
fn main() {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let lab = Rc::new(RefCell::new(streamlab::lab::Lab::default()));
    let reply_to = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |msg: MessageEvent| {
        let reply = match msg.data().as_string() {
            Some(text) => lab.borrow_mut().handle_json(&text),
            None => r#"{"reply":"failed","errors":["a request is JSON text"]}"#.to_string(),
        };
        let _ = reply_to.post_message(&JsValue::from_str(&reply));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(r#"{"reply":"ready"}"#));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("streamlab-worker is the browser's comparison worker; on the command line use `streamlab compare`");
    std::process::exit(2);
}
