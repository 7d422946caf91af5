//! What the app keeps between visits (in the browser's localStorage): which built-in scenario was
//! picked, the seed, and the user's edits of each scenario (kept per scenario, so switching
//! scenarios never loses one). Versioned, so a later format can
//! read or set aside an older one; anything unreadable is reported, never silently dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format written today.
pub const WORKSPACE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    pub version: u32,
    /// The built-in scenario picked last (its file stem).
    pub builtin: Option<String>,
    pub seed: u64,
    /// Built-in stem → the user's text for it (work in progress is kept as typed, even invalid).
    pub edits: BTreeMap<String, String>,
}

impl Workspace {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored workspace, or says why it cannot.
    pub fn from_json(text: &str) -> Result<Workspace, String> {
        let w: Workspace = serde_json::from_str(text).map_err(|e| format!("the saved workspace is not readable ({e})"))?;
        if w.version != WORKSPACE_VERSION {
            return Err(format!("the saved workspace has version {}, this app reads version {WORKSPACE_VERSION}", w.version));
        }
        if w.edits.values().map(String::len).sum::<usize>() > 4 * 1024 * 1024 {
            return Err("the saved scenario texts are larger than 4 MB".into());
        }
        Ok(w)
    }
}
