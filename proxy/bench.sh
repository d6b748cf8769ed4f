#!/usr/bin/env bash
# Benchmark of wellness0-proxy (not a test): builds release binaries (optimised for speed, in
# their own target dir so the app's size-optimised release profile and the lead's builds are
# untouched), starts the fake Gemini/mem0 and the proxy on free loopback ports, runs
# `proxy-load` (added latency of generateContent; concurrent SSE streams and proxy memory) and
# stops everything. Extra arguments go to proxy-load, e.g. `proxy/bench.sh --streams 500,2000`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# 500+ streams need ~4 descriptors each across client, proxy and fake.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 8192 ] || ulimit -n 8192 || true

export CARGO_TARGET_DIR="$ROOT/target/bench"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_PANIC=unwind
cargo build --release -p wellness0-proxy -p wellness0-fakes --bins
BIN="$CARGO_TARGET_DIR/release"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits for a line matching $2 in file $1 and prints its URL.
wait_url() {
  for _ in $(seq 100); do
    if grep -q "$2" "$1" 2>/dev/null; then grep "$2" "$1" | head -1 | sed 's/.* on //'; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

"$BIN/fakes" --gemini-port 0 --mem0-port 0 --gemini-key test-gemini-key --mem0-key test-mem0-key \
  >"$WORK/fakes.out" 2>"$WORK/fakes.err" &
PIDS+=($!)
GEMINI="$(wait_url "$WORK/fakes.out" '^gemini listening on')"
MEM0="$(wait_url "$WORK/fakes.out" '^mem0 listening on')"

# Keys come from the environment here; the rate limit is off (all load comes from one IP).
(cd "$WORK" && GEMINI_API_KEY=test-gemini-key MEM0_API_KEY=test-mem0-key \
  exec "$BIN/wellness0-proxy" --port 0 --gemini-upstream "$GEMINI" --mem0-upstream "$MEM0" \
  --rate-limit-per-minute 0 --dist "$ROOT/dist" >"$WORK/proxy.out" 2>"$WORK/proxy.err") &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
PROXY="$(wait_url "$WORK/proxy.out" '^wellness0-proxy listening on')"

echo "fakes: $GEMINI $MEM0; proxy: $PROXY (pid $PROXY_PID); ulimit -n $(ulimit -n); $(nproc) cores"
echo
"$BIN/proxy-load" --proxy "$PROXY" --gemini "$GEMINI" --proxy-pid "$PROXY_PID" "$@"
