"""Section 7: privacy, the passcode lock (issue 14). What the passcode costs, all in one run, in one
Chromium profile:

1. the key derivation alone (PBKDF2-SHA256, 600,000 iterations, WebCrypto in the page), and the
   click on Unlock to the app usable, on a store of a realistic size and on the big one;
2. opening a 2,000-message session with and without a passcode: the same stored data on two origins
   (the same `dist/` served on two ports), one left in the clear, one sealed by setting a passcode
   through Settings (which re-encrypts every record: timed too), page loads alternating between the
   two; and the storage each takes;
3. the search index built after unlocking (it reads, so decrypts, every message) against the same
   index built from the clear store.

A third origin holds the realistic store (a few dozen sessions), sealed the same way, for the
unlock figures."""

import json
import time
import urllib.parse

from harness import ChatPage, StaticSite

from .common import MESSAGE_WINDOW, log
from .inpage import bench_driver, install_probe, load_usable, probe, top_self_time
from .sessions_scale import clear_search
from .sessions_seed import plan, seed_sessions, storage_footprint

PASSCODE = "correct horse battery"
ITERATIONS = 600_000  # src/vault/mod.rs ITERATIONS
# Only in the 2,000-message session's first message; that session is the oldest, indexed last: the
# index is built when this is found.
BIG_TOKEN, BIG_SENTENCE = "tasmania", "I am thinking about the trip to Tasmania again."
OPEN_WAIT_S = 10  # how long an opened session's newest message may take to come on screen
REKEY_WAIT_S = 600  # how long setting the passcode may take on the big store
PER_TX = 10


def privacy(site_clear, dist, fakes, cfg):
    n, per, big_n = cfg.privacy_sessions, cfg.privacy_messages, cfg.big_conversation
    small_n, small_per = cfg.privacy_small
    out = {"sessions": n, "per_session": per, "big_messages": big_n, "messages": n * per + big_n,
           "small": {"sessions": small_n, "per_session": small_per, "messages": small_n * small_per},
           "iterations": ITERATIONS}
    with StaticSite(dist) as sealed_site, StaticSite(dist) as small_site, bench_driver() as d:
        d.set_script_timeout(REKEY_WAIT_S + 30)
        install_probe(d)
        clear, sealed, small = (ChatPage(d, url, fakes) for url in (site_clear, sealed_site.url, small_site.url))
        for page in (clear, sealed, small):
            page.open().configure()

        # The key derivation alone, and the cipher on records the size of the stored messages.
        d.get(clear.site_url)
        clear.wait_settled()
        time.sleep(0.5)
        out["crypto"] = crypto_cost(d, cfg.privacy_kdf_reps, big_n)
        log(f"privacy: PBKDF2 {ITERATIONS:,} iterations: " + ", ".join(f"{x:.0f}" for x in out["crypto"]["kdf"])
            + " ms")

        # The same data on two origins: n sessions of `per` messages, one a day, the newest yesterday,
        # and a 2,000-message session older than all of them; then the passcode set on one.
        sessions, big = plan(n, per, days_ago=1), plan(1, big_n, days_ago=n + 30)
        stored = [store(d, page, sessions, big) for page in (clear, sealed)]
        if stored[0]["newest"] != stored[1]["newest"] or stored[0]["big"] != stored[1]["big"]:
            raise RuntimeError("the two origins were not given the same data")
        out["seed"], newest, big = stored[0]["seed"], stored[0]["newest"], stored[0]["big"]
        expect = {"count": min(MESSAGE_WINDOW, per), "last": newest["last"], "token": BIG_TOKEN}
        out["rekey"] = passcode_job(d, sealed, expect, SET)
        log(f"privacy: passcode set on {out['messages']:,} messages in {out['rekey']['set'] / 1000:.1f} s "
            f"(long tasks {len(out['rekey']['longtasks'])})")

        out["small"].update(unlocks_of_small_store(d, small, cfg))
        out["runs"] = rounds(d, clear, sealed, expect, big, newest, cfg)
        if not cfg.quick:
            out.update(extras(d, clear, sealed, expect, big, newest))
    return out


