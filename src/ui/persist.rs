//! The workspace in the browser's localStorage (key `streamlab.workspace`). A value that cannot be
//! read is moved aside to `streamlab.workspace.unreadable` (not deleted) and reported to the user.

use crate::scenario::workspace::Workspace;

const KEY: &str = "streamlab.workspace";
const ASIDE: &str = "streamlab.workspace.unreadable";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved workspace: `Ok(None)` when there is none (or no storage), `Err` with what happened
/// when one was there but unreadable (it has been set aside).
pub fn load() -> Result<Option<Workspace>, String> {
    let Some(s) = storage() else { return Ok(None) };
    let Some(text) = s.get_item(KEY).ok().flatten() else { return Ok(None) };
    match Workspace::from_json(&text) {
        Ok(w) => Ok(Some(w)),
        Err(why) => {
            let kept = s.set_item(ASIDE, &text).is_ok();
            let _ = s.remove_item(KEY);
            Err(if kept {
                format!("Your saved work could not be loaded: {why}. It was kept in localStorage under “{ASIDE}”; the app starts fresh.")
            } else {
                format!("Your saved work could not be loaded: {why}. The app starts fresh.")
            })
        }
    }
}

/// Save; a full or disabled storage is not an error worth interrupting anyone for.
pub fn save(w: &Workspace) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &w.to_json());
    }
}
