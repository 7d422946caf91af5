#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then serves the app with `trunk serve` on
# http://127.0.0.1:8080 (Trunk.toml), rebuilding on every change. Extra arguments go to trunk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
exec trunk serve "$@"
