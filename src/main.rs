//! One binary, two jobs: on wasm32 it mounts the Yew app; natively it is the `streamlab` CLI.

#[cfg(target_arch = "wasm32")]
fn main() {
    streamlab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(streamlab::cli::main());
}
