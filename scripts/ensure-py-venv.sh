#!/usr/bin/env bash
# Creates (once) the venv the Python package is tested in: pytest, pyarrow and ray, pinned, from PyPI
# (crates/episcope-py/tests/requirements.txt). The package itself is installed into it by
# scripts/test.sh on every run (`pip install crates/episcope-py`, built by maturin from PyPI).
# Source it (`. scripts/ensure-py-venv.sh`): exports EPISCOPE_PY_VENV.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.tools/py-venv"
requirements="$repo/crates/episcope-py/tests/requirements.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
  printf '[ensure-py-venv] creating %s\n' "$venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$stamp"
fi
export EPISCOPE_PY_VENV="$venv"
