//! One binary, two jobs: on wasm32 it mounts the Yew app; natively it is the `streamlab` CLI.

#[cfg(target_arch = "wasm32")]
fn main() {
    streamlab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(streamlab::cli::main());
}

/// Talc instead of Rust's default wasm allocator (dlmalloc): smaller code in the page's wasm.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
