#!/usr/bin/env bash
# Creates (once) the Python venv of the official LeRobot v3.0 loader (PyPI lerobot-dataset, import ledataset, with
# torch/torchvision run on CPU), used by tests/convert/load_official.py to open what Episcope writes. Pinned; from
# PyPI; installed with --no-deps from tests/convert/loader-requirements.txt (its header says why). ~2.7 GB download.
# Source it (`. scripts/ensure-loader.sh`): exports EPISCOPE_LOADER_PY, the venv's python.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.tools/loader-venv"
requirements="$repo/tests/convert/loader-requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
  printf '[ensure-loader] creating %s\n' "$venv" >&2
  rm -rf "$venv" # --no-deps installs exactly the listed set: start clean so nothing of an older set stays
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --no-deps --only-binary=:all: \
    -r "$requirements" >&2
  "$venv/bin/python" -c 'import torch, torchvision; from ledataset.datasets.lerobot_dataset import LeRobotDataset' >&2
  cp "$requirements" "$stamp"
fi
export EPISCOPE_LOADER_PY="$venv/bin/python"
