#!/usr/bin/env bash
# Installs everything wellness0 needs to build, run and test, from the package registries only.
# Idempotent: on a warm machine every step is a quick version check.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

step() { printf '\n== setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "wasm32 target"; rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  rustup component list --installed | grep -q "^$component" || { step "$component"; rustup component add "$component"; }
done

# The release wasm is built on the machine's nightly when it has one (scripts/build-site.sh); it
# needs the standard library's source and the wasm32 target. Not fatal: without them the site is
# built on stable, about 50 KB larger.
if nightly_installed && ! nightly_for_wasm; then
  step "rust-src and wasm32 for $W0_NIGHTLY (smaller release wasm)"
  rustup component add rust-src --toolchain "$W0_NIGHTLY" && rustup target add wasm32-unknown-unknown --toolchain "$W0_NIGHTLY" ||
    echo "setup: could not add them; the release wasm will be built on stable" >&2
fi

# Trunk 0.22 needs a newer rustc than this machine's; 0.21.14 is the pinned, known-good version.
if ! trunk --version 2>/dev/null | grep -q '0\.21\.14'; then
  step "trunk 0.21.14 (about 5 minutes)"; cargo install trunk --version 0.21.14 --locked
fi

# wasm-bindgen CLI must equal the library version in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# twiggy: what the release wasm is made of (the bench's first section).
if ! twiggy --version 2>/dev/null | grep -q '0\.8\.0'; then
  step "twiggy 0.8.0 (about 3 minutes)"; cargo install twiggy --version 0.8.0 --locked
fi

# cargo-deny: licences, duplicate versions and sources of every crate (scripts/test.sh).
if ! cargo deny --version 2>/dev/null | grep -q '0\.20\.2'; then
  step "cargo-deny 0.20.2 (about 3 minutes)"; cargo install cargo-deny --version 0.20.2 --locked
fi

missing_apt=()
command -v node >/dev/null || missing_apt+=(nodejs npm)
[ -x "$CHROME_BIN" ] || missing_apt+=(chromium)
[ -x "$CHROMEDRIVER" ] || missing_apt+=(chromium-driver)
python3 -m venv --help >/dev/null 2>&1 || missing_apt+=(python3-venv)
# PostgreSQL: shared mode's database for several proxy instances (scripts/postgres.sh starts a
# throwaway cluster for the tests).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing_apt+=(postgresql)
if [ ${#missing_apt[@]} -gt 0 ]; then
  step "apt: ${missing_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing_apt[@]}"
fi

# Debian's binaryen (108) breaks Leptos at start-up; the npm package carries a current wasm-opt.
if ! wasm-opt --version 2>/dev/null | grep -q 'version 132'; then
  step "wasm-opt (npm binaryen@132)"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent binaryen@132
fi

# axe-core, injected into the page by the accessibility tests (tests/e2e/axe.py pins the version).
if [ ! -f "$TOOLS/node_modules/axe-core/axe.min.js" ] || ! grep -q '"version": "4.14.1"' "$TOOLS/node_modules/axe-core/package.json"; then
  step "axe-core 4.14.1 (npm)"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent axe-core@4.14.1
fi

# Python: the official SDKs (fidelity checks), Selenium, pytest-timeout and pytest-xdist (end-to-end tests),
# brotli (bench) and pyflakes; reinstalled whenever tests/requirements.txt changes.
stamp=".venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "python venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi
echo "setup: ok"
