//! The built-in scenarios, compiled in from `static/scenarios/` so the app, the CLI and the tests use
//! the very same files.

/// (file stem, JSON text) of every built-in scenario.
pub const BUILTIN: &[(&str, &str)] = &[];
