"""wellness0 performance bench: writes bench/report.md and SVG charts.

Run it through `bash bench/run.sh [--quick] [--enforce-budget]`, which installs what is missing.
Everything runs on loopback against the fake Gemini and mem0 servers (`fakes/`) with fixed
latencies, and the built site in `dist/` served by a local static server, in headless Chromium
(the same Selenium set-up as the end-to-end tests, imported from tests/e2e/conftest.py).

Sections (one function each):
  1. bundle()      release bundle sizes (raw / gzip -9 / brotli), first-load budget, twiggy
  2. latency()     time to first / last token, the app vs a replay of the seed's pipeline
  3. mem0_bytes()  bytes sent to mem0 per turn, the app vs the seed's whole-buffer adds
  4. rendering()   per-chunk cost with 2,000 messages, memory drawer with 1,000 memories, heap
  5. reproduce     command, machine, date, fake latencies
"""

import argparse
import csv
import datetime
import functools
import gzip
import http.server
import io
import json
import os
import pathlib
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import brotli

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from conftest import GEMINI_KEY, MEM0_KEY, ChatPage, launch_fakes, new_driver  # noqa: E402

WASM_NAMED = ROOT / "target" / "wasm32-unknown-unknown" / "release" / "wellness0.wasm"
# The app's list page size (src/mem0/client.rs) and rows shown before "Show more" (src/memory/sidebar.rs).
LIST_PAGE_SIZE = 500
SIDEBAR_ROWS = 100
BUDGET_BYTES = 200 * 1024  # 200 KiB gzip for everything the first page load fetches
MODEL = "gemini-flash-latest"  # the app's default model (src/settings.rs DEFAULT_MODEL)

# ------------------------------------------------------------------------------------------ helpers

CHILDREN = []  # processes to stop on exit
DRIVERS = []


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def http_json(method, url, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "content-type": "application/json", "authorization": f"Token {MEM0_KEY}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None


def body_bytes(body):
    """Size of a JSON body as sent on the wire (compact, UTF-8); 0 for no body."""
    if body is None:
        return 0
    return len(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


def pct(values, p):
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ms(x):
    return "n/a" if x is None or x != x else f"{x:,.0f} ms"


def ms1(x):
    return "n/a" if x is None or x != x else f"{x:,.2f} ms"


def kb(n):
    return f"{n / 1024:,.1f} KiB"


def start_fakes(binary, mem0_latency, first_token, chunk):
    proc, fakes = launch_fakes(binary, "--host", "127.0.0.1", "--mem0-latency-ms", mem0_latency,
                               "--first-token-ms", first_token, "--chunk-ms", chunk)
    CHILDREN.append(proc)
    return fakes


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def serve_dist(dist):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_StaticHandler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def driver_new(**kw):
    d = new_driver(**kw)
    DRIVERS.append(d)
    d.set_script_timeout(120)
    return d


def driver_quit(d):
    try:
        d.quit()
    finally:
        if d in DRIVERS:
            DRIVERS.remove(d)
        shutil.rmtree(d._w0_profile, ignore_errors=True)


def cleanup():
    for d in list(DRIVERS):
        try:
            driver_quit(d)
        except Exception:
            pass
    for p in CHILDREN:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def gemini_reset(fakes):
    http_json("POST", f"{fakes.gemini_url}/_fake/reset")


WORDS = ("I hear how heavy this week has been for you and it makes sense that you feel tired when so much "
         "is asking for your attention at once . It might help to notice which of these worries is yours to "
         "carry today and which can wait until tomorrow . You mentioned sleep earlier ; small steady routines "
         "often help more than big changes , like a short walk after dinner or writing down three things "
         "before bed . Would you like to talk about what felt hardest today , or about one thing that went "
         "a little better than you expected ? Either is fine , and there is no rush here .").split()


def reply_text(i, words=120):
    """A deterministic ~`words`-word reply (varies with i), with a little markdown."""
    rnd = random.Random(i)
    out, w = [], 0
    start = rnd.randrange(len(WORDS))
    k = 0
    while w < words:
        tok = WORDS[(start + k) % len(WORDS)]
        out.append(tok)
        k += 1
        w += tok.isalpha() or tok[0].isalpha()
    text = " ".join(out).replace(" .", ".").replace(" ,", ",").replace(" ;", ";").replace(" ?", "?")
    return f"**Reply {i}.** " + text


def user_text(i):
    topics = ["work", "sleep", "my sister", "the move", "exams", "my knee", "money", "the dog", "running", "my job"]
    return (f"Turn {i:03d}: today was hard again, mostly because of {topics[i % len(topics)]}, "
            f"and I keep thinking about it at night.")


# Injected into every new document: long tasks, the wasm instance, and the user's Enter key press.
PAGE_PROBE = r"""
window.__w0 = {longtasks: [], enter: [], started: null};
try {
  new PerformanceObserver(list => { for (const e of list.getEntries()) window.__w0.longtasks.push([e.startTime, e.duration]); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}
addEventListener('TrunkApplicationStarted', e => { window.__w0.wasm = e.detail.wasm; window.__w0.started = performance.now(); });
addEventListener('keydown', e => { if (e.key === 'Enter') window.__w0.enter.push(e.timeStamp); }, true);
window.__w0.waitCount = (selector, n) => new Promise(resolve => {
  const check = () => document.querySelectorAll(selector).length >= n;
  if (check()) return resolve(performance.now());
  const mo = new MutationObserver(() => { if (check()) { mo.disconnect(); resolve(performance.now()); } });
  mo.observe(document, {childList: true, subtree: true});
});
"""


def install_probe(d):
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_PROBE})


def marks(d):
    return d.execute_script("""
        const one = n => { const e = performance.getEntriesByName(n); return e.length ? e[0].startTime : null; };
        return {send: one('w0:send'), first: one('w0:first-chunk'), done: one('w0:done'),
                chunks: performance.getEntriesByName('w0:chunk').map(e => e.startTime),
                enter: window.__w0 ? window.__w0.enter.slice(-1)[0] : null};
    """)


WAIT_DONE_JS = r"""
const [since, timeoutMs, done] = arguments;
const t0 = performance.now();
const check = () => {
  const s = performance.getEntriesByName('w0:send'), d = performance.getEntriesByName('w0:done');
  if (s.length && s[0].startTime >= since && d.length) return done(true);
  if (performance.now() - t0 > timeoutMs) return done(false);
  setTimeout(check, 100);
};
check();
"""


def send_and_wait(d, page, text, index, timeout_s=60):
    """Sends `text` and waits in the page (no WebDriver polling during the reply) for `w0:done`."""
    since = d.execute_script("return performance.now()")
    page.send(text)
    if not d.execute_async_script(WAIT_DONE_JS, since, timeout_s * 1000):
        raise RuntimeError(f"reply #{index} never finished: {page.reply(index).get_attribute('data-state')}")
    page.wait_reply_state(index, "done", timeout=10)


