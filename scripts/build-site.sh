#!/usr/bin/env bash
# Builds the release site into dist/ (or where `--dist DIR` says): `trunk build --release`, on the
# nightly toolchain when the machine has it, so that the standard library is rebuilt for size and a
# panic aborts at once instead of formatting a message nobody reads (docs/size.md: about 50 KB of
# the wasm, gzip). Without a usable nightly, or with W0_STABLE_WASM=1, the same build runs on stable.
#
#   bash scripts/build-site.sh                      # → dist/
#   bash scripts/build-site.sh --dist /tmp/site     # any other trunk build flag passes through
#
# Prints which toolchain built the wasm and records it in target/wellness0-site.toolchain, so the
# size check (bench --max-first-load) knows which ceiling applies.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

record="$ROOT/target/wellness0-site.toolchain"
mkdir -p "$ROOT/target"
rm -f "$record"

nightly_build() {
  echo "== site: wasm on $(rustc "+$W0_NIGHTLY" -V), std rebuilt for size, panic = immediate-abort"
  # Added to .cargo/config.toml's wasm32 rustflags (cargo joins the two lists): panics trap without
  # formatting (the app already aborts on panic; its message is what goes), and no file/line
  # strings for them.
  RUSTUP_TOOLCHAIN="$W0_NIGHTLY" \
    CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    trunk build --release "$@"
}

if [ "${W0_STABLE_WASM:-0}" = 1 ]; then
  why="W0_STABLE_WASM=1"
elif ! nightly_for_wasm; then
  why="no nightly here with rust-src, the wasm32 target and -Cpanic=immediate-abort"
elif nightly_build "$@"; then
  echo nightly > "$record"
  exit 0
else
  why="the nightly build failed (above)"
fi
echo "== site: wasm on $(rustc -V), stable ($why): about 50 KB larger" >&2
trunk build --release "$@"
echo stable > "$record"
