#!/usr/bin/env bash
# The conversion benchmark (issue 13, item 6; BENCHMARKS.md "Converting the 1 GB two-camera bag"):
# writes convert.mcap (about 1 GB: joints at 500 Hz and 100 Hz, two 640x480 rgb8 cameras at 30 Hz)
# and convert-joints.mcap (the joints alone) once, then converts them with the release CLI and with
# forge-robotics (in .tools/bench-venv, from bench/recordings/requirements.txt), three runs each,
# every run under /usr/bin/time. The mappings are the suggested one at 30 fps, with and without
# the cameras.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
. bench/recordings/prepare.sh
cargo build --release -p episcope-cli
episcope="${CARGO_TARGET_DIR:-$repo/target}/release/episcope"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$episcope" convert "$out/convert.mcap" --suggest-map 2>/dev/null | sed 's/^fps = .*/fps = 30/' > "$work/video.toml"
sed '/^\[\[camera\]\]/,$d' "$work/video.toml" > "$work/joints.toml"
timed() { /usr/bin/time -f "%e s wall, %U s user, %S s sys, max RSS %M KB" "$@" 2>&1 | tail -1; }
uptime
for input in convert.mcap convert-joints.mcap; do
  echo "== $input, Episcope, joints only"
  for _ in 1 2 3; do rm -rf "$work/o"; timed "$episcope" convert "$out/$input" --out "$work/o" --map "$work/joints.toml"; done
done
echo "== convert.mcap, Episcope, with both cameras as H.264 (OpenH264)"
for _ in 1 2 3; do rm -rf "$work/o"; timed "$episcope" convert "$out/convert.mcap" --out "$work/o" --map "$work/video.toml"; done
echo "== convert-joints.mcap, forge-robotics"
for _ in 1 2 3; do rm -rf "$work/f"; timed "$venv/bin/forge" convert "$out/convert-joints.mcap" "$work/f" --format lerobot-v3 --fps 30; done
echo "== convert.mcap, forge-robotics (encodes the cameras; it cannot leave them out)"
for _ in 1 2 3; do rm -rf "$work/f"; timed "$venv/bin/forge" convert "$out/convert.mcap" "$work/f" --format lerobot-v3 --fps 30; done
"$episcope" check "$work/f" | grep -E "PASS|FAIL" || true
uptime
