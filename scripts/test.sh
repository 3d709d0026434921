#!/usr/bin/env bash
# Runs every test: formatting and lints (native and wasm32), the release build of the app, then all
# unit, CLI and end-to-end browser tests (real headless Chromium against the built app).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
. scripts/ensure-tools.sh --browser
step() { printf '\n== %s\n' "$*"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32, web app)"
cargo clippy -p episcope-web --target wasm32-unknown-unknown -- -D warnings
step "trunk build --release"
trunk build --release
step "cargo test (unit, CLI, end-to-end in headless Chromium)"
log="$(mktemp)"
status=0
EPISCOPE_DIST="$repo/dist" cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line over every test binary (cargo's own last line is the doc-tests' count).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
