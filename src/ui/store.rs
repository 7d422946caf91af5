//! The app's store is `crate::store` (pure, tested natively); here it becomes Yew's `Reducible`, with
//! the side effects the pure store leaves out: the workspace read from and saved to localStorage, and
//! the session text the error panel shows after a panic.

use std::rc::Rc;

use yew::Reducible;

pub use crate::store::*;

/// The store at start, with the workspace saved in this browser. Run once; kept out of `App`'s
/// render function, where inlining it costs wasm size (about 130 bytes more than this call).
#[inline(never)]
pub fn initial() -> Store {
    let store = Store::new(super::persist::load());
    super::remember_session(store.session_text());
    store
}

impl Reducible for Store {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let frame = matches!(action, Action::Frame { .. });
        let next = self.update(action);
        if !frame {
            super::remember_session(next.session_text());
            super::persist::save(&next.workspace());
        }
        next
    }
}
