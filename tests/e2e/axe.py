"""axe-core in the page under test: injected from the npm package scripts/setup.sh installs, run
with the WCAG 2.0 / 2.1 level A and AA rules only, and summarised per state of the app for
tests/e2e/artifacts/axe-results.json."""

import fcntl
import json
import os

from harness import ROOT
from harness.page import ARTIFACTS

AXE_JS = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RESULTS = ARTIFACTS / "axe-results.json"

RUN = """
const [tags, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']})
  .then((r) => done({
    version: axe.version,
    passes: r.passes.length,
    incomplete: r.incomplete.map((i) => ({
      id: i.id,
      nodes: i.nodes.map((n) => ({target: n.target.join(' '),
                                  why: [...n.any, ...n.all, ...n.none].map((c) => c.message).join(' ')})),
    })),
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
    })),
  }))
  .catch((e) => done({error: String(e)}));
"""


def source():
    if not AXE_JS.exists():
        raise FileNotFoundError(f"no {AXE_JS}: run `bash scripts/setup.sh` (it installs axe-core {AXE_VERSION})")
    return AXE_JS.read_text()


def check(page, state, results):
    """Runs axe on the page as it is now; records the outcome under `state` in `results` and
    returns the violations (a list, empty when none)."""
    loaded = page.d.execute_script("return typeof window.axe !== 'undefined'")
    if not loaded:
        page.d.execute_script(source())
    outcome = page.d.execute_async_script(RUN, TAGS)
    assert "error" not in outcome, f"axe failed in {state}: {outcome['error']}"
    assert outcome["version"] == AXE_VERSION, outcome["version"]
    results[state] = {"violations": outcome["violations"], "passes": outcome["passes"],
                      "incomplete": outcome["incomplete"]}
    return outcome["violations"]


def write(results):
    """Adds these states to axe-results.json (states checked by other tests stay). Test workers
    running in parallel (pytest-xdist) take turns: a lock around the read and the write, and the
    file replaced whole, so no worker reads it half-written or writes over another's states."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        states = {**existing.get("states", {}), **results}
        partial = RESULTS.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"axe": AXE_VERSION, "tags": TAGS, "states": states}, indent=2) + "\n")
        partial.replace(RESULTS)


def describe(violations_by_state):
    """Readable lines for an assertion message."""
    lines = []
    for state, violations in violations_by_state.items():
        for v in violations:
            targets = "; ".join(n["target"] for n in v["nodes"][:6])
            lines.append(f"{state}: {v['id']} ({v['impact']}) {v['help']} — {targets}")
            lines.extend(f"    {n['summary']}" for n in v["nodes"][:2])
    return "\n".join(lines)
