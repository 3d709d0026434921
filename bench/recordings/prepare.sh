# Sourced by the recording benchmarks (run.sh, convert.sh), from the repository root: writes their
# inputs under target/bench-recordings once (make_big_mcap.py) and sets up the Python peers' venv
# (.tools/bench-venv, pinned by bench/recordings/requirements.txt, from PyPI), rebuilt when the pins
# change. Sets `out` (the inputs' folder) and `venv`.
. scripts/ensure-python.sh
out="$PWD/target/bench-recordings"
"$EPISCOPE_PY" bench/recordings/make_big_mcap.py "$out"
venv="$PWD/.tools/bench-venv"
if [ ! -x "$venv/bin/python" ] || ! cmp -s bench/recordings/requirements.txt "$venv/.requirements"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/recordings/requirements.txt
  cp bench/recordings/requirements.txt "$venv/.requirements"
fi
