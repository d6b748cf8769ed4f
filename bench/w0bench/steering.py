"""Section 6: memory steering (issue 12). (a) Tidy up over a thousand memories: the click on
"Tidy up…" to its preview on screen, and the long tasks on the way; (b) Forget under a reply: how
soon the memory leaves the sidebar (in the click's own task? before the next frame?), and when the
delete reaches mem0 (after the undo window).

One browser, one user: `cfg.memories` memories (bench/w0bench/memory_set.py: all different, with
planted groups of near-duplicates) stored straight into the mem0 fake, the sidebar listing them all;
then the tidy-up runs, then turns whose saved memory is forgotten from the reply."""

import time

from harness import MEM0_KEY, ChatPage

from .backends import PLATFORM
from .common import UNDO_MS, log
from .inpage import bench_driver, install_probe, probe, top_self_time
from .memory_set import memory_set

USER = "bench-steering"
TIDY_WAIT_S = 30  # how long a tidy-up may take before the bench gives up on it
# Told to the app, one a turn: each becomes the memory the turn saves (the fake stores each user
# message of an inferring add as one memory).
FORGET_FACTS = ("I have started taking the stairs at work every morning.", "My neighbour Ruth lends me her bike.",
                "I switched to decaf after lunch.", "I read to my niece on Thursday evenings.",
                "My GP moved my blood test to March.", "I joined a choir that meets in the old library.",
                "I keep a glass of water by the bed now.", "My landlord finally fixed the boiler.",
                "I want to learn to swim properly this summer.", "I walk home through the park after work.")
REPLY = "Thank you for telling me. That sounds like a small, steady change worth keeping."


def memory_steering(site, fakes, cfg):
    n = cfg.memories
    texts, planted = memory_set(n)
    fakes.reset()
    t = time.time()
    PLATFORM.store(fakes, USER, texts)
    out = {"n": n, "seeded_s": time.time() - t, "planted": planted}
    with bench_driver() as d:
        install_probe(d)
        page = ChatPage(d, site, fakes).open()
        page.configure(mem0_key=MEM0_KEY, user_id=USER)
        t = time.time()
        page.wait(lambda: page.one("memory-count").get_attribute("textContent") == str(n), timeout=60,
                  message=f"the sidebar never listed {n} memories")
        out["listed_s"] = time.time() - t
        runs = [tidy_run(d, page) for _ in range(cfg.steer_tidy_reps)]
        for r, run in enumerate(runs):
            log(f"steering: tidy-up {r + 1}/{len(runs)}: preview on screen {run['painted'] - run['click']:.0f} ms "
                f"after the click, {len(run['groups'])} groups, long tasks {len(run['longtasks'])}")
        out["tidy"] = runs
        out["found"] = compare_groups(runs[-1]["groups"], planted)
        if not cfg.quick:  # one more run, profiled, not in the timings
            d.execute_cdp_cmd("Profiler.enable", {})
            d.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
            d.execute_cdp_cmd("Profiler.start", {})
            tidy_run(d, page)
            out["tidy_profile"] = top_self_time(d.execute_cdp_cmd("Profiler.stop", {})["profile"])
            d.execute_cdp_cmd("Profiler.disable", {})
        out["forget"] = forget_runs(d, page, fakes, cfg.steer_forget_reps)
    return out


def tidy_run(d, page):
    """One click on "Tidy up…" (WebDriver), timed in the page; the panel is closed again after."""
    button = page.one("memory-tidy")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    time.sleep(0.5)
    if not d.execute_script(probe("tidy-arm")):
        raise RuntimeError("no Tidy up button in the sidebar")
    button.click()
    got = d.execute_async_script(probe("tidy-collect"), TIDY_WAIT_S * 1000)
    if "error" in got:
        raise RuntimeError(f"tidy-up: {got}")
    # Close it (Cancel under the preview, Close after "No duplicates found."), as a person would.
    d.execute_script("""[...document.querySelectorAll('[data-testid=tidy-preview] button, '
                                                       + '[data-testid=tidy-result] button')]
                        .find(b => ['Cancel', 'Close'].includes(b.textContent.trim())).click();""")
    page.wait(lambda: not page.by_testid("tidy-preview") and not page.by_testid("tidy-result"),
              message="the tidy-up panel never closed")
    time.sleep(0.5)
    return got


