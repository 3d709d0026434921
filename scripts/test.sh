#!/usr/bin/env bash
# Runs every test: formatting and lints (native and wasm32), the release build of the app, then all
# unit, CLI and end-to-end browser tests (real headless Chromium against the built app).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
. scripts/ensure-tools.sh --browser
. scripts/ensure-python.sh
# The official LeRobot v3.0 loader (lerobot-dataset, torch on CPU) that opens converted datasets in
# crates/episcope-cli/tests/convert.rs: exports EPISCOPE_LOADER_PY.
. scripts/ensure-loader.sh
# pytest + pyarrow for the Python package (crates/episcope-py): exports EPISCOPE_PY_VENV.
. scripts/ensure-py-venv.sh
# Disk: a clean run's target/ was ~40 GB with full debug info and incremental caches, and a CI machine ran out
# (ENOSPC while linking). Now: line tables only (Cargo.toml [profile.dev]) and no incremental cache, which a
# one-shot run never reuses. Each step prints the free space, so a full disk shows where it filled.
export CARGO_INCREMENTAL=0
free_mib() { df -Pm "$repo" | awk 'NR == 2 { print $4 }'; }
step() { printf '\n== %s   [%s MiB free]\n' "$*" "$(free_mib)"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32, web app)"
cargo clippy -p episcope-web --target wasm32-unknown-unknown -- -D warnings
step "trunk build --release"
trunk build --release
step "recording fixtures (independent writers)"
# Regenerates every format's fixtures (tests/recordings/make_<fmt>.py OUT_DIR) into a fresh dir, points
# the tests at it, and checks the regenerated files equal the committed ones. Every writer is
# deterministic (each was run twice and compared: rosbag1, rosbag2, hdf5, mcap).
fixtures="$repo/target/recording-fixtures"
rm -rf "$fixtures"
mkdir -p "$fixtures"
for script in tests/recordings/make_*.py; do
  fmt="$(basename "$script" .py)"
  fmt="${fmt#make_}"
  "$EPISCOPE_PY" "$script" "$fixtures/$fmt"
  if ! diff -r "$fixtures/$fmt" "crates/episcope-core/tests/fixtures/recordings/$fmt"; then
    printf 'error: %s regenerates %s fixtures that differ from crates/episcope-core/tests/fixtures/recordings/%s;\n' "$script" "$fmt" "$fmt" >&2
    printf '       rerun "%s" %s and commit the result (or fix the writer).\n' "$EPISCOPE_PY" "$script" >&2
    exit 1
  fi
done
# The bundled ROS 2 definitions come from rosbags' typestore; regenerate and compare.
"$EPISCOPE_PY" tests/recordings/ros2_definitions.py "$fixtures/ros2_humble.msgs"
if ! diff "$fixtures/ros2_humble.msgs" crates/episcope-core/src/formats/ros_msg/ros2_humble.msgs; then
  printf 'error: tests/recordings/ros2_definitions.py writes definitions that differ from the bundled ros2_humble.msgs\n' >&2
  exit 1
fi
# The public recordings are committed as found; their expected values come from independent readers.
"$EPISCOPE_PY" tests/recordings/describe_public.py "$fixtures/public-expected.json"
if ! diff "$fixtures/public-expected.json" crates/episcope-core/tests/fixtures/recordings/public/expected.json; then
  printf 'error: tests/recordings/describe_public.py describes the public recordings differently from the committed expected.json\n' >&2
  exit 1
fi
export EPISCOPE_RECORDING_FIXTURES="$fixtures"
step "cargo test (unit, CLI, end-to-end in headless Chromium)"
log="$(mktemp)"
status=0
EPISCOPE_DIST="$repo/dist" cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
step "Python package: pip install crates/episcope-py, then pytest"
# Exactly what a user runs (maturin comes from PyPI as the build backend); rebuilt every run, with
# cargo's incremental cache under target/release-py.
py_status=0
"$EPISCOPE_PY_VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps crates/episcope-py || py_status=$?
if [ "$py_status" -eq 0 ]; then
  cargo build --quiet -p episcope-cli
  EPISCOPE_CLI="$repo/target/debug/episcope" "$EPISCOPE_PY_VENV/bin/python" -m pytest -q -p no:cacheprovider crates/episcope-py/tests 2>&1 | tee -a "$log" || py_status=$?
fi
[ "$py_status" -eq 0 ] || status=1
# One closing line over every test binary (cargo's own last line is the doc-tests' count) and pytest.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^[0-9]+ (passed|failed).* in [0-9.]+s/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
printf 'disk: target/ %s, .tools/ %s, %s MiB free\n' "$(du -sh target 2>/dev/null | cut -f1)" "$(du -sh .tools 2>/dev/null | cut -f1)" "$(free_mib)"
exit "$status"
