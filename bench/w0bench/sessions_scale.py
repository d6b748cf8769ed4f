"""Section 5: sessions at scale (issue 10): many stored sessions against an empty store, all figures
from one run, in one Chromium profile.

IndexedDB belongs to an origin, so the same `dist/` is served by two static servers (two ports, two
origins) in one browser: one origin keeps an empty store, the other gets `scale_sessions` x
`scale_messages` messages written straight into IndexedDB (bench/probes/seed-sessions.js). Page loads
alternate between the two. Then, on the big store: how long the search index takes to build after a
load, typing in the search box, a 2,000-message session (seeded in addition) opened from the list and
streamed into, and the storage used per 1,000 messages."""

import time
import urllib.parse

from harness import ChatPage, StaticSite
from selenium.webdriver.common.keys import Keys

from .common import MESSAGE_WINDOW, log
from .inpage import bench_driver, install_probe, load_usable, probe
from .rendering import stream_replies
from .report_scale import OPEN_WAIT_S, verdicts
from .sessions_seed import plan, seed_sessions, storage_footprint

# Typed into the search box: a word some user messages contain, and one none does.
HIT_QUERY, HIT_SENTENCE, HIT_RATE = "afghanistan", "It reminds me of my months in Afghanistan.", 0.01
MISS_QUERY = "kilimanjaro"
# Only in the oldest session's first message (the index reaches it last): the index is built when found.
OLDEST_TOKEN, OLDEST_SENTENCE = "zanzibar", "We went to Zanzibar when I was small."
BIG_TOKEN, BIG_SENTENCE = "tasmania", "I am thinking about the trip to Tasmania again."
KEY_PAUSE_S = 0.15  # between two keystrokes: quick typing
PER_TX = 10  # sessions written per IndexedDB transaction


