#!/usr/bin/env bash
# JointState decoding in the browser's Web Worker: the parsing worker's build (release-worker profile,
# wasm-opt -O3) of `decode_stream` over a synthetic stream built in wasm memory, run in a Web Worker
# of headless Chromium (Debian's chromium + chromium-driver, as the tests use). The counterpart of
# the native `cargo bench -p episcope-core --bench recordings -- joint_state/decode_stream`.
#   bench/recordings/worker-decode.sh [MESSAGES] [JOINTS]      (defaults: 100000 7)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
export PATH="$repo/.tools/bin:$HOME/.cargo/bin:$PATH"
stage="$repo/target/worker-decode"
cargo build --profile release-worker --target wasm32-unknown-unknown -p episcope-bench-wasm
rm -rf "$stage" && mkdir -p "$stage"
wasm-bindgen --target no-modules --no-typescript --out-dir "$stage" \
  "$repo/target/wasm32-unknown-unknown/release-worker/episcope_bench_wasm.wasm"
"$repo/.tools/node_modules/.bin/wasm-opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types \
  "$stage/episcope_bench_wasm_bg.wasm" -o "$stage/episcope_bench_wasm_bg.wasm"
cp bench/recordings/worker-decode/index.html bench/recordings/worker-decode/worker.js "$stage/"
http_port=8767 driver_port=9517
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$stage" >/dev/null 2>&1 &
server=$!
chromedriver --port="$driver_port" >/dev/null 2>&1 &
driver=$!
trap 'kill $server $driver 2>/dev/null || true' EXIT
sleep 2
uptime
python3 bench/recordings/worker_decode.py "http://127.0.0.1:$http_port/index.html?messages=${1:-100000}&joints=${2:-7}" "$driver_port"
uptime
