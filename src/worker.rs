//! The comparison view's web worker: a thin shell over `streamlab::lab`. It hands each message (a
//! request as JSON text) to the `Lab` and posts the reply (JSON text) back; while the runs play it
//! ticks every `TICK_MS` with the wall time that went by and posts each tick's reply. It says
//! `ready` once it listens, since messages sent to a worker before its wasm has loaded are lost.
//! The wall clock is read here, never in the engine. Natively this binary has nothing to do.

#[cfg(target_arch = "wasm32")]
fn main() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use streamlab::lab::Lab;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Wall milliseconds between two ticks while playing.
    const TICK_MS: i32 = 40;

    struct Shell {
        scope: DedicatedWorkerGlobalScope,
        lab: RefCell<Lab>,
        last_ms: Cell<f64>,
        scheduled: Cell<bool>,
        tick: RefCell<Option<Closure<dyn Fn()>>>,
    }

    impl Shell {
        fn now_ms(&self) -> f64 {
            self.scope.performance().map(|p| p.now()).unwrap_or(0.0)
        }
        fn post(&self, reply: &str) {
            let _ = self.scope.post_message(&JsValue::from_str(reply));
        }
        /// Keep ticking while the runs play (one timer at a time).
        fn schedule(&self) {
            if self.lab.borrow().playing() && !self.scheduled.get() {
                if let Some(tick) = self.tick.borrow().as_ref() {
                    self.scheduled.set(true);
                    let _ = self.scope.set_timeout_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), TICK_MS);
                }
            }
        }
    }

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let shell = Rc::new(Shell { scope: scope.clone(), lab: RefCell::new(Lab::default()), last_ms: Cell::new(0.0), scheduled: Cell::new(false), tick: RefCell::new(None) });

    let for_tick = shell.clone();
    *shell.tick.borrow_mut() = Some(Closure::<dyn Fn()>::new(move || {
        let s = &for_tick;
        s.scheduled.set(false);
        let now = s.now_ms();
        let elapsed = now - s.last_ms.replace(now);
        let reply = s.lab.borrow_mut().handle_json(&format!("{{\"op\":\"tick\",\"elapsed_ms\":{elapsed}}}"));
        s.post(&reply);
        s.schedule();
    }));

    let for_message = shell.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |msg: MessageEvent| {
        let s = &for_message;
        let was_playing = s.lab.borrow().playing();
        let reply = match msg.data().as_string() {
            Some(text) => s.lab.borrow_mut().handle_json(&text),
            None => r#"{"kind":"failed","errors":["a request is JSON text"]}"#.to_string(),
        };
        s.post(&reply);
        if !was_playing {
            s.last_ms.set(s.now_ms());
        }
        s.schedule();
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // The shell lives as long as the worker.
    std::mem::forget(shell);
    let _ = scope.post_message(&JsValue::from_str(r#"{"kind":"ready"}"#));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("streamlab-worker is the browser's comparison worker; on the command line use `streamlab compare`");
    std::process::exit(2);
}

/// Talc instead of Rust's default wasm allocator (dlmalloc), as in the app: smaller code.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
