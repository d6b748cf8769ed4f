"""The browser side of the bench: Chromium with the page probe installed, and the in-page JS probes
(bench/probes/*.js) that time the app from inside the page."""

import contextlib
import functools
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


def chip_text(page, i):
    chips = page.by_testid("memory-chip", page.reply(i))
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
