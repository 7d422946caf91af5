//! Scenario files: the typed model (`model`), the JSON reader that validates it and reports every
//! error with its JSON path (`parse`), and the built-in scenarios shipped in `static/scenarios/`.

pub mod builtin;
pub mod forms;
pub mod comparison;
pub mod contrasts;
pub mod model;
pub mod parse;
pub mod share;
pub mod workspace;

pub use contrasts::*;
pub use model::*;
pub use parse::{parse_scenario, parse_session, ScenarioError};
