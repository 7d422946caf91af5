//! One integration-test binary; each module tests one feature through the public API.

mod determinism;
mod replication;
mod support;
mod swarm;
mod timing;