def chip_text(page, i):
    chips = page.by_testid("memory-chip", page.reply(i))
    return chips[0].text if chips else ""


# ------------------------------------------------------------------------------ 1. release bundle

def bundle(dist):
    files = []
    for f in sorted(p for p in dist.rglob("*") if p.is_file()):
        raw = f.read_bytes()
        files.append({"file": str(f.relative_to(dist)), "raw": len(raw),
                      "gzip": len(gzip.compress(raw, 9, mtime=0)),
                      "brotli": len(brotli.compress(raw, quality=11))})
    total = {k: sum(f[k] for f in files) for k in ("raw", "gzip", "brotli")}
    result = {"files": files, "total": total, "budget": BUDGET_BYTES, "pass": total["gzip"] <= BUDGET_BYTES}

    twiggy = shutil.which("twiggy") or str(pathlib.Path.home() / ".cargo" / "bin" / "twiggy")
    if WASM_NAMED.exists():
        top = subprocess.run([twiggy, "top", "-n", "25", str(WASM_NAMED)], capture_output=True, text=True, check=True)
        result["twiggy_top"] = top.stdout.rstrip()
        out = subprocess.run([twiggy, "top", "-n", "1000000", "-f", "csv", str(WASM_NAMED)],
                             capture_output=True, text=True, check=True).stdout
        result["crates"], result["named_total"] = crate_sizes(out)
        result["named_size"] = WASM_NAMED.stat().st_size
        result["named_mtime"] = datetime.datetime.fromtimestamp(WASM_NAMED.stat().st_mtime).isoformat(timespec="seconds")
    return result


def crate_of(name):
    """The crate of a twiggy item: the first `ident::` path segment (inside `<...>` too)."""
    if name.startswith("custom section"):
        return "[custom section " + name.split("'")[1] + "]" if "'" in name else "[custom section]"
    if "subsection" in name:
        return "[custom section name: " + name.replace('"', "").replace(" subsection", "") + "]"
    if name.startswith("data segment") or name.startswith("data["):
        return "[data segments]"
    if "__wbindgen_describe" in name:
        return "[wasm-bindgen descriptors, removed by wasm-bindgen]"
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)  # crate disambiguators: core[c5930c85a12de822]::fmt
    i = name.find("::")
    while i != -1:
        m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)$", name[:i])
        if m:
            return m.group(1)
        i = name.find("::", i + 2)
    return "[other: tables, types, imports, exports, headers, unnamed]"


def crate_sizes(csv_text):
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    sizes, total = {}, 0
    for r in rows:
        name = r["Name"]
        if name.startswith("Σ") or name.startswith("..."):
            continue
        n = int(r["ShallowSize"])
        total += n
        c = crate_of(name)
        sizes[c] = sizes.get(c, 0) + n
    return sorted(sizes.items(), key=lambda kv: -kv[1]), total


# ---------------------------------------------------------------- 2. time to first / last token

SEED_TURN_JS = r"""
const [cfg, msg, done] = arguments;
(async () => {
  const m0 = {'Authorization': 'Token ' + cfg.mem0Key, 'content-type': 'application/json'};
  const t0 = performance.now();
  // (1) get_all, then (2) search, one after the other, as the seed did.
  const all = await (await fetch(cfg.mem0 + '/v1/memories/?user_id=' + encodeURIComponent(cfg.user), {headers: m0})).json();
  const found = await (await fetch(cfg.mem0 + '/v2/memories/search/', {method: 'POST', headers: m0,
      body: JSON.stringify(Object.assign({query: msg}, cfg.searchExtra))})).json();
  const memories = (Array.isArray(found) ? found : (found.results || [])).map(m => m.memory);
  // (3) one blocking generateContent: the first token arrives with the last.
  const prompt = cfg.persona + '\n\nWhat you know about the user:\n' + memories.map(m => '- ' + m).join('\n') +
      '\n\nUser: ' + msg;
  const resp = await fetch(cfg.gemini + '/v1beta/models/' + cfg.model + ':generateContent', {method: 'POST',
      headers: {'x-goog-api-key': cfg.key, 'content-type': 'application/json'},
      body: JSON.stringify({contents: [{role: 'user', parts: [{text: prompt}]}]})});
  const data = await resp.json();
  const text = data.candidates[0].content.parts.map(p => p.text || '').join('');
  const t1 = performance.now();
  // (4) add with the whole buffer of messages so far, before the next turn.
  window.__seedBuffer = window.__seedBuffer || [];
  window.__seedBuffer.push({role: 'user', content: msg}, {role: 'assistant', content: text});
  await (await fetch(cfg.mem0 + '/v1/memories/', {method: 'POST', headers: m0,
      body: JSON.stringify(Object.assign({messages: window.__seedBuffer, user_id: cfg.user}, cfg.addExtra))})).json();
  const t2 = performance.now();
  done({ttft: t1 - t0, ttlt: t1 - t0, turn: t2 - t0, memories: all.length, chars: text.length});
})().catch(e => done({error: String(e)}));
"""

SEED_SEARCH_EXTRA = lambda user: {"filters": {"AND": [{"user_id": user}]}}  # noqa: E731
SEED_ADD_EXTRA = {"version": "v2", "output_format": "v1.1"}
SEED_PERSONA = "You are a kind virtual therapist. Listen, reflect, and answer gently."


def seed_memories(fakes, user, n, label="Remembered"):
    msgs = [{"role": "user", "content": f"{label} fact {i:04d}: enjoys {['tea', 'walks', 'jazz', 'gardening'][i % 4]} "
                                        f"on {['mondays', 'weekends', 'rainy days', 'holidays'][i % 4]}."}
            for i in range(n)]
    http_json("POST", f"{fakes.mem0_url}/v1/memories/",
              {"messages": msgs, "user_id": user, "infer": False, "async_mode": False}, timeout=60)


