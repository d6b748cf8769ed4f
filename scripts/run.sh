#!/usr/bin/env bash
# Builds wellness0 and serves it on localhost through its proxy (prints the URL).
#
#   bash scripts/run.sh            # keys from GEMINI_API_KEY / MEM0_API_KEY or ./.env, else typed in the page
#   bash scripts/run.sh --demo     # no keys at all: the local fake Gemini and mem0 answer instead
#
# PORT (default 8080) picks the port. Installs what it needs first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
PORT="${PORT:-8080}"

echo "== building the site (trunk, release)"
bash scripts/build-site.sh
echo "== building the proxy"
cargo build --profile server -p wellness0-proxy -p wellness0-fakes

proxy_args=(--host 127.0.0.1 --port "$PORT" --dist "$ROOT/dist")
if [ "${1:-}" = "--demo" ]; then
  fakes_log=$(mktemp)
  "$ROOT/target/server/fakes" --gemini-port 0 --mem0-port 0 --gemini-key demo --mem0-key demo \
    --first-token-ms 300 --chunk-ms 40 > "$fakes_log" &
  fakes_pid=$!
  trap 'kill $fakes_pid 2>/dev/null' EXIT
  for _ in $(seq 100); do [ "$(grep -c listening "$fakes_log")" = 2 ] && break; sleep 0.1; done
  gemini_url=$(sed -n 's/^gemini listening on //p' "$fakes_log")
  mem0_url=$(sed -n 's/^mem0 listening on //p' "$fakes_log")
  if [ -z "$gemini_url" ] || [ -z "$mem0_url" ]; then
    echo "run.sh: the fake servers did not start:" >&2; cat "$fakes_log" >&2; exit 1
  fi
  proxy_args+=(--gemini-upstream "$gemini_url" --mem0-upstream "$mem0_url" --gemini-api-key demo --mem0-api-key demo)
  echo "== demo mode: replies come from the local fake Gemini, memories from the fake mem0"
fi
echo "== wellness0 on http://127.0.0.1:$PORT/ (Ctrl-C stops)"
"$ROOT/target/server/wellness0-proxy" "${proxy_args[@]}"
