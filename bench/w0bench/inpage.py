"""The browser side of the bench: Chromium with the page probe installed, and the in-page JS probes
(bench/probes/*.js) that time the app from inside the page."""

import contextlib
import functools
import json
import time

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
