//! One integration-test binary; each module tests one feature through the public API.

mod cli;
mod scenario_parse;
