#!/usr/bin/env bash
# The performance bench: writes bench/report.md (+ bench/ttft.svg, bench/mem0-bytes.svg).
#
#   bash bench/run.sh                   # full run (a few minutes)
#   bash bench/run.sh --quick           # smoke run for CI: fewer repetitions, smaller N;
#                                       # writes bench/report-quick.md (+ *-quick.svg) instead
#   bash bench/run.sh --enforce-budget  # also exit 1 when the first load is over 200 KiB gzip
#   bash bench/run.sh --max-first-load BYTES  # exit 1 above BYTES gzip (the ceiling test.sh uses)
#
# Latencies of the fakes: --mem0-latency-ms (150), --first-token-ms (300), --chunk-ms (20), or the
# environment variables BENCH_MEM0_LATENCY_MS, BENCH_FIRST_TOKEN_MS, BENCH_CHUNK_MS. Other flags
# are passed to bench/bench.py (see `bench/bench.py --help`).
#
# Tools come from scripts/setup.sh (idempotent: twiggy, the Python venv with brotli and selenium);
# then it builds what is missing: the fakes binary, and dist/ (scripts/build-site.sh) if absent.
# Loopback only; the fakes, static server, chromedriver and Chromium it starts are stopped on exit.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

quick=0
for arg in "$@"; do [[ "$arg" == "--quick" ]] && quick=1; done
# Everything is bounded: the whole bench gets at most this long.
limit=${BENCH_TIMEOUT_S:-$([[ $quick == 1 ]] && echo 300 || echo 1200)}

child=""
cleanup() {
  if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$child" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools (quick when they are there already)
bash scripts/setup.sh >&2

# --- what is measured: the release site, the named wasm module, the fakes
fakes_bin="${FAKES_BIN:-}"
fresh() { [[ -x "$1" ]] && [[ -z "$(find fakes Cargo.lock -newer "$1" -type f -print -quit)" ]]; }
if [[ -z "$fakes_bin" ]]; then
  if fresh target/server/fakes; then fakes_bin=target/server/fakes
  elif fresh target/debug/fakes; then fakes_bin=target/debug/fakes
  else
    echo "[bench] building the fakes" >&2
    cargo build -p wellness0-fakes
    fakes_bin=target/debug/fakes
  fi
fi
# A site given in DIST_DIR is measured as it is; only the default dist/ is built when missing.
if [[ -z "${DIST_DIR:-}" ]] && { ! ls dist/*.wasm >/dev/null 2>&1 || [[ ! -f dist/index.html ]] ||
  [[ ! -f target/wasm32-unknown-unknown/release/wellness0.wasm ]]; }; then
  echo "[bench] building the release site (scripts/build-site.sh)" >&2
  bash scripts/build-site.sh
fi

# --- run (in the background so the traps can stop it)
timeout --kill-after=20 "$limit" .venv/bin/python bench/bench.py --fakes-bin "$fakes_bin" "$@" &
child=$!
set +e
wait "$child"
rc=$?
set -e
child=""
if [[ $rc == 124 ]]; then echo "[bench] timed out after ${limit} s" >&2; fi
exit "$rc"
