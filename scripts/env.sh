# Sourced by the other scripts: puts the project's tools first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export TOOLS="$ROOT/.tools"
export PATH="$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"
# The Python SDKs must never phone home from tests.
export MEM0_TELEMETRY=False

# The release wasm's toolchain (scripts/build-site.sh): the machine's nightly, used only when it has
# the standard library's source and the wasm32 target (scripts/setup.sh adds them when it can).
export W0_NIGHTLY="${W0_NIGHTLY:-nightly}"
nightly_installed() {
  local host toolchains
  host=$(rustc -vV | sed -n 's/^host: //p')
  toolchains=$(rustup toolchain list | awk '{print $1}')
  grep -qx -e "$W0_NIGHTLY" -e "$W0_NIGHTLY-$host" <<<"$toolchains"
}
# Usable: the components are there and the compiler knows `-Cpanic=immediate-abort` (newer than
# autumn 2025).
nightly_for_wasm() {
  local installed
  nightly_installed || return 1
  installed=$(rustup component list --toolchain "$W0_NIGHTLY" --installed 2>/dev/null) || return 1
  grep -qx rust-src <<<"$installed" && grep -qx rust-std-wasm32-unknown-unknown <<<"$installed" &&
    rustc "+$W0_NIGHTLY" -Zunstable-options -Cpanic=immediate-abort --target wasm32-unknown-unknown \
      --print cfg >/dev/null 2>&1
}
