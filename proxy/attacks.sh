#!/usr/bin/env bash
# Runs the attack list of issue 9 (proxy/src/bin/proxy-attacks) against this build of
# wellness0-proxy, in personal and in shared mode, and prints a markdown table; exits non-zero
# when an attack gets through. Loopback only, against the fakes. Pass `--before PATH` to add
# columns (personal and shared mode) for an older proxy binary, e.g. one built from an earlier
# commit (its own target directory, so this build's stays as it is):
#   git worktree add /tmp/w0-old <rev>
#   (cd /tmp/w0-old && cargo build -p wellness0-proxy --target-dir "$OLDPWD/target/old")
#   proxy/attacks.sh --before target/old/debug/wellness0-proxy
#   git worktree remove --force /tmp/w0-old
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
cargo build -p wellness0-proxy -p wellness0-fakes --bins
exec target/debug/proxy-attacks --after target/debug/wellness0-proxy --fakes target/debug/fakes "$@"
