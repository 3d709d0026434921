#!/usr/bin/env bash
# Builds the app (release) and serves it with the bundled examples on http://127.0.0.1:${PORT:-8080}/
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
. scripts/ensure-tools.sh
trunk build --release
port="${PORT:-8080}"
echo "Episcope is at http://127.0.0.1:$port/  (Ctrl-C stops it)"
exec python3 scripts/serve.py dist "$port"
