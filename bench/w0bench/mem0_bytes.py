"""Section 3: what one turn costs in calls to mem0 and in bytes both ways, on the mem0 Platform
(v3) and on a self-hosted mem0 server, with few and with many memories already stored; and, for
contrast, the seed's approach (get_all every message, the whole conversation in every add)
replayed against the same fake.

Bytes are HTTP bodies only (the fakes' `request_bytes` / `response_bytes`); headers are not
counted. A turn's calls are exact, not estimated: the bench waits until the page is idle before
each message and after it, so every request in between belongs to that turn."""

import re
import statistics
import time
import urllib.parse

from harness import ChatPage

from .backends import BACKENDS, KINDS, PLATFORM
from .common import body_bytes, log
from .inpage import bench_driver, newest_chip_text, newest_reply_id
from .texts import SEED_ADD_EXTRA, SEED_SEARCH_EXTRA, mem0_json, reply_text, user_text

# The page is idle once no request has reached the fake for this long. After a turn's memory
# chip says "memory updated" only the fetches of the saved memories are left (sent at once), and
# the event polls, the only timed calls, are over.
QUIET_S = 0.5
# Per-turn bytes count as flat when the largest median is within this of the smallest.
FLAT_WITHIN = 0.10


def wait_quiet(fakes, server, quiet_s=QUIET_S, timeout=60):
    """The fake's request log, once nothing new has arrived for `quiet_s`."""
    deadline = time.monotonic() + timeout
    count, since = -1, time.monotonic()
    while True:
        reqs = fakes.requests(server)
        if len(reqs) != count:
            count, since = len(reqs), time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return reqs
        if time.monotonic() > deadline:
            raise TimeoutError(f"the {server} fake never went quiet ({count} requests)")
        time.sleep(0.1)


def tally(backend, reqs):
    """Calls and body bytes (up = request, down = response) by kind of call."""
    out = {k: {"n": 0, "up": 0, "down": 0} for k in KINDS}
    for r in reqs:
        kind = out[backend.classify(r["method"], r["path"])]
        kind["n"] += 1
        kind["up"] += r["request_bytes"]
        kind["down"] += r["response_bytes"]
    out["total"] = {x: sum(out[k][x] for k in KINDS) for x in ("n", "up", "down")}
    return out


def memories_used(chip):
    """Memories the turn's search found, from its chip ("3 memories used · memory updated")."""
    found = re.search(r"(\d+) memor", chip)
    return int(found.group(1)) if found else 0


def drive(site, fakes, backend, n, turns, cfg, before_page=None):
    """Stores `n` memories, opens the app on `backend`, waits for its first list, then sends
    `turns` messages one at a time and records every mem0 call of each turn. `before_page(fakes)`
    runs once the memories are stored, before the page opens."""
    user = f"bench-bytes-{backend.name}-{n}"
    fakes.reset()
    t0 = time.time()
    backend.seed(fakes, user, n)
    seeded_s = time.time() - t0
    if before_page:
        before_page(fakes)
    seeding_calls = len(fakes.requests(backend.server))
    texts = [(user_text(i), reply_text(i, cfg.reply_words)) for i in range(turns)]
    fakes.script(*[{"kind": "reply", "text": r, "first_delay_ms": 0, "chunk_delay_ms": 0} for _, r in texts])
    rows = []
    with bench_driver() as d:
        page = ChatPage(d, site, fakes).open()
        backend.configure(page, site, user)
        listed = backend.listed(n)
        page.wait(lambda: page.one("memory-count").get_attribute("textContent").strip() == str(listed),
                  timeout=120, message=f"{backend.name}: the sidebar never listed {listed} memories")
        reqs = wait_quiet(fakes, backend.server)
        startup = tally(backend, reqs[seeding_calls:])
        t_start = time.time()
        for i, (u, _) in enumerate(texts):
            before, previous = len(reqs), newest_reply_id(page)
            page.send(u)
            # The newest reply, not reply #i: a long session shows only its newest messages.
            page.wait(lambda: newest_reply_id(page) != previous
                      and page.replies()[-1].get_attribute("data-state") == "done",
                      timeout=30, message=f"{backend.name}: reply {i + 1} never finished")
            page.wait(lambda: "memory updated" in newest_chip_text(page), timeout=60,
                      message=f"{backend.name}: turn {i + 1} was not saved")
            reqs = wait_quiet(fakes, backend.server)
            turn = reqs[before:]
            bad = [f"{r['method']} {r['path']} -> {r['status']}" for r in turn if not 200 <= r["status"] < 300]
            rows.append({"calls": tally(backend, turn), "used": memories_used(newest_chip_text(page)), "errors": bad,
                         "other": sorted({f"{r['method']} {r['path']}" for r in turn
                                          if backend.classify(r["method"], r["path"]) == "other"})})
            if (i + 1) % 10 == 0 or i + 1 == turns:
                log(f"mem0 bytes {backend.name} {n:,}: {i + 1}/{turns} turns ({time.time() - t_start:.0f} s)")
        shown = int(page.one("memory-count").get_attribute("textContent").strip())
    gemini = {}
    index = {u: i for i, (u, _) in enumerate(texts)}
    for r in fakes.stream_requests():
        last_user = r["body"]["contents"][-1]["parts"][0]["text"]
        if last_user in index:
            gemini[index[last_user]] = r["request_bytes"]
    return {"user": user, "n": n, "seeded_s": seeded_s, "startup": startup, "turns": rows, "shown_after": shown,
            "gemini": gemini}


