#!/usr/bin/env bash
# Installs what building and testing Episcope needs, skipping what is already there:
# the wasm32 target, Trunk, the wasm-bindgen CLI at the exact version in Cargo.lock, wasm-opt
# (npm binaryen, see ARCHITECTURE.md), and (with --browser) Debian's chromium + chromium-driver
# and fonts-noto-cjk (so the Japanese UI renders in the tests).
# Everything comes from crates.io, npm or Debian; no prebuilt binary is downloaded from elsewhere.
# Source it (`. scripts/ensure-tools.sh`) so PATH keeps the tools.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_browser=0
for arg in "$@"; do [ "$arg" = "--browser" ] && want_browser=1; done

TRUNK_VERSION=0.21.14
BINARYEN_NPM_VERSION=132.0.0
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, "", $0); print; exit}' "$repo/Cargo.lock")"
export PATH="$HOME/.cargo/bin:$repo/.tools/node_modules/.bin:$PATH"
log() { printf '[ensure-tools] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
  cargo install trunk --locked --version "$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
  # Not --locked: its lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "132" ]; then
  log "installing wasm-opt from npm binaryen@$BINARYEN_NPM_VERSION"
  mkdir -p "$repo/.tools"
  npm install --silent --no-audit --no-fund --prefix "$repo/.tools" "binaryen@$BINARYEN_NPM_VERSION" >&2
fi
if [ "$want_browser" = 1 ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  log "installing Debian chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium chromium-driver >&2
fi
# Japanese UI text renders in the system's Japanese fonts (no web fonts): give the test browser one.
if [ "$want_browser" = 1 ] && ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"; then
  log "installing Debian fonts-noto-cjk (Japanese glyphs for the browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq fonts-noto-cjk >&2
fi
# Trunk runs cargo with --offline (Trunk.toml), so fetch the locked crates first.
(cd "$repo" && cargo fetch --locked >/dev/null 2>&1 || cargo fetch >&2)
export TRUNK_SKIP_VERSION_CHECK=true