def wait_mem0_quiet(fakes, since_ms, timeout=6.0):
    """After a turn: wait for the app's background memory work (add, event poll, re-list) to end."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        reqs = [r for r in fakes.requests("mem0") if r["ts_ms"] >= since_ms]
        if any(r["method"] == "POST" and r["path"] == "/v2/memories/" for r in reqs):
            time.sleep(0.3)
            return
        time.sleep(0.05)


def latency(site, fakes, cfg):
    n, words = cfg.messages, cfg.reply_words
    user_ours, user_seed = "bench-ttft-ours", "bench-ttft-seed"
    fakes.reset()
    for u in (user_ours, user_seed):
        seed_memories(fakes, u, 20)
    d = driver_new()
    try:
        install_probe(d)
        page = ChatPage(d, site, fakes).open()
        page.configure(mem0_key=MEM0_KEY, user_id=user_ours)
        time.sleep(0.5)
        chunks = len(reply_text(0, words).split()) // 3 + (1 if len(reply_text(0, words).split()) % 3 else 0)
        # A non-streaming call returns when the whole reply is generated: the same generation time
        # as the stream's last chunk (first token + (chunks - 1) x chunk interval).
        blocking_ms = cfg.first_token_ms + (chunks - 1) * cfg.chunk_ms
        seed_cfg = {"mem0": fakes.mem0_url, "gemini": fakes.gemini_url, "mem0Key": MEM0_KEY, "key": GEMINI_KEY,
                    "user": user_seed, "model": MODEL, "persona": SEED_PERSONA,
                    "searchExtra": SEED_SEARCH_EXTRA(user_seed), "addExtra": SEED_ADD_EXTRA}
        ours, seed = [], []
        for i in range(n):
            msg = user_text(i)
            # The app: one streamed reply (fake defaults: first token, then a chunk every chunk_ms).
            gemini_reset(fakes)
            fakes.script({"kind": "reply", "text": reply_text(i, words)})
            t_before = int(time.time() * 1000)
            send_and_wait(d, page, msg, i)
            m = marks(d)
            page.wait(lambda: "memory updated" in chip_text(page, i), timeout=15, message="turn not saved")
            wait_mem0_quiet(fakes, t_before)
            ours.append({"ttft": m["first"] - m["send"], "ttlt": m["done"] - m["send"], "chunks": len(m["chunks"]),
                         "enter_to_send": (m["send"] - m["enter"]) if m["enter"] is not None else None})
            # The seed's pipeline, replayed in the same page against the same fakes.
            gemini_reset(fakes)
            fakes.script({"kind": "reply", "text": reply_text(i, words), "first_delay_ms": blocking_ms})
            r = d.execute_async_script(SEED_TURN_JS, seed_cfg, msg)
            if "error" in r:
                raise RuntimeError(f"seed replay failed: {r['error']}")
            seed.append(r)
            log(f"latency {i + 1}/{n}: ours ttft {ours[-1]['ttft']:.0f} ttlt {ours[-1]['ttlt']:.0f} | "
                f"seed {r['ttft']:.0f} (turn {r['turn']:.0f})")
    finally:
        driver_quit(d)

    def summary(rows, key):
        v = [r[key] for r in rows if r.get(key) is not None]
        return {"p50": pct(v, 50), "p95": pct(v, 95), "min": min(v), "max": max(v), "values": v}

    return {"n": n, "words": len(reply_text(0, words).split()), "chunks": chunks, "blocking_ms": blocking_ms,
            "ours": {k: summary(ours, k) for k in ("ttft", "ttlt", "enter_to_send")},
            "seed": {k: summary(seed, k) for k in ("ttft", "ttlt", "turn")},
            "ours_chunks": [r["chunks"] for r in ours]}


# -------------------------------------------------------------------- 3. bytes to mem0 per turn

def mem0_bytes(site, fakes_fast, cfg):
    turns = cfg.turns
    user = "bench-bytes"
    fakes_fast.reset()
    d = driver_new()
    texts = [(user_text(i), reply_text(i, cfg.reply_words)) for i in range(turns)]
    try:
        page = ChatPage(d, site, fakes_fast).open()
        page.configure(mem0_key=MEM0_KEY, user_id=user)
        time.sleep(0.3)
        fakes_fast.script(*[{"kind": "reply", "text": r, "first_delay_ms": 0, "chunk_delay_ms": 0} for _, r in texts])
        t_start = time.time()
        for i, (u, _) in enumerate(texts):
            page.send(u)
            page.wait_reply_state(i, "done", timeout=30)
            if (i + 1) % 10 == 0:
                log(f"mem0 bytes: {i + 1}/{turns} turns ({time.time() - t_start:.0f} s)")
        page.wait(lambda: len(fakes_fast.mem0_calls("POST", "/v1/memories/")) >= turns, timeout=60,
                  message="not every turn reached mem0")
        time.sleep(1.5)
        reqs = fakes_fast.requests("mem0")
        gem = [r for r in fakes_fast.requests("gemini") if ":streamGenerateContent" in r["path"]]
        # Response sizes after the last turn: the app's re-list (first page) and the seed's get_all.
        relist = [r for r in reqs if r["method"] == "POST" and r["path"] == "/v2/memories/"]
        down = {}
        if relist:
            down["relist"] = len(json.dumps(http_json(
                "POST", f"{fakes_fast.mem0_url}/v2/memories/?page=1&page_size={LIST_PAGE_SIZE}", relist[-1]["body"]),
                separators=(",", ":")).encode())
        down["get_all"] = len(json.dumps(http_json("GET", f"{fakes_fast.mem0_url}/v1/memories/?user_id={user}"),
                                         separators=(",", ":")).encode())
        down["memories"] = len(http_json("GET", f"{fakes_fast.mem0_url}/v1/memories/?user_id={user}"))
    finally:
        driver_quit(d)

    by_turn = {i: {"search": 0, "add": 0, "other": 0, "other_n": 0, "n": 0} for i in range(turns)}
    index = {u: i for i, (u, _) in enumerate(texts)}
    searches = sorted((r for r in reqs if r["path"] == "/v2/memories/search/"), key=lambda r: r["ts_ms"])
    search_ts = [(r["ts_ms"], index[r["body"]["query"]]) for r in searches]
    for r in reqs:
        size = body_bytes(r["body"] if r["body"] is not None else None)
        if r["path"] == "/v2/memories/search/":
            t = index[r["body"]["query"]]
            by_turn[t]["search"] += size
        elif r["method"] == "POST" and r["path"] == "/v1/memories/":
            t = index[r["body"]["messages"][0]["content"]]
            by_turn[t]["add"] += size
        else:  # event polls and re-lists: the turn whose search came last before them
            earlier = [t for ts, t in search_ts if ts <= r["ts_ms"]]
            if not earlier:
                continue
            t = earlier[-1]
            by_turn[t]["other"] += size
            by_turn[t]["other_n"] += 1
        by_turn[t]["n"] += 1
    gem_bytes = {}
    for r in gem:
        last_user = r["body"]["contents"][-1]["parts"][0]["text"]
        if last_user in index:
            gem_bytes[index[last_user]] = body_bytes(r["body"])

    # The seed, computed from the same messages: get_all (a GET, no body), search, whole-buffer add.
    seed_rows, buffer = {}, []
    for i, (u, rtext) in enumerate(texts):
        search = body_bytes({"query": u, **SEED_SEARCH_EXTRA(user)})
        buffer += [{"role": "user", "content": u}, {"role": "assistant", "content": rtext}]
        add = body_bytes({"messages": buffer, "user_id": user, **SEED_ADD_EXTRA})
        seed_rows[i] = {"get_all": 0, "search": search, "add": add}
    report_turns = [t for t in (1, 10, 50, 100) if t <= turns]
    if turns not in report_turns:
        report_turns.append(turns)
    other = [r for r in reqs if not (r["path"] == "/v2/memories/search/" or
                                      (r["method"] == "POST" and r["path"] == "/v1/memories/"))]
    other_kinds = {}
    for r in other:
        k = f"{r['method']} {re.sub(r'/v1/event/[^/]+/', '/v1/event/{id}/', r['path'])}"
        other_kinds[k] = other_kinds.get(k, 0) + 1
    return {"down": down, "other_n": len(other), "other_bytes": sum(body_bytes(r["body"]) for r in other),
            "other_kinds": other_kinds,
            "turns": turns, "report_turns": report_turns, "ours": by_turn, "seed": seed_rows, "gemini": gem_bytes,
            "cum_ours": sum(v["search"] + v["add"] + v["other"] for v in by_turn.values()),
            "cum_seed": sum(v["search"] + v["add"] for v in seed_rows.values())}


# -------------------------------------------------------------------------------- 4. rendering

STREAM_PROBE_JS = r"""
const done = arguments[arguments.length - 1];
const log = document.querySelector('[data-testid=transcript]');
window.__mut = [];
window.__mutMo && window.__mutMo.disconnect();
const ch = new MessageChannel();
let pending = null;
ch.port1.onmessage = () => { if (pending) { pending.task = performance.now(); pending = null; } };
window.__mutMo = new MutationObserver(() => {
  const rec = {dom: performance.now(), task: null};
  window.__mut.push(rec);
  if (!pending) { pending = rec; ch.port2.postMessage(0); }
});
window.__mutMo.observe(log, {childList: true, subtree: true, characterData: true});
done(true);
"""

STREAM_COLLECT_JS = r"""
window.__mutMo && window.__mutMo.disconnect();
const send = performance.getEntriesByName('w0:send')[0].startTime;
const end = performance.getEntriesByName('w0:done')[0].startTime;
return {send, end, first: performance.getEntriesByName('w0:first-chunk')[0].startTime,
        chunks: performance.getEntriesByName('w0:chunk').map(e => e.startTime),
        mut: window.__mut, longtasks: window.__w0.longtasks.filter(t => t[0] >= send - 1 && t[0] <= end + 50)};
