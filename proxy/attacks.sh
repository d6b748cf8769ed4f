#!/usr/bin/env bash
# Runs the attack list of issue 9 (proxy/src/bin/proxy-attacks) against this build of
# wellness0-proxy, in personal and in shared mode, and prints a markdown table; exits non-zero
# when an attack gets through. Loopback only, against the fakes. Pass `--before PATH` to add a
# column for an older proxy binary, e.g. one built from an earlier commit:
#   git worktree add /tmp/w0-old <rev> && (cd /tmp/w0-old && cargo build -p wellness0-proxy)
#   proxy/attacks.sh --before /tmp/w0-old/target/debug/wellness0-proxy
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
cargo build -p wellness0-proxy -p wellness0-fakes --bins
exec target/debug/proxy-attacks --after target/debug/wellness0-proxy --fakes target/debug/fakes "$@"
