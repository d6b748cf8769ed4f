"""Stored sessions for the bench, written straight into the app's IndexedDB from the page
(bench/probes/seed-sessions.js makes the texts and writes the records the app writes)."""

import pathlib
import time

from .inpage import probe

# Message lengths as people write to a wellness chat, and as the model answers (characters).
USER_CHARS = (80, 200)
REPLY_CHARS = (300, 800)
DAY_MS = 86_400_000
GAP_MS = 45_000  # between two messages of a session


def plan(count, per_session, days_ago, gap_ms=GAP_MS):
    """`count` sessions of `per_session` messages, one a day, the newest started `days_ago` days ago;
    oldest first. Ids as the app makes them: the creation time in ms * 4096 plus a small number."""
    newest = int(time.time() * 1000) - days_ago * DAY_MS
    starts = [newest - (count - 1 - i) * DAY_MS for i in range(count)]
    return [{"id": start * 4096 + 1 + i % 4000, "startMs": start, "count": per_session, "gapMs": gap_ms}
            for i, start in enumerate(starts)]


def seed_sessions(d, sessions, seed=1, hit=None, tokens=None, per_tx=10, branch_every=0):
    """Stores `sessions` (from `plan`) in the page's origin; the app must have started there once
    (it creates the database). `hit` = (sentence, share of user messages it is added to); `tokens` =
    {index in `sessions`: sentence added to that session's first user message}; `branch_every` = N: every
    N-th reply also has an earlier version (the app's parent links, see seed-sessions.js). Returns the probe's
    answer: time taken, each session's id, count and newest message id, and text statistics."""
    spec = {"sessions": sessions, "seed": seed, "userChars": USER_CHARS, "replyChars": REPLY_CHARS,
            "hit": list(hit) if hit else None, "tokens": {str(k): v for k, v in (tokens or {}).items()},
            "perTx": per_tx, "branchEvery": branch_every}
    res = d.execute_async_script(probe("seed-sessions"), spec)
    if "error" in res:
        raise RuntimeError(f"seeding failed: {res['error']}")
    return res


def storage_footprint(d, origin_port, settle_s=30):
    """What the page's origin keeps: once the size of its IndexedDB files on disk (in the browser's
    profile) has not changed for 3 s (its database compacts in the background; at most `settle_s`),
    navigator.storage.estimate() after a recount (storage-estimate.js), and that size on disk."""
    disk, stable_since, deadline = idb_disk_bytes(d, origin_port), time.time(), time.time() + settle_s
    while time.time() - stable_since < 3 and time.time() < deadline:
        time.sleep(0.5)
        now = idb_disk_bytes(d, origin_port)
        if now != disk:
            disk, stable_since = now, time.time()
    res = d.execute_async_script(probe("storage-estimate"), True)
    if "error" in res:
        raise RuntimeError(res["error"])
    return dict(res, disk=idb_disk_bytes(d, origin_port))


def idb_disk_bytes(d, origin_port):
    """Bytes of the origin's IndexedDB files in the browser's profile (`http_127.0.0.1_PORT.indexeddb.*`)."""
    dirs = pathlib.Path(d._w0_profile).glob(f"**/http_127.0.0.1_{origin_port}.indexeddb.*")
    return sum(f.stat().st_size for folder in dirs for f in folder.rglob("*") if f.is_file())
