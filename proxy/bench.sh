#!/usr/bin/env bash
# Benchmark of wellness0-proxy (not a test): builds release binaries (optimised for speed, in
# their own target dir so the app's size-optimised release profile and the lead's builds are
# untouched), starts the fake Gemini/mem0, the proxy in personal mode and a second one in
# shared mode (one person in a throw-away users file) on free loopback ports, runs
# `proxy-load` (added latency of generateContent; what shared mode's sign-in and ownership
# checks add; concurrent SSE streams and proxy memory) and stops everything. Extra arguments
# go to proxy-load, e.g. `proxy/bench.sh --streams 500,2000`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/launch.sh

# 500+ streams need ~4 descriptors each across client, proxy and fake.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 8192 ] || ulimit -n 8192 || true

cargo build --profile server -p wellness0-proxy -p wellness0-fakes --bins
BIN="$ROOT/target/server"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

w0_start_fakes "$WORK/fakes.out" "$BIN/fakes" --gemini-port 0 --mem0-port 0 \
  --gemini-key test-gemini-key --mem0-key test-mem0-key
PIDS+=("$FAKES_PID")
GEMINI="$GEMINI_URL"
MEM0="$MEM0_URL"

# Keys come from the environment here; the rate limit is off (all load comes from one IP).
(cd "$WORK" && GEMINI_API_KEY=test-gemini-key MEM0_API_KEY=test-mem0-key \
  exec "$BIN/wellness0-proxy" --port 0 --gemini-upstream "$GEMINI" --mem0-upstream "$MEM0" \
  --rate-limit-per-minute 0 --dist "$ROOT/dist" >"$WORK/proxy.out" 2>"$WORK/proxy.err") &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
PROXY="$(w0_wait_banner "$WORK/proxy.out" wellness0-proxy "$PROXY_PID")"

# The same proxy in shared mode, with one person; sign-in pacing off (the bench signs in often).
export PROXY_LOAD_PASSWORD="bench password $(date +%s%N)"
printf '%s\n' "$PROXY_LOAD_PASSWORD" | WELLNESS0_USERS_FILE="$WORK/users.json" \
  "$BIN/wellness0-proxy" users add bench --password-stdin >/dev/null
(cd "$WORK" && GEMINI_API_KEY=test-gemini-key MEM0_API_KEY=test-mem0-key WELLNESS0_USERS_FILE="$WORK/users.json" \
  exec "$BIN/wellness0-proxy" --port 0 --gemini-upstream "$GEMINI" --mem0-upstream "$MEM0" \
  --rate-limit-per-minute 0 --signin-attempts-per-minute 100000 --dist "$ROOT/dist" \
  >"$WORK/shared.out" 2>"$WORK/shared.err") &
SHARED_PID=$!
PIDS+=("$SHARED_PID")
SHARED="$(w0_wait_banner "$WORK/shared.out" wellness0-proxy "$SHARED_PID")"

echo "fakes: $GEMINI $MEM0; proxy: $PROXY (pid $PROXY_PID), shared mode: $SHARED;" \
  "ulimit -n $(ulimit -n); $(nproc) cores"
echo
"$BIN/proxy-load" --proxy "$PROXY" --shared-proxy "$SHARED" --gemini "$GEMINI" --proxy-pid "$PROXY_PID" "$@"