def compare_groups(found, planted):
    """How the preview's groups compare with the planted ones (as sets of texts)."""
    want = {frozenset(g) for g in planted}
    got = [frozenset(g) for g in found]
    exact = sum(1 for g in got if g in want)
    return {"groups": len(got), "planted": len(want), "exact": exact,
            "members": sum(len(g) for g in got), "other": [sorted(g) for g in got if g not in want][:5]}


def forget_runs(d, page, fakes, reps):
    """`reps` turns, each saving one memory that is then forgotten from under the reply (a WebDriver
    click on its Forget, timed in the page). The deletes are collected from the fake at the end."""
    rows, clicks = [], []
    for r in range(reps):
        text = FORGET_FACTS[r % len(FORGET_FACTS)] + (f" ({r})" if r >= len(FORGET_FACTS) else "")
        fakes.control("gemini", "POST", "reset")
        fakes.script({"kind": "reply", "text": REPLY})
        # Each in a new session, so the reply sits at the top: the notes of earlier forgets cover the
        # bottom of the page (where the newest reply of a longer session would be).
        if page.replies():
            page.new_session()
        index = 0
        page.send(text)
        page.wait_reply_state(index, "done", timeout=30)
        page.wait(lambda: page.by_testid("saved-memory", page.reply(index)), timeout=30,
                  message="the reply never said what it saved")
        memory_id = page.wait(lambda: d.execute_script(
            "return ([...document.querySelectorAll('[data-testid=memory-item]')].find(e => "
            "e.querySelector('[data-testid=memory-text]')?.textContent === arguments[0]) || {dataset: {}}).dataset.id",
            text), timeout=30, message="the saved memory never reached the sidebar")
        forget = page.one("forget", page.reply(index))
        if not d.execute_script("const r = arguments[0].getBoundingClientRect(); return arguments[0]"
                                ".contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2))", forget):
            raise RuntimeError("forget: the reply's Forget button is covered")
        clear_of_deletes(clicks)
        armed = d.execute_script(probe("forget-arm"), memory_id)
        if not armed["listed"] or armed["savedBefore"] < 1:
            raise RuntimeError(f"forget: nothing to forget ({armed})")
        forget.click()
        clicks.append(time.time())
        got = d.execute_async_script(probe("forget-collect"))
        if got["removed"] is None:
            raise RuntimeError(f"forget: the memory never left the sidebar ({got})")
        rows.append(got)
        log(f"steering: forget {r + 1}/{reps}: gone from the sidebar {got['removed'] - got['click']:.1f} ms after "
            f"the click (in its task: {got['goneByTaskEnd']}, before the next frame: {got['goneByFrame']})")
    deadline = clicks[-1] + UNDO_MS / 1000 + 10
    wanted = {f"/v1/memories/{row['id']}/" for row in rows}
    while True:
        deletes = {q["path"]: q for q in fakes.requests("mem0") if q["method"] == "DELETE" and q["path"] in wanted}
        if len(deletes) == len(wanted) or time.time() > deadline:
            break
        time.sleep(0.25)
    for row in rows:
        q = deletes.get(f"/v1/memories/{row['id']}/")
        row["delete_after"] = q["ts_ms"] - row["clickEpoch"] if q else None
        row["delete_status"] = q["status"] if q else None
    log("steering: deletes reached mem0 " + ", ".join(
        "never" if row["delete_after"] is None else f"{row['delete_after'] / 1000:.2f} s" for row in rows)
        + " after the clicks")
    return rows


def clear_of_deletes(clicks, margin_s=0.4):
    """Waits, if need be, so that no earlier forget's delete (UNDO_MS after its click) fires while the
    next click is being measured."""
    now = time.time()
    due = [c + UNDO_MS / 1000 for c in clicks if now - margin_s < c + UNDO_MS / 1000 < now + 2 * margin_s]
    if due:
        time.sleep(max(due) + margin_s - now)
