#!/usr/bin/env bash
# Installs what building and testing Streamlab needs, and only what is missing or at the wrong version:
# the wasm32 target, Trunk 0.21.14, wasm-bindgen-cli at the exact version in Cargo.lock, wasm-opt 132
# (npm's binaryen), Debian's Chromium, and the end-to-end tests' npm packages. Safe to run again: when
# everything is present it only checks versions. Nothing here downloads a prebuilt tool from anywhere but
# the package registries (crates.io, npm, Debian).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
command -v rustup >/dev/null || die "rustup not found: it is needed to add the wasm32 target"

# 1. The wasm32 target.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown target: present"
else
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. Trunk, at the version whose build works with this toolchain (0.22 needs a newer rustc).
have_trunk="$(trunk --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_trunk" = "$TRUNK_VERSION" ]; then
  say "trunk $TRUNK_VERSION: present"
else
  say "installing trunk $TRUNK_VERSION (found: ${have_trunk:-none}); this takes about 9 minutes on 2 cores"
  cargo install "trunk@$TRUNK_VERSION" --locked
fi

# 3. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock, or Trunk would try to
#    download one. Installed without --locked: its own lock file pins a crate the registry does not serve.
want_wbg="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$want_wbg" ] || die "no wasm-bindgen entry in Cargo.lock"
have_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_wbg" = "$want_wbg" ]; then
  say "wasm-bindgen-cli $want_wbg: present"
else
  say "installing wasm-bindgen-cli $want_wbg (found: ${have_wbg:-none}); this takes about 3 minutes"
  cargo install "wasm-bindgen-cli@$want_wbg" --force
fi

# 4. wasm-opt from npm's binaryen (Debian's is too old for current Rust output).
command -v npm >/dev/null || die "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)"
have_opt="$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)"
if [ "$have_opt" = "$BINARYEN_VERSION" ]; then
  say "wasm-opt $BINARYEN_VERSION: present"
else
  say "installing wasm-opt $BINARYEN_VERSION with npm (found: ${have_opt:-none})"
  as_root npm install -g "binaryen@$BINARYEN_VERSION"
  hash -r
  have_opt="$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)"
  [ "$have_opt" = "$BINARYEN_VERSION" ] || die "wasm-opt is ${have_opt:-missing} after installing binaryen@$BINARYEN_VERSION (is npm's global bin on PATH?)"
fi

# 5. Debian's Chromium for the end-to-end tests (never a browser downloaded by Playwright).
if [ -x /usr/bin/chromium ]; then
  say "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
else
  say "installing chromium with apt"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is still missing after apt-get install chromium"
fi

# 6. The end-to-end tests' packages, reinstalled when package-lock.json changed since the last npm ci.
e2e=tests/e2e
stamp="$e2e/node_modules/.streamlab-lock"
if [ -d "$e2e/node_modules" ] && cmp -s "$e2e/package-lock.json" "$stamp"; then
  say "tests/e2e node_modules: up to date"
else
  say "running npm ci in tests/e2e"
  (cd "$e2e" && npm ci --no-audit --no-fund)
  cp "$e2e/package-lock.json" "$stamp"
fi

say "ready"
