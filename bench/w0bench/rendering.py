"""Section 4: rendering. (a) the cost of appending a streamed chunk to an empty session and to one of
thousands of messages (stored in IndexedDB), and loading the page with such a session open; (b) the
memory drawer on a phone with a thousand memories; (c) page memory."""

import time

from harness import MEM0_KEY, ChatPage

from .backends import PLATFORM, seed_memories
from .common import MESSAGE_WINDOW, SIDEBAR_ROWS, log, pct
from .inpage import (bench_driver, chunk_tasks, heap, install_probe, load_usable, marks, page_trace, probe,
                     send_and_wait_last, top_self_time)
from .sessions_seed import plan, seed_sessions
from .texts import reply_text


def stream_replies(d, page, fakes, reps, words, label, profile=False):
    rows, prof_out = [], None
    for r in range(reps + (1 if profile else 0)):
        fakes.control("gemini", "POST", "reset")  # forget the previous reply
        fakes.script({"kind": "reply", "text": reply_text(1000 + r, words)})
        d.execute_async_script(probe("stream-probe"))
        profiling = profile and r == reps  # one extra reply, profiled, not in the timings
        if profiling:
            d.execute_cdp_cmd("Profiler.enable", {})
            d.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
            d.execute_cdp_cmd("Profiler.start", {})
            send_and_wait_last(d, page, f"Bench message {r} ({label}).")
            prof_out = top_self_time(d.execute_cdp_cmd("Profiler.stop", {})["profile"])
            prof_out = {"top": prof_out, "chunks": len(marks(d)["chunks"])}
            d.execute_cdp_cmd("Profiler.disable", {})
            continue
        with page_trace(d) as events:  # where each chunk's task ends, and what each frame costs
            send_and_wait_last(d, page, f"Bench message {r} ({label}).")
        traced = chunk_tasks(events)
        time.sleep(0.3)
        m = d.execute_script(probe("stream-collect"))
        mut = m["mut"]
        dom_lat, task_lat, no_frame = [], [], []
        for c in m["chunks"]:
            nxt = next((x for x in mut if x["dom"] >= c), None)
            if nxt:
                dom_lat.append(nxt["dom"] - c)
                if nxt["task"] is not None:
                    task_lat.append(nxt["task"] - c)
                    if nxt["frame"] is None or nxt["frame"] > nxt["task"]:  # no frame rendered in between
                        no_frame.append(task_lat[-1])
        rows.append({"ttlt": m["end"] - m["send"], "ttft": m["first"] - m["send"], "chunks": len(m["chunks"]),
                     "dom": dom_lat, "task": task_lat, "no_frame": no_frame, "longtasks": m["longtasks"],
                     "traced": traced})
        log(f"rendering {label}: reply {r + 1}/{reps} ttlt {rows[-1]['ttlt']:.0f} ms, "
            f"chunk->next task p50 {pct(task_lat, 50):.2f} ms, chunk->end of its task p95 "
            f"{pct(traced['chunk_ms'], 95):.2f} ms ({len(traced['chunk_ms'])} of {traced['marks']} marks), "
            f"frame p50 {pct(traced['frame_ms'], 50):.2f} ms, long tasks {len(m['longtasks'])}")
    flat = lambda k: [x for row in rows for x in row[k]]  # noqa: E731
    traced_flat = lambda k: [x for row in rows for x in row["traced"][k]]  # noqa: E731
    lts = [t for row in rows for t in row["longtasks"]]
    return {"profile": prof_out, "reps": reps, "ttlt": [row["ttlt"] for row in rows], "chunks": [row["chunks"] for row in rows],
            "dom_p50": pct(flat("dom"), 50), "dom_p95": pct(flat("dom"), 95), "dom_max": max(flat("dom") or [0]),
            "task_p50": pct(flat("task"), 50), "task_p95": pct(flat("task"), 95), "task_max": max(flat("task") or [0]),
            "task_n": len(flat("task")), "no_frame_n": len(flat("no_frame")), "no_frame_p95": pct(flat("no_frame"), 95),
            "own_p50": pct(traced_flat("chunk_ms"), 50), "own_p95": pct(traced_flat("chunk_ms"), 95),
            "own_max": max(traced_flat("chunk_ms") or [0]), "own_n": len(traced_flat("chunk_ms")),
            "own_marks": sum(row["traced"]["marks"] for row in rows),
            "frame_p50": pct(traced_flat("frame_ms"), 50), "frame_p95": pct(traced_flat("frame_ms"), 95),
            "frame_n": len(traced_flat("frame_ms")),
            "longtasks": len(lts), "longtask_ms": sum(t[1] for t in lts), "longtask_max": max([t[1] for t in lts] or [0])}