def unlocks_of_small_store(d, page, cfg):
    """The realistic store, sealed as the big one; then reloads, each unlocked (and one more profiled)."""
    n, per = cfg.privacy_small
    stored = store(d, page, plan(n, per, days_ago=1), [])
    expect = {"count": min(MESSAGE_WINDOW, per), "last": stored["newest"]["last"]}
    out = {"rekey": passcode_job(d, page, dict(expect, token=BIG_TOKEN), SET), "unlocks": []}
    for r in range(cfg.privacy_unlocks):
        got = load_locked(d, page.site_url, expect)
        time.sleep(0.5)
        # The key derivation alone, in the same page right after: the same conditions as the unlock's.
        got["kdf_after"] = crypto_cost(d, 1, 0)["kdf"][0]
        out["unlocks"].append(got)
        log(f"privacy: unlock {r + 1}/{cfg.privacy_unlocks} ({n * per:,} messages): {describe_unlock(got)}; "
            f"the key derivation alone right after {got['kdf_after']:.0f} ms")
    if not cfg.quick:  # profiled from the click, not in the timings
        out["profile"] = load_locked(d, page.site_url, expect, profile=True)["profile"]
    return out


def rounds(d, clear, sealed, expect, big, newest, cfg):
    """Page loads alternating between the clear and the sealed store (which goes first alternates):
    each load (unlocked on the sealed one) waits for the search index, then opens the 2,000-message
    session and the newest."""
    runs = {"clear": [], "sealed": []}
    for r in range(cfg.privacy_opens):
        order = [("clear", clear), ("sealed", sealed)]
        for name, page in order if r % 2 == 0 else order[::-1]:
            got = load(d, page, expect, locked=name == "sealed")
            clear_search(page, page.one("session-search"))
            got["open_big"] = open_session(d, big)
            time.sleep(0.5)
            got["open_newest"] = open_session(d, newest)
            time.sleep(0.5)
            runs[name].append(got)
        log(f"privacy: round {r + 1}/{cfg.privacy_opens}: " + "; ".join(
            f"{name}: index {x['indexed'] - x['usable']:.0f} ms after usable, {cfg.big_conversation:,}-message "
            f"session on screen {show(x['open_big']['onScreen'])}" for name, x in ((k, v[-1]) for k, v in runs.items())))
    return runs


def extras(d, clear, sealed, expect, big, newest):
    """Full runs only: profiles of one more opening of the big session on each store; the storage each
    store takes; the passcode removed (timed) and set again under the CPU profiler, to see where
    setting it spends its time."""
    out = {"open_profile": {}, "storage": {}}
    for name, page in (("clear", clear), ("sealed", sealed)):
        load(d, page, expect, locked=name == "sealed")
        clear_search(page, page.one("session-search"))
        out["open_profile"][name] = profiled(d, lambda: open_session(d, big))
        open_session(d, newest)
    # Read once both stores have been loaded the same number of times: their databases compact in
    # the background, and read right after a big write the figures move by megabytes.
    for name, page in (("clear", clear), ("sealed", sealed)):
        d.get(page.site_url)
        out["storage"][name] = storage_footprint(d, port_of(page.site_url))
        out["storage"][name]["records"] = d.execute_async_script(probe("record-bytes"))
    out["remove"] = passcode_job(d, sealed, expect, REMOVE, locked=True)
    log(f"privacy: passcode removed in {out['remove']['set'] / 1000:.1f} s")
    out["rekey_profile"] = passcode_job(d, sealed, expect, SET, profile=True)
    return out


def load(d, page, expect, locked):
    return load_locked(d, page.site_url, expect) if locked else load_usable(d, page.site_url, expect, timeout_s=120)


def port_of(url):
    return urllib.parse.urlsplit(url).port


def show(x):
    return "never" if x is None else f"{x:,.0f} ms"


def crypto_cost(d, reps, records):
    """PBKDF2 timed alone (`reps` times), and sealing / opening `records` values the size of a message
    (none when 0)."""
    chars = 480  # about a stored message's `data` (user messages ~160 characters, replies ~590, JSON around)
    got = d.execute_async_script(probe("crypto-cost"), {"reps": reps, "iterations": ITERATIONS,
                                                        "records": records, "chars": chars})
    if "error" in got:
        raise RuntimeError(f"crypto-cost: {got['error']}")
    return got


