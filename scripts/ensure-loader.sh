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
  mkdir -p "$repo/.tools"
  # The wheels (~2.7 GB) unpack to ~4.8 GB; pip stages downloads in TMPDIR. Say plainly when the disk cannot hold it
  # rather than failing half-way with ENOSPC, and stage on the same disk as the venv (a small tmpfs /tmp is common).
  free_kib="$(df -Pk "$repo/.tools" | awk 'NR == 2 { print $4 }')"
  if [ "${free_kib:-0}" -lt $((8 * 1024 * 1024)) ]; then
    printf '[ensure-loader] %s has %s MiB free; the loader venv needs about 8 GiB while installing\n' \
      "$repo/.tools" "$((free_kib / 1024))" >&2
    exit 1
  fi
  pip_tmp="$repo/.tools/tmp"
  mkdir -p "$pip_tmp"
  python3 -m venv "$venv"
  TMPDIR="$pip_tmp" "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --no-deps --only-binary=:all: \
    -r "$requirements" >&2
  "$venv/bin/python" -c 'import torch, torchvision; from ledataset.datasets.lerobot_dataset import LeRobotDataset' >&2
  rm -rf "$pip_tmp"
  cp "$requirements" "$stamp"
fi
export EPISCOPE_LOADER_PY="$venv/bin/python"
