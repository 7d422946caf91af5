//! One integration-test binary; each module tests one feature through the public API.

mod assignors;
mod charts;
mod cli;
mod compare;
mod contrasts;
mod determinism;
mod groups;
mod lab;
mod partitioning;
mod queue;
mod replication;
mod retention;
mod scenario_parse;
mod session;
mod share_groups;
mod stepping;
mod store;
mod story;
mod support;
mod swarm;
mod timing;
