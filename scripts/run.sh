#!/usr/bin/env bash
# Builds wellness0 and serves it on localhost (prints the URL). Installs what it needs first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
PORT="${PORT:-8080}"
echo "wellness0: building and serving on http://127.0.0.1:$PORT/ (Ctrl-C stops)"
exec trunk serve --release --port "$PORT" --address 127.0.0.1
