#!/usr/bin/env bash
# The Ray benchmark (BENCHMARKS.md "Checks on a Ray cluster"): builds the release CLI, generates the
# `2m` preset and 20 datasets of the `100k` preset (seeds 1..20) under target/bench-ray once, installs
# the Python package into the tests' venv (.tools/py-venv, with Ray, from
# crates/episcope-py/tests/requirements.txt), then runs bench/ray/check_many.py.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
. scripts/ensure-py-venv.sh
cargo build --release -p episcope-cli
episcope="${CARGO_TARGET_DIR:-$repo/target}/release/episcope"
data="$repo/target/bench-ray"
mkdir -p "$data"
[ -f "$data/2m/meta/info.json" ] || { rm -rf "$data/2m"; "$episcope" generate --preset 2m --out "$data/2m"; }
for seed in $(seq 1 20); do
  dir="$data/100k-$(printf %02d "$seed")"
  [ -f "$dir/meta/info.json" ] || { rm -rf "$dir"; "$episcope" generate --preset 100k --seed "$seed" --out "$dir"; }
done
"$EPISCOPE_PY_VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps crates/episcope-py
"$EPISCOPE_PY_VENV/bin/python" bench/ray/check_many.py "$episcope" "$data"