"""


LOAD_JS = r"""
const [selector, n, done] = arguments;
window.__w0.waitCount(selector, n).then(shown => {
  // Double rAF: the second callback runs once the frame that shows the rows has been produced.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const frame = performance.now();
    setTimeout(() => done({shown, frame, started: window.__w0.started,
                           longtasks: window.__w0.longtasks.filter(t => t[0] <= frame)}), 300);
  }));
});
"""


def conversation_json(n):
    msgs, now = [], 1_764_000_000_000
    for i in range(n):
        role = "user" if i % 2 == 0 else "model"
        text = user_text(i // 2) if role == "user" else reply_text(i // 2, 60)
        msgs.append({"id": i + 1, "role": role, "text": text, "state": {"state": "done"}, "created_ms": now + i * 1000})
    return json.dumps({"next_id": n + 1, "messages": msgs})


def heap(d):
    d.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    time.sleep(0.3)
    metrics = {m["name"]: m["value"] for m in d.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    wasm = d.execute_script("return window.__w0 && window.__w0.wasm && window.__w0.wasm.memory "
                            "? window.__w0.wasm.memory.buffer.byteLength : null")
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


def stream_replies(d, page, fakes, reps, words, label, profile=False):
    rows, prof_out = [], None
    for r in range(reps + (1 if profile else 0)):
        gemini_reset(fakes)
        fakes.script({"kind": "reply", "text": reply_text(1000 + r, words)})
        before = len(page.replies())
        d.execute_async_script(STREAM_PROBE_JS)
        profiling = profile and r == reps  # one extra reply, profiled, not in the timings
        if profiling:
            d.execute_cdp_cmd("Profiler.enable", {})
            d.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 200})
            d.execute_cdp_cmd("Profiler.start", {})
        send_and_wait(d, page, f"Bench message {r} ({label}).", before)
        if profiling:
            prof_out = top_self_time(d.execute_cdp_cmd("Profiler.stop", {})["profile"])
            prof_out = {"top": prof_out, "chunks": len(marks(d)["chunks"])}
            d.execute_cdp_cmd("Profiler.disable", {})
            continue
        time.sleep(0.3)
        m = d.execute_script(STREAM_COLLECT_JS)
        mut = m["mut"]
        dom_lat, task_lat = [], []
        for c in m["chunks"]:
            nxt = next((x for x in mut if x["dom"] >= c), None)
            if nxt:
                dom_lat.append(nxt["dom"] - c)
                if nxt["task"] is not None:
                    task_lat.append(nxt["task"] - c)
        rows.append({"ttlt": m["end"] - m["send"], "ttft": m["first"] - m["send"], "chunks": len(m["chunks"]),
                     "dom": dom_lat, "task": task_lat, "longtasks": m["longtasks"]})
        log(f"rendering {label}: reply {r + 1}/{reps} ttlt {rows[-1]['ttlt']:.0f} ms, "
            f"chunk->task p50 {pct(task_lat, 50):.2f} ms, long tasks {len(m['longtasks'])}")
    flat = lambda k: [x for row in rows for x in row[k]]  # noqa: E731
    lts = [t for row in rows for t in row["longtasks"]]
    return {"profile": prof_out, "reps": reps, "ttlt": [row["ttlt"] for row in rows], "chunks": [row["chunks"] for row in rows],
            "dom_p50": pct(flat("dom"), 50), "dom_p95": pct(flat("dom"), 95), "dom_max": max(flat("dom") or [0]),
            "task_p50": pct(flat("task"), 50), "task_p95": pct(flat("task"), 95), "task_max": max(flat("task") or [0]),
            "longtasks": len(lts), "longtask_ms": sum(t[1] for t in lts), "longtask_max": max([t[1] for t in lts] or [0])}


def rendering_stream(site, fakes, cfg):
    """(a) per-chunk append cost with 0 and with cfg.big_conversation messages; (c) memory."""
    out = {"messages": cfg.big_conversation}
    d = driver_new()
    try:
        install_probe(d)
        d.execute_cdp_cmd("Performance.enable", {})
        page = ChatPage(d, site, fakes).open()
        page.configure()  # Gemini only: no memory lookup, so only the reply is measured
        d.execute_script("localStorage.removeItem('wellness0.conversation')")
        d.refresh()
        page.one("greeting")
        time.sleep(0.5)
        out["heap_0"] = heap(d)
        out["empty"] = stream_replies(d, page, fakes, cfg.render_reps, cfg.reply_words, "0 messages")

        conv = conversation_json(cfg.big_conversation)
        out["conversation_bytes"] = len(conv)
        d.execute_script("localStorage.setItem('wellness0.conversation', arguments[0])", conv)
        loads = []
        for _ in range(cfg.load_reps):
            d.refresh()
            loads.append(d.execute_async_script(LOAD_JS, "[data-testid=message-user],[data-testid=message-model]",
                                                cfg.big_conversation))
        out["load"] = loads
        time.sleep(0.5)
        out["heap_big"] = heap(d)
        out["big"] = stream_replies(d, page, fakes, cfg.render_reps, cfg.reply_words, f"{cfg.big_conversation} messages",
                                    profile=True)
    finally:
        driver_quit(d)
    return out


DRAWER_JS = r"""
const [n, done] = arguments;
const btn = document.querySelector('[data-testid=open-memory]');
const aside = document.querySelector('[data-testid=memory-sidebar]');
const before = aside.querySelectorAll('[data-testid=memory-item]').length;
const t0 = performance.now();
btn.click();
const tHandler = performance.now();
requestAnimationFrame(() => {
  const tRaf = performance.now();
  requestAnimationFrame(() => {
    const tFrame = performance.now();  // double rAF: the first frame after the click has been produced
    const poll = () => {
      const count = aside.querySelectorAll('[data-testid=memory-item]').length;
      const moving = aside.getAnimations().some(a => a.playState === 'running');
      if (aside.classList.contains('open') && !moving && count >= n && getComputedStyle(aside).visibility === 'visible') {
        const settled = performance.now() - t0;
        // Long tasks are reported asynchronously: collect them a little later, by start time.
        setTimeout(() => done({t0, before, handler: tHandler - t0, raf: tRaf - t0, frame: tFrame - t0, settled, count,
            longtasks: window.__w0.longtasks.filter(t => t[0] >= t0 - 1 && t[0] <= t0 + settled)}), 300);
      } else if (performance.now() - t0 > 20000) {
        done({error: 'drawer never settled', count});
      } else requestAnimationFrame(poll);
    };
    poll();
  });
});
"""


def rendering_drawer(site, fakes, cfg):
    """(b) the memory drawer on a phone with cfg.memories memories."""
    n, user = cfg.memories, "bench-drawer"
    fakes.reset()
    t = time.time()
    seed_memories(fakes, user, n, label="Drawer")
    seeded_s = time.time() - t
    d = driver_new()
    try:
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
            got = d.execute_async_script(LOAD_JS, "[data-testid=memory-item]", rows)
            loads.append(got)
            time.sleep(0.5)
            for _ in range(cfg.drawer_reps):
                res = d.execute_async_script(DRAWER_JS, rows)
                if "error" in res:
                    raise RuntimeError(res)
                opens.append(res)
                page.one("open-memory")
                d.execute_script("document.querySelector('[data-testid=open-memory]').click()")  # close it again
                page.wait(lambda: "open" not in page.one("memory-sidebar").get_attribute("class"))
                time.sleep(0.4)
            log(f"drawer: load {got['shown']:.0f} ms after navigation; open settled {opens[-1]['settled']:.0f} ms")
        pages = [r for r in fakes.requests("mem0") if r["path"] == "/v2/memories/"]
    finally:
        driver_quit(d)
    return {"n": n, "rows": rows, "seeded_s": seeded_s, "loads": loads, "opens": opens, "list_calls_total": len(pages)}


# ---------------------------------------------------------------------------------- the report

def svg_bars(path, title, groups, series, unit="ms"):
    """A grouped bar chart, hand-written SVG. groups: [(label, [value per series])]."""
    colors = ["#2f7d6d", "#c8693b", "#6b7fc4", "#999"]
    w, h, left, top, bottom = 720, 360, 70, 50, 60
    plot_w, plot_h = w - left - 20, h - top - bottom
    vmax = max(v for _, vals in groups for v in vals if v == v) or 1
    step = 10 ** len(str(int(vmax))) / 10
    vmax = (int(vmax / step) + 1) * step
    gw = plot_w / len(groups)
    bw = gw * 0.7 / len(series)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'font-family="system-ui, sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">{title}</text>']
    for k in range(6):
        v = vmax * k / 5
        y = top + plot_h - plot_h * k / 5
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:,.0f}</text>')
    parts.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
                 f'text-anchor="middle" fill="#555">{unit}</text>')
    for gi, (label, vals) in enumerate(groups):
        x0 = left + gi * gw + gw * 0.15
        for si, v in enumerate(vals):
            bh = plot_h * v / vmax
            x, y = x0 + si * bw, top + plot_h - bh
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{colors[si]}"/>')
            parts.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">{v:,.0f}</text>')
        parts.append(f'<text x="{left + gi * gw + gw / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{label}</text>')
    lx = left
    for si, s in enumerate(series):
        parts.append(f'<rect x="{lx}" y="{h - 22}" width="12" height="12" fill="{colors[si]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{h - 12}">{s}</text>')
        lx += 20 + 7.5 * len(s)
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def write_report(res, cfg, started, elapsed, out):
    L = []
    mode = "QUICK run (`--quick`: fewer repetitions, smaller N — a smoke check, not the numbers to quote)" \
        if cfg.quick else "full run"
    L += ["# wellness0 performance report", "",
          f"Generated by `bash bench/run.sh{' --quick' if cfg.quick else ''}` on {started:%Y-%m-%d %H:%M UTC} "
          f"— **{mode}**; took {elapsed:.0f} s. "
          f"Fakes: mem0 latency {cfg.mem0_latency_ms} ms per request, Gemini first token {cfg.first_token_ms} ms, "
          f"a chunk every {cfg.chunk_ms} ms. HEAD `{res['commit']}`; `dist/` built {res.get('dist_built', '?')}.", ""]

    # 1
    b = res["bundle"]
    verdict = "PASS" if b["pass"] else "FAIL"
    L += ["## 1. Release bundle (`dist/`)", "",
          "| file | raw | gzip -9 | brotli (q11) |", "|---|---:|---:|---:|"]
    for f in b["files"]:
        L.append(f"| `{f['file']}` | {f['raw']:,} | {f['gzip']:,} | {f['brotli']:,} |")
    t = b["total"]
    L += [f"| **total (first load)** | **{t['raw']:,}** | **{t['gzip']:,}** | **{t['brotli']:,}** |", "",
          f"**Budget: {kb(b['budget'])} ({b['budget']:,} bytes) gzip for the first load → {verdict}** "
          f"({kb(t['gzip'])} gzip, {100 * t['gzip'] / b['budget']:.0f}% of budget; brotli {kb(t['brotli'])}). "
          "Every file in `dist/` is fetched on first load (index.html, CSS, JS glue, wasm). "
          "The verdict does not change the exit code unless `--enforce-budget` is given.", ""]
    if "twiggy_top" in b:
        L += [f"Biggest contributors — `twiggy top -n 25` on the pre-wasm-opt module "
              f"`target/wasm32-unknown-unknown/release/wellness0.wasm` ({b['named_size']:,} bytes, built "
              f"{b['named_mtime']}). It still has names, the `__wasm_bindgen_unstable` section that wasm-bindgen "
              "strips, and code before `wasm-opt -Oz`, so the shipped wasm is ~3x smaller; use it for "
              "proportions, not absolute bytes.", "", "```", b["twiggy_top"], "```", "",
              "Shallow bytes by crate (first `ident::` path segment of each item; custom sections and data "
              "segments apart):", "", "| crate / part | shallow bytes | share of code |", "|---|---:|---:|"]
        code_total = sum(v for k, v in b["crates"] if not k.startswith("["))
        for name, v in b["crates"][:30]:
            share = "" if name.startswith("[") else f"{100 * v / code_total:.1f}%"
            L.append(f"| {name} | {v:,} | {share} |")
        L += ["", f"Code attributed to crates: {code_total:,} bytes of {b['named_total']:,}.", ""]

    # 2
    lt = res.get("latency")
    if lt:
        o, s = lt["ours"], lt["seed"]
        L += ["## 2. Time to first token and to last token", "",
              f"{lt['n']} messages each, in headless Chromium, against the same fakes, interleaved (ours, then "
              f"the seed replay, per message). Every reply is a scripted {lt['words']}-word text, streamed in "
              f"{lt['chunks']} chunks of 3 words. 20 memories stored for each user beforehand.", "",
              "- **ours**: the real app driven through its UI (Settings filled in like `ChatPage.configure`). "
              "Measured with the app's own Performance marks: `w0:send` → `w0:first-chunk` (TTFT) and → "
              "`w0:done` (TTLT). Includes the mem0 search (one request) and rendering of the markdown.",
              "- **seed**: its pipeline replayed with `fetch` inside the same page: `GET /v1/memories/?user_id=` "
              "(get_all), then `POST /v2/memories/search/`, then a blocking `generateContent` (first token = last "
              "token = whole reply), then `POST /v1/memories/` with the whole buffer, before the next turn. "
              "It renders nothing, which favours it slightly.",
              f"- A non-streaming call returns when the whole reply has been generated, so the seed's "
              f"`generateContent` is scripted to take first token + (chunks − 1) × chunk interval = "
              f"{lt['blocking_ms']} ms (the fake would otherwise answer a blocking call after the first-token delay "
              "alone, which no real model does).", "",
              "| | ours p50 | ours p95 | seed p50 | seed p95 | seed / ours (p50) |", "|---|---:|---:|---:|---:|---:|",
              f"| time to first token | {ms(o['ttft']['p50'])} | {ms(o['ttft']['p95'])} | {ms(s['ttft']['p50'])} | "
              f"{ms(s['ttft']['p95'])} | **{s['ttft']['p50'] / o['ttft']['p50']:.2f}×** |",
              f"| time to last token | {ms(o['ttlt']['p50'])} | {ms(o['ttlt']['p95'])} | {ms(s['ttlt']['p50'])} | "
              f"{ms(s['ttlt']['p95'])} | **{s['ttlt']['p50'] / o['ttlt']['p50']:.2f}×** |",
              f"| until the next message can be sent | {ms(o['ttlt']['p50'])} | {ms(o['ttlt']['p95'])} | "
              f"{ms(s['turn']['p50'])} | {ms(s['turn']['p95'])} | {s['turn']['p50'] / o['ttlt']['p50']:.2f}× |", "",
              f"Floors set by the fakes: ours ≈ {cfg.mem0_latency_ms} (search) + {cfg.first_token_ms} = "
              f"{cfg.mem0_latency_ms + cfg.first_token_ms} ms TTFT and + {(lt['chunks'] - 1) * cfg.chunk_ms} ms "
              f"TTLT; seed ≈ 2 × {cfg.mem0_latency_ms} + {lt['blocking_ms']} = "
              f"{2 * cfg.mem0_latency_ms + lt['blocking_ms']} ms for both, plus {cfg.mem0_latency_ms} ms for its "
              "blocking add before the next turn. Our add is sent after the reply, in the background. "
              f"With {lt['n']} samples p95 is close to the maximum. Enter key → `w0:send` (not included above): "
              f"p50 {ms1(o['enter_to_send']['p50'])}.", "",
              f"![time to first / last token](ttft{cfg.suffix}.svg)", ""]

    # 3
    mb = res.get("mem0")
    if mb:
        L += ["## 3. Bytes sent to mem0 per turn", "",
              f"{mb['turns']} turns driven through the app in the browser (replies of {cfg.reply_words} words, "
              "scripted with no delay; a separate fakes instance with no mem0 latency — bytes do not depend on it). "
              "Request body bytes as compact JSON, as recorded by the fake mem0. The seed's bytes are computed "
              "from the same user messages and replies with its request shapes (get_all is a GET without a body).",
              "", "| turn | ours: search | ours: add | **ours total** | seed: get_all | seed: search "
              "| seed: add (whole buffer) | **seed total** | seed / ours |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for t in mb["report_turns"]:
            o, s = mb["ours"][t - 1], mb["seed"][t - 1]
            ours_total, seed_total = o["search"] + o["add"], s["search"] + s["add"]
            L.append(f"| {t} | {o['search']:,} | {o['add']:,} | **{ours_total:,}** | 0 | {s['search']:,} | "
                     f"{s['add']:,} | **{seed_total:,}** | {seed_total / ours_total:.1f}× |")
        last = mb["turns"]
        kinds = ", ".join(f"{v} × `{k}`" for k, v in sorted(mb["other_kinds"].items(), key=lambda kv: -kv[1]))
        dn = mb["down"]
        L += ["", f"Besides search and add, the app made {mb['other_n']} other mem0 calls in {last} turns "
                  f"({kinds}; {mb['other_bytes']:,} request bytes in all): after each write it follows the add's "
                  "event and then re-lists the memories for the sidebar. Those run in the background and overlap "
                  "the next turns, so they are not split per turn.", "",
              f"Over all {last} turns: ours {mb['cum_ours']:,} request bytes (every mem0 request) vs seed "
              f"{mb['cum_seed']:,} (search + add) — {mb['cum_seed'] / mb['cum_ours']:.0f}×. The seed's add grows "
              "linearly with the conversation (its running total quadratically); ours stays flat.", "",
              f"Downloads are not in the table. After turn {last} the user has {dn.get('memories', 0)} memories: "
              f"the seed's get_all downloads {dn.get('get_all', 0):,} bytes every turn; the app's re-list after "
              f"each write downloads {dn.get('relist', 0):,} bytes (first page of {LIST_PAGE_SIZE}), so both grow with the "
              "number of memories.", ""]
        if mb["gemini"]:
            g = mb["gemini"]
            L += ["For context, our Gemini request body (history within the 48,000-character budget) at the same "
                  "turns: " + ", ".join(f"turn {t}: {g.get(t - 1, 0):,} B" for t in mb["report_turns"]) + ".", "",
                  f"![bytes to mem0 per turn](mem0-bytes{cfg.suffix}.svg)", ""]

    # 4
    rs, rd = res.get("render_stream"), res.get("render_drawer")
    if rs:
        e, big = rs["empty"], rs["big"]
        n = rs["messages"]
        per_chunk_delta = (statistics.median(big["ttlt"]) - statistics.median(e["ttlt"])) / max(1, big["chunks"][0])
        load_ms = [x["shown"] for x in rs["load"]]
        load_frame = [x["frame"] for x in rs["load"]]
        load_lt = max([t[1] for x in rs["load"] for t in x["longtasks"]] or [0])
        prof = big.get("profile")
        prof_line = ""
        if prof:
            prof_line = (f"CPU profile of one more reply ({prof['chunks']} chunks, not in the timings; CDP Profiler, "
                         "self time, JS and browser functions; the wasm has no names): " +
                         ", ".join(f"`{name}` {t:,.1f} ms ({t / max(1, prof['chunks']):.2f} ms/chunk)"
                                   for name, t in prof["top"][:6]) + ".")
        L += ["## 4. Rendering", "",
              f"### (a) Streaming into a conversation of {n:,} messages", "",
              f"The conversation ({rs['conversation_bytes']:,} bytes of JSON in the `Conversation` format) is "
              "written to `localStorage['wellness0.conversation']` and the page reloaded. "
              f"Restoring all {n:,} messages: in the DOM {ms(statistics.median(load_ms))} after navigation "
              f"start, first frame after that {ms(statistics.median(load_frame))} (medians of {len(load_ms)}); "
              f"longest long task during the load {ms(load_lt)} (the main thread is blocked that long).", "",
              f"Then {big['reps']} {'reply' if big['reps'] == 1 else 'replies'} of {big['chunks'][0]} chunks are streamed (Gemini only, no memory lookup) "
              "and compared with the same replies in an empty conversation. Per chunk, each `w0:chunk` mark is "
              "paired with the first DOM mutation in the transcript after it (MutationObserver), and with the end "
              "of that task (a MessageChannel message posted from the observer: runs after everything the task "
              "does synchronously, including any forced layout). This is the app's cost of appending a chunk; "
              "style/layout/paint that the browser defers to the next frame are not in it, so long tasks and the "
              "change in total reply time are reported too.", "",
              f"| | 0 messages | {n:,} messages |", "|---|---:|---:|",
              f"| chunk mark → DOM updated, p50 / p95 | {ms1(e['dom_p50'])} / {ms1(e['dom_p95'])} | "
              f"{ms1(big['dom_p50'])} / {ms1(big['dom_p95'])} |",
              f"| chunk mark → end of task, p50 / p95 (max) | {ms1(e['task_p50'])} / {ms1(e['task_p95'])} "
              f"({ms1(e['task_max'])}) | {ms1(big['task_p50'])} / {ms1(big['task_p95'])} ({ms1(big['task_max'])}) |",
              f"| reply time (send → done), median | {ms(statistics.median(e['ttlt']))} | "
              f"{ms(statistics.median(big['ttlt']))} |",
              f"| long tasks (> 50 ms) during the replies | {e['longtasks']} ({ms(e['longtask_ms'])} total) | "
              f"{big['longtasks']} ({ms(big['longtask_ms'])} total, longest {ms(big['longtask_max'])}) |", "",
              f"(Reply time with {n:,} − reply time with 0) / chunks = {ms1(per_chunk_delta)} per chunk. "
              f"The stream is paced by the fake (a chunk every {cfg.chunk_ms} ms), so this delta only shows work "
              "that could not hide in the gaps between chunks.", ""] + ([prof_line, ""] if prof_line else [])
    if rd:
        loads = [x["shown"] for x in rd["loads"]]
        op = rd["opens"]
        dl_lt = max([t[1] for x in rd["loads"] for t in x["longtasks"]] or [0])
        busy = [max([x["frame"]] + [t[0] + t[1] - x["t0"] for t in x["longtasks"]]) for x in op]
        L += [f"### (b) Memory drawer with {rd['n']:,} memories, phone size (375×812, CDP device emulation)", "",
              f"{rd['n']:,} memories stored for one user (one `POST /v1/memories/` with `infer: false`, "
              f"{rd['seeded_s']:.1f} s). With mem0 latency {cfg.mem0_latency_ms} ms:", "",
              f"- Initial list load, navigation start → the first {rd['rows']:,} `memory-item` rows in the DOM: median "
              f"{ms(statistics.median(loads))} (of {len(loads)}). The app lists pages of {LIST_PAGE_SIZE}, one after the "
              f"other ({-(-rd['n'] // LIST_PAGE_SIZE)} round trips), and renders the first {SIDEBAR_ROWS} rows (the rest "
              f"behind \"Show more\"). "
              f"First frame after that {ms(statistics.median([x['frame'] for x in rd['loads']]))}; longest long "
              f"task during the load {ms(dl_lt)}.",
              f"- Open the drawer (click on `[data-testid=open-memory]`, timed in the page): the rows were already in "
              f"the DOM before the click ({op[0]['before']:,}). Click handler {ms1(statistics.median([x['handler'] for x in op]))}; "
              f"first frame after the click {ms(statistics.median([x['frame'] for x in op]))} (double rAF); main "
              f"thread busy until {ms(statistics.median(busy))} after the click; drawer in place with "
              f"{rd['rows']:,} rows visible (after its 0.2 s CSS transition) "
              f"{ms(statistics.median([x['settled'] for x in op]))} (medians of {len(op)}; long tasks during opening: "
              f"{sum(len(x['longtasks']) for x in op)}, longest "
              f"{ms(max([t[1] for x in op for t in x['longtasks']] or [0]))}).", ""]
    if rs:
        h0, hb = rs["heap_0"], rs["heap_big"]
        mib = lambda v: "n/a" if v is None else f"{v / 1048576:,.1f} MiB"  # noqa: E731
        L += ["### (c) Page memory", "",
              "After a forced GC (CDP `HeapProfiler.collectGarbage`), from CDP `Performance.getMetrics`; the wasm "
              "linear memory from the instance's `memory.buffer.byteLength` (it only grows).", "",
              f"| | 0 messages | {rs['messages']:,} messages |", "|---|---:|---:|",
              f"| JS heap used | {mib(h0['js_heap_used'])} | {mib(hb['js_heap_used'])} |",
              f"| JS heap total | {mib(h0['js_heap_total'])} | {mib(hb['js_heap_total'])} |",
              f"| wasm linear memory | {mib(h0['wasm_memory'])} | {mib(hb['wasm_memory'])} |",
              f"| DOM nodes | {h0['nodes']:,.0f} | {hb['nodes']:,.0f} |", ""]

    # 5
    m = res["machine"]
    L += ["## 5. How to reproduce", "", "```sh",
          f"bash bench/run.sh{' --quick' if cfg.quick else ''}     # add --enforce-budget to exit 1 over the budget",
          "```", "",
          "Knobs (flags of `bench/run.sh`, or environment): `--mem0-latency-ms` / `BENCH_MEM0_LATENCY_MS` "
          f"(used: {cfg.mem0_latency_ms}), `--first-token-ms` / `BENCH_FIRST_TOKEN_MS` (used: {cfg.first_token_ms}), "
          f"`--chunk-ms` / `BENCH_CHUNK_MS` (used: {cfg.chunk_ms}), `--messages` (used: {cfg.messages}), "
          f"`--turns` (used: {cfg.turns}). It builds what is missing (fakes, `dist/`), installs twiggy and the "
          "Python `brotli` package if needed, starts its own fakes and static server on 127.0.0.1, and stops "
          "them on exit.", "",
          f"- machine: {m['nproc']} cores (`nproc`), {m['cpu']}, {m['mem']}; {m['os']}",
          f"- browser: {m['browser']}", f"- date: {started:%Y-%m-%d %H:%M UTC}",
          f"- fake latencies: mem0 {cfg.mem0_latency_ms} ms per request, Gemini first token {cfg.first_token_ms} ms, "
          f"chunks every {cfg.chunk_ms} ms (3 words each)",
          f"- mode: {'quick' if cfg.quick else 'full'}; N = {cfg.messages} messages for latency, {cfg.turns} turns "
          f"for bytes, {cfg.big_conversation} messages / {cfg.memories} memories for rendering", ""]
    out.write_text("\n".join(L))


def machine(d_version):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem": f"{int(mem) / 1048576:.0f} GiB RAM",
            "os": platform.platform(), "browser": d_version}


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--enforce-budget", action="store_true")
    ap.add_argument("--mem0-latency-ms", type=int, default=int(env("BENCH_MEM0_LATENCY_MS", 150)))
    ap.add_argument("--first-token-ms", type=int, default=int(env("BENCH_FIRST_TOKEN_MS", 300)))
    ap.add_argument("--chunk-ms", type=int, default=int(env("BENCH_CHUNK_MS", 20)))
    ap.add_argument("--messages", type=int, default=None, help="messages for TTFT/TTLT (10; quick 3)")
    ap.add_argument("--turns", type=int, default=None, help="turns for mem0 bytes (100; quick 10)")
    ap.add_argument("--reply-words", type=int, default=120)
    ap.add_argument("--only", default="bundle,latency,mem0,render", help="comma-separated sections")
    ap.add_argument("--out", default=None, help="report path (bench/report.md; quick: bench/report-quick.md)")
    ap.add_argument("--fakes-bin", default=env("FAKES_BIN", str(ROOT / "target" / "debug" / "fakes")))
    ap.add_argument("--dist", default=env("DIST_DIR", str(ROOT / "dist")))
    cfg = ap.parse_args()
    q = cfg.quick
    cfg.messages = cfg.messages or (3 if q else 10)
    cfg.turns = cfg.turns or (10 if q else 100)
    cfg.big_conversation = 2000
    cfg.memories = 1000
    cfg.render_reps = 1 if q else 3
    cfg.load_reps = 1 if q else 3
    cfg.drawer_reps = 1 if q else 2
    only = set(cfg.only.split(","))

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.time()
    suffix = "-quick" if q else ""  # a quick run never overwrites the committed full report
    out = pathlib.Path(cfg.out or BENCH / f"report{suffix}.md")
    cfg.suffix = suffix
    dist = pathlib.Path(cfg.dist)
    res = {"commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                    text=True).stdout.strip() or "unknown"}
    try:
        log("1/4 bundle")
        res["bundle"] = bundle(dist)
        wasm_files = list(dist.glob("*.wasm"))
        if wasm_files:
            res["dist_built"] = datetime.datetime.fromtimestamp(
                wasm_files[0].stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        log(f"bundle: {res['bundle']['total']['gzip']:,} bytes gzip -> {'PASS' if res['bundle']['pass'] else 'FAIL'}")
        server, site = serve_dist(dist)
        fakes = start_fakes(cfg.fakes_bin, cfg.mem0_latency_ms, cfg.first_token_ms, cfg.chunk_ms)
        browser = subprocess.run([os.environ.get("CHROME_BIN", "/usr/bin/chromium"), "--version"],
                                 capture_output=True, text=True).stdout.strip()
        res["machine"] = machine(browser)
        if "latency" in only:
            log("2/4 time to first / last token")
            res["latency"] = latency(site, fakes, cfg)
        if "mem0" in only:
            log("3/4 bytes to mem0 per turn")
            fast = start_fakes(cfg.fakes_bin, 0, 0, 0)
            res["mem0"] = mem0_bytes(site, fast, cfg)
        if "render" in only:
            log("4/4 rendering")
            res["render_stream"] = rendering_stream(site, fakes, cfg)
            res["render_drawer"] = rendering_drawer(site, fakes, cfg)
        server.shutdown()
    finally:
        cleanup()

    if "latency" in res:
        lt = res["latency"]
        svg_bars(out.parent / f"ttft{suffix}.svg", f"Time to first / last token, p50 and p95 ({lt['n']} messages"
                 f"{', quick run' if q else ''})",
                 [("TTFT p50", [lt["ours"]["ttft"]["p50"], lt["seed"]["ttft"]["p50"]]),
                  ("TTFT p95", [lt["ours"]["ttft"]["p95"], lt["seed"]["ttft"]["p95"]]),
                  ("TTLT p50", [lt["ours"]["ttlt"]["p50"], lt["seed"]["ttlt"]["p50"]]),
                  ("TTLT p95", [lt["ours"]["ttlt"]["p95"], lt["seed"]["ttlt"]["p95"]])],
                 ["wellness0 (streaming, 1 mem0 call)", "seed pipeline (get_all + search + blocking)"])
    if "mem0" in res:
        mb = res["mem0"]
        svg_bars(out.parent / f"mem0-bytes{suffix}.svg", f"Request bytes to mem0 per turn (search + add){' — quick run' if q else ''}",
                 [(f"turn {t}", [mb["ours"][t - 1]["search"] + mb["ours"][t - 1]["add"],
                                 mb["seed"][t - 1]["search"] + mb["seed"][t - 1]["add"]]) for t in mb["report_turns"]],
                 ["wellness0 (the turn only)", "seed (whole buffer every turn)"], unit="bytes")
    elapsed = time.time() - t0
    write_report(res, cfg, started, elapsed, out)
    raw = ROOT / "target" / "wellness0-bench"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"results{suffix}.json").write_text(json.dumps(res, indent=1, default=str))
    b = res["bundle"]
    print(f"bundle first load: {b['total']['gzip']:,} bytes gzip, budget {b['budget']:,}: "
          f"{'PASS' if b['pass'] else 'FAIL'}")
    print(f"report: {out} ({elapsed:.0f} s)")
    if cfg.enforce_budget and not b["pass"]:
        print("over the bundle budget (--enforce-budget): exit 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