def replay_seed(fakes, n, turns, cfg):
    """The seed's calls for `turns` messages, against the Platform fake, for a user of its own
    with the same `n` memories stored: get_all, the v2 search, then an add carrying the whole
    conversation so far. Request bytes are the compact JSON a browser sends; response bytes as
    the fake sent them."""
    user = f"bench-bytes-seed-{n}"
    PLATFORM.seed(fakes, user, n)
    base, buffer, rows = fakes.mem0_url, [], []
    for i in range(turns):
        u, reply = user_text(i), reply_text(i, cfg.reply_words)
        buffer += [{"role": "user", "content": u}, {"role": "assistant", "content": reply}]
        calls = [("get_all", "GET", f"/v1/memories/?user_id={urllib.parse.quote(user)}", None),
                 ("search", "POST", "/v2/memories/search/", {"query": u, **SEED_SEARCH_EXTRA(user)}),
                 ("add", "POST", "/v1/memories/", {"messages": buffer, "user_id": user, **SEED_ADD_EXTRA})]
        row = {}
        for kind, method, path, body in calls:
            before = len(fakes.requests("mem0"))
            mem0_json(method, base + path, body, timeout=60)
            sent = fakes.requests("mem0")[before:]
            row[kind] = {"up": body_bytes(body), "down": sum(r["response_bytes"] for r in sent)}
        row["total"] = sum(row[k]["up"] + row[k]["down"] for k in ("get_all", "search", "add"))
        rows.append(row)
    return rows


def summarize(rows):
    """Per-turn medians: calls and bytes by kind, and the totals."""
    med = lambda f: statistics.median(f(r) for r in rows)  # noqa: E731
    out = {k: {x: med(lambda r: r["calls"][k][x]) for x in ("n", "up", "down")} for k in (*KINDS, "total")}
    out["bytes"] = med(lambda r: r["calls"]["total"]["up"] + r["calls"]["total"]["down"])
    out["used"] = med(lambda r: r["used"])
    out["turns"] = len(rows)
    return out


def flatness(values):
    """How far the largest per-turn median is above the smallest, as a fraction of the smallest."""
    return max(values) / min(values) - 1 if values and min(values) > 0 else float("inf")


def mem0_bytes(site, fakes, cfg):
    sizes, per_size = cfg.bytes_sizes, cfg.bytes_turns
    runs, seed = {}, {}
    for backend in BACKENDS:
        runs[backend.name] = {}
        for n in sizes:
            # The Platform with the fewest memories also runs the long conversation (turn 1 → cfg.turns).
            long = backend is PLATFORM and n == sizes[0]
            turns = max(per_size, cfg.turns) if long else per_size
            log(f"mem0 bytes: {backend.label}, {n:,} memories stored, {turns} turns")

            def replay(fakes, n=n):
                seed[n] = replay_seed(fakes, n, per_size, cfg)

            run = drive(site, fakes, backend, n, turns, cfg, before_page=replay if backend is PLATFORM else None)
            run["summary"] = summarize(run["turns"][:per_size])
            runs[backend.name][n] = run
    verdicts = {}
    for backend in BACKENDS:
        summaries = [runs[backend.name][n]["summary"] for n in sizes]
        spread = flatness([x["bytes"] for x in summaries])
        # The search answer carries up to top_k memories: fewer when few are stored and relevant.
        rest = flatness([x["bytes"] - x["search"]["down"] for x in summaries])
        verdicts[backend.name] = {"spread": spread, "pass": spread <= FLAT_WITHIN, "spread_without_search_answer": rest}
        log(f"mem0 bytes per turn on {backend.label} with {' / '.join(f'{n:,}' for n in sizes)} memories: "
            f"{' / '.join(f'{x:,.0f}' for x in (y['bytes'] for y in summaries))} B, spread {100 * spread:.1f}% -> "
            f"{'PASS' if spread <= FLAT_WITHIN else 'FAIL'} (within {100 * FLAT_WITHIN:.0f}%); "
            f"without the search answer {100 * rest:.1f}%")
    long = runs[PLATFORM.name][sizes[0]]
    seed_long = []
    buffer = []
    for i in range(len(long["turns"])):
        u, reply = user_text(i), reply_text(i, cfg.reply_words)
        buffer += [{"role": "user", "content": u}, {"role": "assistant", "content": reply}]
        seed_long.append({"search": body_bytes({"query": u, **SEED_SEARCH_EXTRA(long["user"])}),
                          "add": body_bytes({"messages": buffer, "user_id": long["user"], **SEED_ADD_EXTRA})})
    return {"sizes": list(sizes), "per_size": per_size, "flat_within": FLAT_WITHIN, "runs": runs, "seed": seed,
            "verdicts": verdicts, "seed_long": seed_long,
            "backends": {b.name: {"label": b.label, "calls": {k: b.call_name(k) for k in KINDS}} for b in BACKENDS}}
