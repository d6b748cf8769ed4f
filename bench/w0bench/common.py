"""What every section shares: paths, the app's constants the bench measures against, number
formatting, and logging."""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
PROBES = BENCH / "probes"

WASM_NAMED = ROOT / "target" / "wasm32-unknown-unknown" / "release" / "wellness0.wasm"
# The app's list page size (src/mem0/platform.rs) and rows shown before "Show more" (src/memory/sidebar.rs).
LIST_PAGE_SIZE = 200
SIDEBAR_ROWS = 100
# Messages a session shows at first, its newest (src/chat/message_list.rs WINDOW).
MESSAGE_WINDOW = 100
# How long a forgotten memory waits for Undo before it is deleted (src/memory/forget.rs UNDO_MS), and
# the pairs of memories tidy-up compares per slice (src/memory/tidy_panel.rs PAIRS_PER_SLICE).
UNDO_MS = 6_000
TIDY_PAIRS_PER_SLICE = 20_000
BUDGET_BYTES = 200 * 1024  # 200 KiB gzip for everything the first page load fetches
MODEL = "gemini-flash-latest"  # the app's default model (src/settings.rs DEFAULT_MODEL)


# The bench's sections, in the report's order (`--only` picks some).
SECTIONS = ("bundle", "latency", "mem0", "render", "scale", "steer", "privacy", "sync")


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def body_bytes(body):
    """Size of a JSON body as sent on the wire (compact, UTF-8); 0 for no body."""
    if body is None:
        return 0
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


def pct(values, p):
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ms(x):
    return "n/a" if x is None or x != x else f"{x:,.0f} ms"


def ms1(x):
    return "n/a" if x is None or x != x else f"{x:,.2f} ms"


def kb(n):
    return f"{n / 1024:,.1f} KiB"