def sessions_scale(site_empty, dist, fakes, cfg):
    n, per = cfg.scale_sessions, cfg.scale_messages
    out = {"sessions": n, "per_session": per, "messages": n * per, "big_messages": cfg.big_conversation,
           "hit_query": HIT_QUERY, "miss_query": MISS_QUERY, "key_pause_ms": KEY_PAUSE_S * 1000}
    with StaticSite(dist) as other, bench_driver() as d:
        site_big = other.url
        install_probe(d)
        for url in (site_empty, site_big):
            ChatPage(d, url, fakes).open().configure()  # Gemini only: the stream below needs no memory
        page = ChatPage(d, site_big, fakes)

        # The store: n sessions, one a day, the newest yesterday; the storage used before and after.
        port = urllib.parse.urlsplit(site_big).port
        before = storage_footprint(d, port)
        t = time.time()
        seeded = seed_sessions(d, plan(n, per, days_ago=1), seed=10, hit=(HIT_SENTENCE, HIT_RATE),
                               tokens={0: OLDEST_SENTENCE}, per_tx=PER_TX)
        out["seed"] = {"ms": seeded["ms"], "wall_s": time.time() - t, "stats": seeded["stats"], "per_tx": PER_TX}
        d.execute_script("sessionStorage.removeItem('wellness0.session')")  # open the newest, as a new tab does
        newest = seeded["sessions"][-1]
        expect_big = {"count": min(MESSAGE_WINDOW, per), "last": newest["last"]}
        out["first_load"] = load_usable(d, site_big, expect_big)
        out["storage"] = {"before": before, "after": storage_footprint(d, port)}
        log(f"scale: {n * per:,} messages seeded in {seeded['ms'] / 1000:.1f} s")

        # Page loads, alternating (and alternating which goes first) so both see the same conditions.
        loads = {"empty": [], "big": []}
        for r in range(cfg.scale_loads):
            order = [("empty", site_empty, {"count": 0}), ("big", site_big, expect_big)]
            for name, url, expect in order if r % 2 == 0 else order[::-1]:
                loads[name].append(load_usable(d, url, expect))
                time.sleep(0.5)
            log(f"scale: load {r + 1}/{cfg.scale_loads}: empty {loads['empty'][-1]['usable']:.0f} ms, "
                f"{n * per:,} messages {loads['big'][-1]['usable']:.0f} ms")
        out["loads"] = loads

        # The search index, built in the background after each load.
        out["index"] = []
        for _ in range(cfg.scale_index_reps):
            got = load_usable(d, site_big, dict(expect_big, token=OLDEST_TOKEN))
            out["index"].append(got)
            log(f"scale: index built {got['indexed'] - got['usable']:.0f} ms after the page was usable")

        # Typing in the search box, once the index is built.
        box = page.one("session-search")
        clear_search(page, box)
        out["typing"] = {HIT_QUERY: [], MISS_QUERY: []}
        for _ in range(cfg.scale_typing_reps):
            for query in (HIT_QUERY, MISS_QUERY):
                out["typing"][query].append(type_query(d, page, box, query))

        # A 2,000-message session as well, older than all the others: opened from the list.
        big = seed_sessions(d, plan(1, cfg.big_conversation, days_ago=n + 30), seed=20, tokens={0: BIG_SENTENCE})
        out["big_seed"] = {"ms": big["ms"], "stats": big["stats"]}
        big = big["sessions"][0]
        load_usable(d, site_big, dict(expect_big, token=BIG_TOKEN))  # index built, the big session too
        clear_search(page, page.one("session-search"))
        opens = {"big": [], "small": []}
        for r in range(cfg.scale_opens):
            for name, s in (("big", big), ("small", newest)):
                opens[name].append(open_session(d, s))
                time.sleep(0.5)
            log(f"scale: open {r + 1}/{cfg.scale_opens}: {cfg.big_conversation:,} messages "
                f"{describe_open(opens['big'][-1])}; {per} messages {describe_open(opens['small'][-1])}")
        out["open"] = opens

        # Streaming a long reply into the 2,000-message session.
        open_session(d, big)
        time.sleep(0.5)
        out["stream"] = stream_replies(d, page, fakes, cfg.scale_stream_reps, cfg.scale_stream_words,
                                       f"{cfg.big_conversation} of {n * per + cfg.big_conversation:,} messages",
                                       profile=not cfg.quick)
    for name, target, measured, ok in verdicts(out):
        log(f"scale: {name}: {measured} (target {target}) -> {'PASS' if ok else 'FAIL'}")
    return out


def open_session(d, session):
    """Clicks `session` in the list; its newest message must reach the DOM (on screen is measured)."""
    got = d.execute_async_script(probe("open-session"), session["id"], session["last"], OPEN_WAIT_S * 1000)
    if "error" in got or got["dom"] is None:
        raise RuntimeError(f"opening session {session['id']}: {got}")
    return got


def describe_open(got):
    shown = f"on screen {got['onScreen']:.0f} ms" if got["onScreen"] is not None else "never on screen"
    return f"in the DOM {got['dom']:.0f} ms, {shown} (scrolled to {got['scroll'][0]:.0f} of {got['scroll'][1]:.0f} px)"


def clear_search(page, box):
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    page.wait(lambda: page.by_testid("sessions") and not page.by_testid("session-hits"), message="search never cleared")
    time.sleep(0.5)


def type_query(d, page, box, query):
    """Types `query` a key at a time, then clears the box (select all, Delete); each keystroke timed."""
    d.execute_script(probe("search-typing"))
    for ch in query:
        box.send_keys(ch)
        time.sleep(KEY_PAUSE_S)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    time.sleep(0.5)
    got = d.execute_async_script(probe("search-collect"))
    typed = [k for k in got["keys"] if k["value"]]
    worst = max(k["painted"] - k["down"] for k in typed)
    log(f"scale: typed '{query}': slowest keystroke to results on screen {worst:.1f} ms, "
        f"long tasks {len(got['longtasks'])}, hits at the end {typed[-1]['hits']}")
    page.wait(lambda: page.by_testid("sessions"), message="the session list never came back")
    return got
