//! The simulation engine: plain deterministic Rust. No I/O, no clock, no web crates, no `HashMap`
//! iteration, one seeded `ChaCha8Rng` passed explicitly, integer virtual time in microseconds.

pub mod bench;
pub mod partitioner;
pub mod report;
pub mod sim;

pub use sim::{Sim, Summary};
