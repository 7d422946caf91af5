#!/usr/bin/env bash
# Every test Streamlab has, in order, stopping at the first failure: installs what is missing
# (scripts/setup.sh), runs all Rust tests (cargo test), builds the web app for release (trunk build
# --release into dist/), prints the size of the wasm, then runs the end-to-end tests in headless Chromium
# against dist/ (node --test in tests/e2e).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "cargo test"
cargo test

step "trunk build --release"
# The web build optimizes for size (opt-level z, then wasm-opt -Oz from index.html): about 30% less
# wasm for about 10% less engine speed; the native CLI and benchmark keep opt-level 3.
CARGO_PROFILE_RELEASE_OPT_LEVEL=z trunk build --release

# The app's own wasm (loaded with the page) and the comparison worker's (loaded when the view opens).
wasm="$(ls dist/streamlab-*_bg.wasm 2>/dev/null | grep -v 'streamlab-worker' | head -n 1 || true)"
worker="dist/streamlab-worker_bg.wasm"
[ -n "$wasm" ] || { echo "test: no app .wasm in dist/ after trunk build" >&2; exit 1; }
[ -f "$worker" ] || { echo "test: no $worker after trunk build" >&2; exit 1; }
for w in "$wasm" "$worker"; do
  raw=$(wc -c <"$w")
  gz=$(gzip -9 -c "$w" | wc -c)
  printf 'wasm size: %s: %d bytes raw, %d bytes gzipped (-9)\n' "$w" "$raw" "$gz"
done
# The page's own wasm has a budget (the issue's bar): over it, the build fails here.
app_gz=$(gzip -9 -c "$wasm" | wc -c)
budget=400000
if [ "$app_gz" -gt "$budget" ]; then
  echo "test: the app's wasm is $app_gz bytes gzipped, over its budget of $budget" >&2
  exit 1
fi
echo "app wasm: $app_gz of $budget bytes gzipped ($((budget - app_gz)) to spare)"

step "native trace hash of the quickstart scenario (the browser must match it)"
STREAMLAB_QUICKSTART_HASH="$(cargo run --release --quiet -- run quickstart --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).trace_hash))')"
export STREAMLAB_QUICKSTART_HASH
echo "quickstart trace hash: $STREAMLAB_QUICKSTART_HASH"
# The share test replays the page's exported session with the native binary.
STREAMLAB_BIN="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/release/streamlab"
export STREAMLAB_BIN
[ -x "$STREAMLAB_BIN" ] || { echo "test: no native binary at $STREAMLAB_BIN" >&2; exit 1; }

step "end-to-end tests (tests/e2e, headless Chromium)"
cd tests/e2e
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