# Clicks a version stepper: `work` = click → the app's reaction done (its effects run in microtasks;
# a MessageChannel message comes after them), `frame` = click → the next frame starts (the new
# branch is then laid out and painted in that frame).
SWITCH = """
const [testid, done] = [arguments[0], arguments[arguments.length - 1]];
const deadline = performance.now() + 15000;
const find = () => [...document.querySelectorAll(`[data-testid=${testid}]:not([disabled])`)].pop();
const start = () => {
  const button = find();
  if (button) return measure(button);
  if (performance.now() > deadline) {
    const steppers = document.querySelectorAll("[data-testid=version]").length;
    const busy = document.querySelector("[data-testid=transcript]")?.getAttribute("aria-busy");
    return done({error: `no enabled ${testid} (${steppers} steppers, transcript busy: ${busy})`});
  }
  setTimeout(start, 100);
};
const measure = (button) => {
const t0 = performance.now();
const channel = new MessageChannel();
let work = null;
channel.port1.onmessage = () => { work = performance.now() - t0; };
button.click();
channel.port2.postMessage(0);
requestAnimationFrame(() => {
  const frame = performance.now() - t0;
  setTimeout(() => done({work: work ?? frame, frame}), 0);
});
};
start();
"""


def switch_versions(d, page, reps):
    """Steps the newest reply that has versions back and forth: {work, frame} ms per click (SWITCH)."""
    times = []
    for i in range(reps):
        got = d.execute_async_script(SWITCH, "version-previous" if i % 2 == 0 else "version-next")
        if "error" in got:
            log(f"switching versions not measured: {got['error']}")
            return {"error": got["error"], "times": times}
        times.append(got)
        time.sleep(0.2)
    return {"times": times}


def rendering_stream(site, fakes, cfg):
    """(a) per-chunk append cost in an empty session and in one of cfg.big_conversation messages,
    and loading the page with that session open; (c) memory."""
    out = {"messages": cfg.big_conversation}
    with bench_driver() as d:
        install_probe(d)
        d.execute_cdp_cmd("Performance.enable", {})
        page = ChatPage(d, site, fakes).open()
        page.configure()  # Gemini only: no memory lookup, so only the reply is measured
        time.sleep(0.5)
        out["heap_0"] = heap(d)
        out["empty"] = stream_replies(d, page, fakes, cfg.render_reps, cfg.reply_words, "0 messages")

        # 200 of its replies were asked again (an earlier version beside each): the session the
        # versions issue measures.
        every = max(1, cfg.big_conversation // 2 // cfg.big_branches)
        seeded = seed_sessions(d, plan(1, cfg.big_conversation, days_ago=30), seed=3, branch_every=every)
        big = seeded["sessions"][0]
        out["seed"] = {"ms": seeded["ms"], "stats": seeded["stats"]}
        # The app opens the session this tab showed last: the long one.
        d.execute_script("sessionStorage.setItem('wellness0.session', arguments[0])", str(big["id"]))
        expect = {"count": min(MESSAGE_WINDOW, cfg.big_conversation), "last": big["last"]}
        out["load"] = [load_usable(d, site, expect) for _ in range(cfg.load_reps)]
        time.sleep(0.5)
        out["heap_big"] = heap(d)
        out["switch"] = switch_versions(d, page, cfg.render_reps * 5)
        out["big"] = stream_replies(d, page, fakes, cfg.render_reps, cfg.reply_words, f"{cfg.big_conversation} messages",
                                    profile=True)
    return out


def rendering_drawer(site, fakes, cfg):
    """(b) the memory drawer on a phone with cfg.memories memories."""
    n, user = cfg.memories, "bench-drawer"
    fakes.reset()
    t = time.time()
    seed_memories(fakes, user, n)
    seeded_s = time.time() - t
    with bench_driver() as d:
        install_probe(d)
        page = ChatPage(d, site, fakes).open()
        page.phone()
        page.configure(mem0_key=MEM0_KEY, user_id=user)
        rows = min(n, SIDEBAR_ROWS)
        # The drawer is closed at phone width, so read textContent (Selenium's .text is "" when hidden).
        page.wait(lambda: page.one("memory-count").get_attribute("textContent") == str(n)
                  and len(page.by_testid("memory-item")) >= rows,
                  timeout=60, message="memories never listed")
        loads, opens = [], []
        for r in range(cfg.load_reps):
            d.refresh()
            got = d.execute_async_script(probe("load"), "[data-testid=memory-item]", rows)
            loads.append(got)
            time.sleep(0.5)
            for _ in range(cfg.drawer_reps):
                res = d.execute_async_script(probe("drawer"), rows)
                if "error" in res:
                    raise RuntimeError(res)
                opens.append(res)
                page.one("open-memory")
                d.execute_script("document.querySelector('[data-testid=open-memory]').click()")  # close it again
                page.wait(lambda: "open" not in page.one("memory-sidebar").get_attribute("class"))
                time.sleep(0.4)
            log(f"drawer: load {got['shown']:.0f} ms after navigation; open settled {opens[-1]['settled']:.0f} ms")
        pages = [r for r in fakes.requests("mem0") if PLATFORM.classify(r["method"], r["path"]) == "list"]
    return {"n": n, "rows": rows, "seeded_s": seeded_s, "loads": loads, "opens": opens, "list_calls_total": len(pages)}
