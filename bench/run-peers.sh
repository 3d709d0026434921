#!/usr/bin/env bash
# Builds Episcope's parquet reader for the browser (crates/episcope-bench-wasm) and runs the peers harness
# (../shared/bench/peers, copied to /tmp/peers) with it beside parquet-wasm, duckdb-wasm and hyparquet.
#
#   bench/run-peers.sh                        QUICK=1 by default: the 100k-row files (a few minutes)
#   QUICK=0 bench/run-peers.sh                every file, incl. the 2M-row ones (~30 min)
#   bench/run-peers.sh --files lerobot_2m_fsl_snappy --reps-large 5     (extra args go to the harness's bench.mjs)
#   CONTENDERS=ours/2-workers,parquet-wasm/wasm-only bench/run-peers.sh  (choose contenders)
#   BUILD=0 bench/run-peers.sh                reuse the last build
#
# The wasm is built with the parsing worker's profile (release-worker: opt-level 3, as the web app's worker), bound with wasm-bindgen --target web, optimised with wasm-opt -O3 and
# staged with adapter.js/worker.js in target/peers-ours, which the harness serves as /ours/.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-/tmp/peers}
SHARED_PEERS=${SHARED_PEERS:-$(cd "$REPO/.." && pwd)/shared/bench/peers}
STAGE=$REPO/target/peers-ours
WASM_OPT=${WASM_OPT:-$REPO/.tools/node_modules/.bin/wasm-opt}
export PATH=$HOME/.cargo/bin:$PATH

if [ "${BUILD:-1}" = 1 ]; then
  (cd "$REPO" && cargo build --profile release-worker --target wasm32-unknown-unknown -p episcope-bench-wasm)
  rm -rf "$STAGE/pkg" && mkdir -p "$STAGE/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$STAGE/pkg" \
    "$REPO/target/wasm32-unknown-unknown/release-worker/episcope_bench_wasm.wasm"
  "$WASM_OPT" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-multivalue --enable-reference-types \
    "$STAGE/pkg/episcope_bench_wasm_bg.wasm" -o "$STAGE/pkg/episcope_bench_wasm_bg.wasm"
fi
cp "$REPO/bench/peers-adapter/adapter.js" "$REPO/bench/peers-adapter/worker.js" "$STAGE/"

if [ ! -x "$PEERS/run.sh" ]; then
  cp -r "$SHARED_PEERS" "$PEERS"
  chmod -R u+w "$PEERS"
fi

echo "load before the run: $(uptime)" >&2
CONTENDERS=${CONTENDERS:-ours/2-workers,ours/1-worker,ours/main-thread,parquet-wasm/wasm-only,parquet-wasm/ffi-view,duckdb-wasm@1.28.0,hyparquet+compressors}
cd "$PEERS"
QUICK=${QUICK:-1} GATE=${GATE:-0} ./run.sh --mount "/ours=$STAGE" \
  --contenders-file "$REPO/bench/peers-adapter/contenders.json" --contenders "$CONTENDERS" "$@"
echo "load after the run: $(uptime)" >&2
