"""Where the things under test are: the `fakes` and `wellness0-proxy` binaries and the built site.

Each can be given by an environment variable (`FAKES_BIN`, `PROXY_BIN`, `DIST_DIR`, as scripts/test.sh
does); otherwise the debug binaries under target/ are used, built with cargo when they are missing.
"""

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1800  # a cold build on two busy cores


def _binary(env_var, name, packages):
    given = os.environ.get(env_var)
    if given:
        if not os.path.exists(given):
            raise FileNotFoundError(f"{env_var}={given} does not exist")
        return given
    path = ROOT / "target" / "debug" / name
    if not path.exists():
        args = [a for p in packages for a in ("-p", p)]
        subprocess.run(["cargo", "build", *args], cwd=ROOT, check=True, timeout=BUILD_TIMEOUT_S)
    return str(path)


def fakes_binary():
    """The `fakes` binary: $FAKES_BIN, else target/debug/fakes (built if missing)."""
    return _binary("FAKES_BIN", "fakes", ["wellness0-fakes"])


def proxy_binary():
    """The proxy binary: $PROXY_BIN, else target/debug/wellness0-proxy (built if missing)."""
    return _binary("PROXY_BIN", "wellness0-proxy", ["wellness0-proxy"])


def dist_dir():
    """The built site: $DIST_DIR, else dist/. Fails with what to do when it has not been built."""
    dist = pathlib.Path(os.environ.get("DIST_DIR", ROOT / "dist"))
    if not (dist / "index.html").exists():
        raise FileNotFoundError(f"no built site in {dist}: run `bash scripts/build-site.sh` first")
    return dist