def store(d, page, sessions, big):
    """Writes `sessions` and `big` (from `plan`) into the page's origin (as section 5 does), and opens
    the newest as a new tab would. BIG_SENTENCE goes into the oldest session: `big`'s, else the first."""
    d.get(page.site_url)
    page.wait_settled()
    seeded = seed_sessions(d, sessions, seed=14, per_tx=PER_TX, tokens={} if big else {0: BIG_SENTENCE})
    out = {"seed": {"ms": seeded["ms"], "stats": seeded["stats"]}, "newest": seeded["sessions"][-1], "big": None}
    if big:
        got = seed_sessions(d, big, seed=15, tokens={0: BIG_SENTENCE})
        out["seed"]["big_ms"], out["seed"]["big_stats"] = got["ms"], got["stats"]
        out["big"] = got["sessions"][0]
    d.execute_script("sessionStorage.removeItem('wellness0.session')")  # open the newest, as a new tab does
    return out


SET = {"fields": {"passcode-new": PASSCODE, "passcode-again": PASSCODE}, "button": "passcode-set",
       "done": "Passcode set"}
REMOVE = {"fields": {"passcode-current": PASSCODE}, "button": "passcode-remove", "done": "Passcode removed"}


def passcode_job(d, page, expect, job, locked=False, profile=False):
    """Settings → Passcode, as a person sets (SET) or removes (REMOVE) it (`bench/probes/passcode-job.js`
    clicks and times), once the page has loaded (unlocked if `locked`) and built its search index
    (`expect` with a token, as for `load_usable`); with `profile`, under the CPU profiler and with the
    browser calls the re-encryption makes traced (`rekey-trace.js`)."""
    load(d, page, expect, locked)
    clear_search(page, page.one("session-search"))
    if "open" not in page.one("settings").get_attribute("class"):
        page.one("open-settings").click()
    page.wait(page.settings_open)
    d.execute_script("arguments[0].scrollIntoView({block: 'start'})", page.one("passcode-section"))
    run = lambda: d.execute_async_script(probe("passcode-job"), job, REKEY_WAIT_S * 1000)  # noqa: E731
    if profile:
        d.execute_script(probe("rekey-trace"))
        got = profiled(d, run)
        got = dict(got["got"], profile=got["top"], trace=d.execute_script("return window.__w0.trace"))
    else:
        got = run()
    if "error" in got:
        raise RuntimeError(f"{job['button']}: {got}")
    d.execute_script("arguments[0].click()", page.one("settings-close"))
    return got


def load_locked(d, url, expect, timeout_s=120, profile=False):
    """Loads `url` (a sealed store: the lock screen), waits a moment as a person would before typing,
    unlocks (`bench/probes/unlock.js`) and returns when the app is usable (`usable-probe.js`, with
    the search index too when `expect` has a token) with the lock screen's times; with `profile`,
    the functions with the most self time from the click on (CDP CPU profile)."""
    source = (f"(expect => {{\n{probe('usable-probe')}\n}})({json.dumps(expect)});\n"
              f"(() => {{\n{probe('lock-probe')}\n}})();")
    ident = d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]
    try:
        d.get(url)
        d.execute_async_script("window.__w0.waitCount(arguments[0], 1).then(arguments[1])",
                               "[data-testid=unlock-passcode]")
        time.sleep(0.5)
        unlock = lambda: d.execute_async_script(probe("unlock"), PASSCODE, bool(expect.get("token")),  # noqa: E731
                                                timeout_s * 1000)
        if profile:
            got = profiled(d, unlock)
            got = dict(got["got"], profile=got["top"])
        else:
            got = unlock()
    finally:
        d.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": ident})
    if "error" in got:
        raise RuntimeError(f"{url}: {got}")
    return got


def describe_unlock(got):
    c = got["lock"]["click"]
    return (f"lock screen gone {got['lock']['gone'] - c:.0f} ms after the click, data read {got['ready'] - c:.0f} ms, "
            f"usable {got['usable'] - c:.0f} ms, on screen {got['painted'] - c:.0f} ms")


def open_session(d, session):
    """Clicks `session` in the list (`bench/probes/open-session.js`, as section 5)."""
    got = d.execute_async_script(probe("open-session"), session["id"], session["last"], OPEN_WAIT_S * 1000)
    if "error" in got or got["dom"] is None:
        raise RuntimeError(f"opening session {session['id']}: {got}")
    return got


def profiled(d, action):
    """`action()` under the CDP CPU profiler (sampling every 200 µs): its result and the functions
    with the most self time."""
    d.execute_cdp_cmd("Profiler.enable", {})
    d.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
    d.execute_cdp_cmd("Profiler.start", {})
    try:
        got = action()
    finally:
        profile = d.execute_cdp_cmd("Profiler.stop", {})["profile"]
        d.execute_cdp_cmd("Profiler.disable", {})
    return {"got": got, "top": top_self_time(profile, 10)}
