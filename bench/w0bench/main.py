"""Runs the bench: reads the flags, starts the fakes and a static server for `dist/`, runs the
sections asked for, then writes the report, its charts and the raw results."""

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import platform
import signal
import subprocess
import time

from harness import StaticSite, launch_fakes

from .bundle import bundle
from .charts import write_charts
from .common import BENCH, ROOT, SECTIONS, log
from .latency import latency
from .mem0_bytes import mem0_bytes
from .privacy import privacy
from .rendering import rendering_drawer, rendering_stream
from .report import write_report
from .report_scale import verdicts
from .report_steering import steering_verdicts
from .sessions_scale import sessions_scale
from .report_sync import sync_verdicts
from .steering import memory_steering
from .sync_bench import sync


def parse_args(description, argv=None):
    env = os.environ.get
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--enforce-budget", action="store_true")
    ap.add_argument("--max-first-load", type=int, default=None, metavar="BYTES",
                    help="exit 1 when the first load is over BYTES gzip (a ceiling that keeps it from growing)")
    ap.add_argument("--mem0-latency-ms", type=int, default=int(env("BENCH_MEM0_LATENCY_MS", 150)))
    ap.add_argument("--first-token-ms", type=int, default=int(env("BENCH_FIRST_TOKEN_MS", 300)))
    ap.add_argument("--chunk-ms", type=int, default=int(env("BENCH_CHUNK_MS", 20)))
    ap.add_argument("--messages", type=int, default=None, help="messages for TTFT/TTLT (10; quick 3)")
    ap.add_argument("--turns", type=int, default=None,
                    help="turns of the long conversation for mem0 bytes (100; quick 10)")
    ap.add_argument("--bytes-turns", type=int, default=None,
                    help="turns measured per backend and number of stored memories (5; quick 3)")
    ap.add_argument("--bytes-sizes", default=None,
                    help="memories stored beforehand, comma-separated (10,1000,5000; quick 10,1000)")
    ap.add_argument("--reply-words", type=int, default=120)
    ap.add_argument("--scale-sessions", type=int, default=None, help="sessions stored for the scale section (200; quick 20)")
    ap.add_argument("--scale-messages", type=int, default=None, help="messages per stored session (200; quick 50)")
    ap.add_argument("--privacy-sessions", type=int, default=None,
                    help="sessions stored, beside a 2,000-message one, for the passcode section (200; quick 10)")
    ap.add_argument("--privacy-messages", type=int, default=None,
                    help="messages per stored session for the passcode section (200; quick 20)")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--out", default=None, help="report path (bench/report.md; quick: bench/report-quick.md)")
    ap.add_argument("--fakes-bin", default=env("FAKES_BIN", str(ROOT / "target" / "debug" / "fakes")))
    ap.add_argument("--dist", default=env("DIST_DIR", str(ROOT / "dist")))
    cfg = ap.parse_args(argv)
    q = cfg.quick
    cfg.messages = cfg.messages or (3 if q else 10)
    cfg.turns = cfg.turns or (10 if q else 100)
    cfg.bytes_turns = cfg.bytes_turns or (3 if q else 5)
    cfg.bytes_sizes = tuple(int(x) for x in (cfg.bytes_sizes or ("10,1000" if q else "10,1000,5000")).split(","))
    cfg.big_conversation = 2000
    cfg.big_branches = 200
    cfg.memories = 1000
    cfg.render_reps = 1 if q else 3
    cfg.load_reps = 1 if q else 3
    cfg.drawer_reps = 1 if q else 2
    cfg.scale_sessions = cfg.scale_sessions or (20 if q else 200)
    cfg.scale_messages = cfg.scale_messages or (50 if q else 200)
    cfg.scale_loads = 3 if q else 7
    cfg.scale_index_reps = 1 if q else 3
    cfg.scale_typing_reps = 1 if q else 3
    cfg.scale_opens = 3 if q else 7
    cfg.scale_stream_reps = 1 if q else 3
    cfg.scale_stream_words = 200 if q else 400  # a long reply: 400 words are ~135 chunks
    cfg.steer_tidy_reps = 3 if q else 7
    cfg.steer_forget_reps = 2 if q else 7
    cfg.privacy_sessions = cfg.privacy_sessions or (10 if q else 200)
    cfg.privacy_messages = cfg.privacy_messages or (20 if q else 200)
    cfg.privacy_small = (20, 50)  # a store of a realistic size, for unlocking: 20 sessions of 50 messages
    cfg.privacy_kdf_reps = 3 if q else 9
    cfg.privacy_unlocks = 2 if q else 7
    cfg.privacy_opens = 1 if q else 7
    cfg.sync_sessions, cfg.sync_messages = (20, 50) if q else (200, 200)
    cfg.sync_live_messages = 3 if q else 20
    cfg.sync_kill_rounds = 2 if q else 8
    cfg.sync_restart_batches = 6 if q else 30
    cfg.sync_switch_batches = 4 if q else 20
    cfg.sync_scale_accounts, cfg.sync_scale_records = (100, 200) if q else (10_000, 1_000)
    cfg.sync_scale_queries = 40 if q else 400
    cfg.suffix = "-quick" if q else ""  # a quick run never overwrites the committed full report
    return cfg


def machine(d_version):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem": f"{int(mem) / 1048576:.0f} GiB RAM",
            "os": platform.platform(), "browser": d_version}


