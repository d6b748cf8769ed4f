"""Fidelity tests of the fakes: the official SDKs (google-genai, mem0ai) and, for the self-hosted
mem0 server that has no official REST client, plain HTTP requests written from the server's source.

Run from the repo root:
    .venv/bin/pip install -r tests/requirements.txt
    FAKES_BIN=target/debug/fakes .venv/bin/python -m pytest -q tests/fidelity

The fakes binary is taken from $FAKES_BIN, or built with `cargo build -p wellness0-fakes`.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from fidelity_fakes import GEMINI_KEY, MEM0_EVENT_MS, MEM0_KEY, SELFHOSTED_KEY, SELFHOSTED_MEMBER_KEY

os.environ.setdefault("MEM0_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gemini", "mem0", "selfhosted")


@pytest.fixture(scope="session")
def fakes():
    """Starts every fake on a free port; yields {"gemini": url, "mem0": url, "selfhosted": url}."""
    binary = os.environ.get("FAKES_BIN")
    if not binary:
        subprocess.run(["cargo", "build", "-p", "wellness0-fakes"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "debug" / "fakes")
    proc = subprocess.Popen(
        [binary, "--gemini-port", "0", "--mem0-port", "0", "--selfhosted-port", "0",
         "--gemini-key", GEMINI_KEY, "--mem0-key", MEM0_KEY, "--selfhosted-key", SELFHOSTED_KEY,
         "--selfhosted-member-key", SELFHOSTED_MEMBER_KEY, "--mem0-event-ms", str(MEM0_EVENT_MS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    urls = {}
    try:
        while len(urls) < len(SERVICES):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("fakes exited before listening")
            m = re.fullmatch(r"(gemini|mem0|selfhosted) listening on (http://\S+)\n", line)
            assert m, f"unexpected banner line: {line!r}"
            urls[m.group(1)] = m.group(2)
        yield urls
    finally:
        proc.terminate()
        proc.wait(timeout=10)
