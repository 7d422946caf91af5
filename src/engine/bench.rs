//! Placeholder: the engine benchmark behind `streamlab bench`.
/// Runs the benchmark and returns its printed figures.
pub fn run() -> String { String::new() }
