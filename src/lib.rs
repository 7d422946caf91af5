//! Streamlab: a deterministic simulator of a Kafka-style cluster. The `engine` is pure Rust (no I/O, no
//! clock, no web crates); `scenario` is the file format; the browser app (`ui`, wasm32 only) and the
//! CLI (`cli`, native only) are thin shells over the engine.

pub mod engine;
/// Parts of the page written as HTML text (a record's story), pure and tested natively.
pub mod html;
/// The comparison view's worker protocol; its `Lab` (every design's engine) is not in the app's wasm.
pub mod lab;
pub mod scenario;
/// The app's state store (view state, transport, the running `Sim`): pure, so tested natively; the
/// app makes it Yew's `Reducible` in `ui::store`.
pub mod store;
pub mod text;

#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