def start_fakes(stack, binary, mem0_latency, first_token, chunk, services=("gemini", "mem0")):
    """Fakes with the given latencies, stopped when `stack` closes."""
    launched, fakes = launch_fakes("--mem0-latency-ms", mem0_latency, "--selfhosted-latency-ms", mem0_latency,
                                   "--first-token-ms", first_token, "--chunk-ms", chunk, services=services,
                                   binary=binary)
    stack.enter_context(launched)
    return fakes


def timed(name, run):
    """Runs a section; its result gets how long it took and the load average (1 min) before and
    after, which the report states: other work on the machine shows up in the figures."""
    started, load_before = time.time(), os.getloadavg()[0]
    result = run()
    result.update(took_s=time.time() - started, loadavg=(load_before, os.getloadavg()[0]))
    log(f"{name} took {result['took_s']:.0f} s")
    return result


def run_sections(cfg, dist, res):
    only = set(cfg.only.split(","))
    if "bundle" in only or cfg.enforce_budget or cfg.max_first_load is not None:
        log("1/8 bundle")
        res["bundle"] = bundle(dist)
        res["bundle"]["ceiling"] = cfg.max_first_load
        first_load = res["bundle"]["total"]["gzip"]
        res["bundle"]["under_ceiling"] = cfg.max_first_load is None or first_load <= cfg.max_first_load
        log(f"bundle: {res['bundle']['total']['gzip']:,} bytes gzip -> {'PASS' if res['bundle']['pass'] else 'FAIL'}")
    wasm_files = list(dist.glob("*.wasm"))
    if wasm_files:
        res["dist_built"] = datetime.datetime.fromtimestamp(
            wasm_files[0].stat().st_mtime, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with contextlib.ExitStack() as stack:
        site = stack.enter_context(StaticSite(dist)).url
        fakes = start_fakes(stack, cfg.fakes_bin, cfg.mem0_latency_ms, cfg.first_token_ms, cfg.chunk_ms)
        browser = subprocess.run([os.environ.get("CHROME_BIN", "/usr/bin/chromium"), "--version"],
                                 capture_output=True, text=True).stdout.strip()
        res["machine"] = machine(browser)
        if "latency" in only:
            log("2/8 time to first / last token")
            res["latency"] = latency(site, fakes, cfg)
        if "mem0" in only:
            log("3/8 calls and bytes to mem0 per turn")
            fast = start_fakes(stack, cfg.fakes_bin, 0, 0, 0, services=("gemini", "mem0", "selfhosted"))
            res["mem0"] = mem0_bytes(site, fast, cfg)
        if "render" in only:
            log("4/8 rendering")
            res["render_stream"] = rendering_stream(site, fakes, cfg)
            res["render_drawer"] = rendering_drawer(site, fakes, cfg)
        if "scale" in only:
            log("5/8 sessions at scale")
            res["scale"] = timed("sessions at scale", lambda: sessions_scale(site, dist, fakes, cfg))
        if "steer" in only:
            log("6/8 memory steering")
            res["steering"] = timed("memory steering", lambda: memory_steering(site, fakes, cfg))
        if "privacy" in only:
            log("7/8 privacy: the passcode lock")
            res["privacy"] = timed("privacy", lambda: privacy(site, dist, fakes, cfg))
        if "sync" in only:
            log("8/8 sync between devices")
            res["sync"] = timed("sync", lambda: sync(dist, fakes, cfg))


def main(description=__doc__):
    cfg = parse_args(description)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through every `with`: browsers and fakes are stopped

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.time()
    out = pathlib.Path(cfg.out or BENCH / f"report{cfg.suffix}.md")
    res = {"commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                    text=True).stdout.strip() or "unknown"}
    run_sections(cfg, pathlib.Path(cfg.dist), res)

    write_charts(res, cfg, out.parent)
    elapsed = time.time() - t0
    write_report(res, cfg, started, elapsed, out)
    raw = ROOT / "target" / "wellness0-bench"
    raw.mkdir(parents=True, exist_ok=True)
    # A report written elsewhere (--out) keeps its raw results apart: the default report's stay.
    name = f"results{cfg.suffix}.json" if cfg.out is None else f"results-{out.stem}.json"
    (raw / name).write_text(json.dumps(res, indent=1, default=str))
    b = res.get("bundle")
    if b:
        print(f"bundle first load: {b['total']['gzip']:,} bytes gzip, budget {b['budget']:,}: "
              f"{'PASS' if b['pass'] else 'FAIL'}")
        if cfg.max_first_load is not None:
            print(f"bundle first load: ceiling {cfg.max_first_load:,}: {'PASS' if b['under_ceiling'] else 'FAIL'}")
    for name, target, measured, ok in verdicts(res["scale"]) if res.get("scale") else []:
        print(f"sessions at scale: {name}: {measured}, target {target}: {'PASS' if ok else 'FAIL'}")
    for name, target, measured, ok in steering_verdicts(res["steering"]) if res.get("steering") else []:
        print(f"memory steering: {name}: {measured}, target {target}: {'PASS' if ok else 'FAIL'}")
    for name, target, measured, ok in sync_verdicts(res["sync"]) if res.get("sync") else []:
        print(f"sync: {name}: {measured}, target {target}: {'PASS' if ok else 'FAIL'}")
    print(f"report: {out} ({elapsed:.0f} s)")
    if cfg.enforce_budget and not b["pass"]:  # --enforce-budget always measures the bundle
        print("over the bundle budget (--enforce-budget): exit 1")
        return 1
    if b and not b["under_ceiling"]:
        print(f"first load {b['total']['gzip']:,} bytes gzip is over the ceiling {cfg.max_first_load:,} "
              "(--max-first-load): exit 1")
        return 1
    return 0
