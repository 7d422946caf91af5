//! The simulation engine: plain deterministic Rust. No I/O, no clock, no web crates, no `HashMap`
//! iteration, one seeded `ChaCha8Rng` passed explicitly, integer virtual time in microseconds.

pub mod actions;
pub mod assignor;
pub mod checker;
pub mod compare;
pub mod cluster;
pub mod consumer;
pub mod eventlog;
pub mod fraud;
pub mod group;
pub mod kernel;
pub mod log;
pub mod metrics;
mod narrate;
pub mod partitioner;
pub mod producer;
pub mod queue;
pub mod report;
pub mod rng;
pub mod share_group;
pub mod services;
pub mod side_by_side;
pub mod sim;
pub mod views;
pub mod workload;

pub use crate::scenario::AppliedAction;
pub use sim::{FaultSnapshot, Rewind, Sim, Summary};
