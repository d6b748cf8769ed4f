"""wellness0 performance bench: writes bench/report.md and SVG charts.

Run it through `bash bench/run.sh [--quick] [--enforce-budget]`, which installs what is missing.
Everything runs on loopback against the fake Gemini and mem0 servers (`fakes/`) with fixed
latencies, and the built site in `dist/` served by a local static server, in headless Chromium
(driven with the shared test harness, tests/harness/).

Sections (one module each in bench/w0bench/, in-page probes in bench/probes/*.js):
  1. bundle       release bundle sizes (raw / gzip -9 / brotli), first-load budget, twiggy
  2. latency      time to first / last token, the app vs a replay of the seed's pipeline
  3. mem0_bytes   calls and bytes (both ways) exchanged with mem0 per turn, on the mem0 Platform
                  and a self-hosted server, with 10 / 1,000 / 5,000 memories stored (backends:
                  the two services as the bench drives them), against the seed's get_all and
                  whole-buffer adds; report_mem0 writes its part of the report
  4. rendering    per-chunk cost in a 2,000-message session (stored in IndexedDB), memory drawer
                  with 1,000 memories, heap
  5. sessions_scale  200 sessions x 200 messages in IndexedDB against an empty store (issue 10):
                  page load, search index build and typing in the search box, opening and streaming
                  into a 2,000-message session, storage per 1,000 messages; report_scale writes its
                  part of the report and the verdicts
  6. steering     memory steering (issue 12): tidy-up over 1,000 memories (planted near-duplicates,
                  bench/w0bench/memory_set.py) from the click to its preview on screen, with long
                  tasks; Forget under a reply: the memory off the sidebar in the click's own task,
                  and the delete after the undo window; report_steering writes its part and verdicts
  7. privacy      the passcode lock (issue 14): the key derivation alone and unlocking to a usable
                  app, opening a 2,000-message session and building the search index with the store
                  sealed vs in the clear (the same data on two origins), setting the passcode
                  (re-encrypting everything), storage; report_privacy writes its part
  8. sync         sync between devices (issue 22), the proxy on SQLite and on a throwaway
                  PostgreSQL cluster: a new device's first sync of 200 x 200 messages (time, bytes on
                  the wire against the plaintext), propagation between open devices (p50/p95, two
                  instances on PostgreSQL), "changes since" over 10,000 accounts x 1,000 records
                  timed at the database, and the fault suite (proxy killed mid-push, database
                  restarted, a device switching instances); report_sync writes its part and verdicts
  9. report       the report (with how to reproduce: command, machine, date, fake latencies);
                  charts: the SVG figures

`--only` runs some sections (the bundle too only when named); the report then holds just those.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))  # the shared harness

from w0bench.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(__doc__))
