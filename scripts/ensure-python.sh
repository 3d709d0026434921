#!/usr/bin/env bash
# Creates (once) the Python venv of independent fixture writers used by the tests: rosbags (rosbag2
# MCAP/sqlite3 and ROS 1 bags with real CDR), mcap + mcap-ros2-support, h5py. Pinned; from PyPI.
# Source it (`. scripts/ensure-python.sh`): exports EPISCOPE_PY, the venv's python.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.tools/venv"
requirements="$repo/tests/recordings/requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
  printf '[ensure-python] creating %s\n' "$venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$stamp"
fi
export EPISCOPE_PY="$venv/bin/python"
