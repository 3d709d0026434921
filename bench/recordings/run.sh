#!/usr/bin/env bash
# The recording benchmark in one run: writes the inputs (about 1.1 GB under target/bench-recordings,
# once), runs our criterion benchmark on them, then the Python peers (mcap, mcap-ros2-support,
# forge-robotics) in a venv of their own (.tools/bench-venv, pinned, from PyPI).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
. bench/recordings/prepare.sh
uptime
EPISCOPE_BENCH_MCAP="$out/big.mcap" EPISCOPE_BENCH_JOINTS_MCAP="$out/joints.mcap" cargo bench -p episcope-core --bench recordings -- "$@"
"$venv/bin/python" bench/recordings/peers.py "$out"
uptime
