"""The browser side of the bench: Chromium with the page probe installed, and the in-page JS probes
(bench/probes/*.js) that time the app from inside the page."""

import contextlib
import functools
import json
import time
import urllib.request

import websocket
from harness import open_driver

from .common import PROBES


@functools.cache
def probe(name):
    """The source of bench/probes/NAME.js (the body of a function WebDriver runs in the page)."""
    return (PROBES / f"{name}.js").read_text()


@contextlib.contextmanager
def bench_driver(**kwargs):
    """Headless Chromium for one section (quit on the way out); scripts may run for two minutes."""
    with open_driver(**kwargs) as d:
        d.set_script_timeout(120)
        yield d


def install_probe(d):
    """Runs page-probe.js in every document the browser loads from now on."""
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": probe("page-probe")})


def marks(d):
    return d.execute_script(probe("marks"))


def send_and_wait(d, page, text, index, timeout_s=60):
    """Sends `text` and waits in the page (no WebDriver polling during the reply) for `w0:done`."""
    since = d.execute_script("return performance.now()")
    page.send(text)
    if not d.execute_async_script(probe("wait-done"), since, timeout_s * 1000):
        raise RuntimeError(f"reply #{index} never finished: {page.reply(index).get_attribute('data-state')}")
    page.wait_reply_state(index, "done", timeout=10)


def send_and_wait_last(d, page, text, timeout_s=60):
    """`send_and_wait` for a long session, where only the newest messages are in the DOM (the
    count of replies on the page stays the same): waits for the newest reply to be done."""
    since = d.execute_script("return performance.now()")
    page.send(text)
    if not d.execute_async_script(probe("wait-done"), since, timeout_s * 1000):
        raise RuntimeError(f"the reply never finished: {page.replies()[-1].get_attribute('data-state')}")
    page.wait(lambda: page.replies()[-1].get_attribute("data-state") == "done", 10, "the reply never settled")


def load_usable(d, url, expect, timeout_s=60):
    """Loads `url` and returns when it became usable (usable-probe.js, installed for this load only):
    `expect` = {"count": messages shown, "last": the newest one's id[, "token": search text]}."""
    source = f"(expect => {{\n{probe('usable-probe')}\n}})({json.dumps(expect)});"
    ident = d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]
    try:
        d.get(url)
        got = d.execute_async_script(probe("usable-wait"), bool(expect.get("token")), timeout_s * 1000)
    finally:
        d.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": ident})
    if "error" in got:
        raise RuntimeError(f"{url}: {got['error']} ({got.get('load')})")
    return got


def chip_text(page, i):
    chips = page.by_testid("memory-chip", page.reply(i))
    return chips[0].text if chips else ""


def newest_reply_id(page):
    replies = page.replies()
    return replies[-1].get_attribute("data-message-id") if replies else None


def newest_chip_text(page):
    chips = page.by_testid("memory-chip", page.replies()[-1])
    return chips[0].text if chips else ""


def heap(d):
    """JS heap, DOM nodes and wasm memory after a forced garbage collection."""
    d.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    time.sleep(0.3)
    metrics = {m["name"]: m["value"] for m in d.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    wasm = d.execute_script(probe("wasm-memory"))
    return {"js_heap_used": metrics.get("JSHeapUsedSize"), "js_heap_total": metrics.get("JSHeapTotalSize"),
            "nodes": metrics.get("Nodes"), "wasm_memory": wasm}


def top_self_time(profile, n=8):
    """Self time per function of a CDP CPU profile, biggest first (idle / program / root left out)."""
    nodes = {x["id"]: x["callFrame"] for x in profile["nodes"]}
    total = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        name = nodes[sample]["functionName"]
        if name and name not in ("(idle)", "(program)", "(root)"):
            total[name] = total.get(name, 0) + delta / 1000
    return sorted(total.items(), key=lambda kv: -kv[1])[:n]


# What a frame-by-frame trace needs: tasks and the rendering phases (devtools timeline), and the
# app's Performance marks.
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing"]


@contextlib.contextmanager
def page_trace(d, categories=TRACE_CATEGORIES):
    """Chromium's trace of the page while the block runs; yields a list that holds the trace
    events once the block is over. WebDriver's CDP call cannot receive the trace's events, so this
    speaks CDP on the page's own DevTools socket (beside ChromeDriver's)."""
    address = d.capabilities["goog:chromeOptions"]["debuggerAddress"]
    with urllib.request.urlopen(f"http://{address}/json") as r:
        target = next(t for t in json.load(r) if t["id"] == d.current_window_handle)
    ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
    events = []
    try:
        ws.send(json.dumps({"id": 1, "method": "Tracing.start", "params": {
            "traceConfig": {"includedCategories": categories, "recordMode": "recordAsMuchAsPossible"},
            "transferMode": "ReportEvents"}}))
        while (reply := json.loads(ws.recv())).get("id") != 1:
            pass
        if "error" in reply:
            raise RuntimeError(f"Tracing.start: {reply['error']}")
        yield events
        ws.send(json.dumps({"id": 2, "method": "Tracing.end"}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("method") == "Tracing.dataCollected":
                events += msg["params"]["value"]
            elif msg.get("method") == "Tracing.tracingComplete":
                break
    finally:
        ws.close()


def chunk_tasks(events):
    """From a trace of one streamed reply: for each `w0:chunk` mark, the time (ms) from the mark to
    the end of the task it ran in on its own thread (the page's main thread) — the app's work for
    the chunk from the mark on; reading and parsing the stream come before the mark, the throttled
    save runs in a task of its own — and the duration (ms) of each rendering task there (one that
    painted: a frame's style, layout, paint and commit, with the app's scroll to the bottom)."""
    by_thread = {}
    for e in events:
        by_thread.setdefault((e.get("pid"), e.get("tid")), []).append(e)
    marks, chunk_ms, frame_ms = 0, [], []
    for thread in by_thread.values():
        tasks = sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in thread if e.get("name") == "RunTask" and e.get("ph") == "X")
        mine = sorted(e["ts"] for e in thread if e.get("name") == "w0:chunk" and "user_timing" in e.get("cat", ""))
        paints = sorted(e["ts"] for e in thread if e.get("name") == "Paint" and e.get("ph") == "X")
        marks += len(mine)
        for m in mine:
            around = [end for start, end in tasks if start <= m <= end]
            if around:  # the outermost task holding the mark
                chunk_ms.append((max(around) - m) / 1000)
        if not mine:
            continue
        p = 0
        for start, end in tasks:
            while p < len(paints) and paints[p] < start:
                p += 1
            if p < len(paints) and paints[p] <= end:
                frame_ms.append((end - start) / 1000)
    if marks == 0 or len(chunk_ms) < 0.95 * marks:
        raise RuntimeError(f"the trace places {len(chunk_ms)} of {marks} chunk marks in a task: "
                           "has Chromium renamed its trace events?")
    return {"marks": marks, "chunk_ms": chunk_ms, "frame_ms": frame_ms}
