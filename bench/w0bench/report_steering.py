"""The report's part on memory steering (section 6), and its verdicts against issue 12's targets."""

import os
import statistics

from .common import TIDY_PAIRS_PER_SLICE, UNDO_MS, ms, ms1

TIDY_MS = 2_000  # click on "Tidy up…" over 1,000 memories -> its preview on screen
LONG_TASK_MS = 50  # no task longer than this during the tidy-up
DELETE_LATE_MS = 1_000  # the delete reaches mem0 at most this long after the undo window


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def tidy_figures(run):
    """One tidy-up's times from the click (ms), and its slices."""
    c, prog = run["click"], run["progress"]
    gaps = [b["t"] - a["t"] for a, b in zip(prog, prog[1:])]
    return {"on_screen": run["painted"] - c, "in_dom": run["shown"] - c, "dispatch": run["dispatchEnd"] - c,
            "first_frame": run["clickFrame"] - c,
            "last_progress": prog[-1]["t"] - c if prog else None,
            "final": run["shown"] - prog[-1]["t"] if prog else None,
            "frame": run["painted"] - run["shown"], "updates": len(prog), "gap": med(gaps),
            "gap_max": max(gaps or [float("nan")])}


def summary(st):
    runs = [tidy_figures(r) for r in st["tidy"]]
    lts = [t for r in st["tidy"] for t in r["longtasks"]]
    fg = st["forget"]
    deletes = [r["delete_after"] for r in fg]
    col = lambda k: [r[k] for r in runs]  # noqa: E731
    return {"runs": runs, "total": med(col("on_screen")), "total_max": max(col("on_screen")),
            "in_dom": med(col("in_dom")), "dispatch": med(col("dispatch")),
            "first_frame": med(col("first_frame")), "last_progress": med(col("last_progress")),
            "final": med(col("final")), "frame": med(col("frame")), "updates": med(col("updates")),
            "gap": med(col("gap")), "gap_max": max(col("gap_max")), "longtasks": lts,
            "progress_at_click": sum(1 for r in st["tidy"] if r["progressAtDispatchEnd"]),
            "gone": [r["removed"] - r["click"] for r in fg],
            "same_task": sum(1 for r in fg if r["goneByDispatchEnd"]),
            "before_frame": sum(1 for r in fg if r["goneByFrame"]),
            "both": sum(1 for r in fg if r["goneByDispatchEnd"] and r["goneByFrame"]),
            "reply_gone": med([r["replyGone"] - r["click"] if r["replyGone"] is not None else None for r in fg]),
            "note": med([r["note"] - r["click"] if r["note"] is not None else None for r in fg]),
            "frame_after": med([r["frame"] - r["click"] for r in fg]),
            "dispatch_end": med([r["dispatchEnd"] - r["click"] for r in fg]),
            "forget_longtasks": [t for r in fg for t in r["longtasks"]],
            "deletes": deletes, "missing": sum(1 for d in deletes if d is None)}


def steering_verdicts(st):
    """(what, target, measured, pass) for each of issue 12's targets."""
    s = summary(st)
    lts, n, reps = s["longtasks"], st["n"], len(st["forget"])
    sent = [d for d in s["deletes"] if d is not None]
    return [
        (f"tidy-up over {n:,} memories: click on “Tidy up…” → preview on screen (median of {len(s['runs'])})",
         f"≤ {TIDY_MS:,} ms", f"{s['total']:,.0f} ms (slowest {s['total_max']:,.0f})", s["total"] <= TIDY_MS),
        ("long tasks over 50 ms during the tidy-up (all runs)", "none",
         f"{len(lts)}" + (f" (longest {max(t[1] for t in lts):,.0f} ms)" if lts else ""), not lts),
        ("Forget: memory gone from the sidebar in the click's own task, before the next frame",
         f"{reps} of {reps}", f"{s['both']} of {reps} (median {med(s['gone']):.1f} ms after the click)",
         s["both"] == reps),
        ("Forget: the delete reaches mem0 after the undo window (from the click; median, min–max)",
         f"{UNDO_MS / 1000:.1f}–{(UNDO_MS + DELETE_LATE_MS) / 1000:.1f} s",
         (f"{med(sent):,.0f} ms ({min(sent):,.0f}–{max(sent):,.0f})" if sent else "never")
         + (f"; {s['missing']} never sent" if s["missing"] else ""),
         not s["missing"] and min(sent) >= UNDO_MS and max(sent) <= UNDO_MS + DELETE_LATE_MS),
    ]


def steering_section(st, cfg):
    """6. Memory steering."""
    if not st:
        return []
    s, n, found = summary(st), st["n"], st["found"]
    runs = s["runs"]
    pairs = n * (n - 1) // 2
    slices = -(-pairs // TIDY_PAIRS_PER_SLICE)
    planted_members = sum(len(g) for g in st["planted"])
    L = [f"## 6. Memory steering (issue 12): tidy-up over {n:,} memories, Forget", "",
         f"One headless Chromium, one user with {n:,} memories stored straight into the mem0 fake (`POST "
         f"/v3/memories/add/` with `infer: false`, 500 a call, {st['seeded_s']:.1f} s): made-up facts as mem0 keeps "
         "them from a wellness chat (family, health, medication, work, habits, worries; `bench/w0bench/memory_set.py`, "
         f"deterministic), all different, plus {len(st['planted'])} planted groups of near-duplicates (the same fact "
         "again with a detail added, or in mem0's “User …” wording; groups of 2 and 3, "
         f"{planted_members} memories, {100 * planted_members / n:.1f}% of them). The page lists all {n:,} (pages of "
         f"200, {st['listed_s']:.1f} s until the count said {n:,}). mem0 latency {cfg.mem0_latency_ms} ms per request. "
         f"This section took {st['took_s']:.0f} s; {os.cpu_count()} cores, other work on the machine shows up in "
         "the figures.", "",
         "| target (issue 12) | goal | measured | verdict |", "|---|---|---|---|"]
    for name, target, measured, ok in steering_verdicts(st):
        L.append(f"| {name} | {target} | {measured} | **{'PASS' if ok else 'FAIL'}** |")
    other = "" if not found["other"] else (" Groups found that were not planted (up to 5): " + "; ".join(
        " / ".join(f"“{t}”" for t in g) for g in found["other"]) + ".")
    L += ["", "### Tidy up", "",
          f"{len(runs)} runs, each a WebDriver click on “Tidy up…” (a real input event) timed in the page "
          "(`bench/probes/tidy-arm.js`, `tidy-collect.js`): from the click event's timeStamp to the preview in "
          "the DOM (MutationObserver) and to the frame that shows it (rAF, then a MessageChannel message); the "
          "end of the click's handling from a bubbling click listener on window registered after the app's; "
          "the panel is closed (Cancel) between runs. The app fingerprints every memory in the click's handler, "
          f"then compares the {pairs:,} pairs {TIDY_PAIRS_PER_SLICE:,} at a time ({slices} slices), yielding to the "
          "page with a 0 ms timer after each and updating its progress line; the last slice, the grouping and "
          f"the preview's render run in one task. The preview showed **{found['groups']} groups** "
          f"({found['members']} memories); {found['exact']} of them exactly the {found['planted']} planted ones."
          + other, "",
          "| from the click (medians) | ms |", "|---|---:|",
          f"| end of the click's handling (fingerprints, the first slice, the progress line) | {ms1(s['dispatch'])} |",
          f"| first frame after the click (shows the progress line) | {ms1(s['first_frame'])} |",
          f"| last progress update (all but the last slice compared) | {ms(s['last_progress'])} |",
          f"| preview in the DOM | {ms(s['in_dom'])} |",
          f"| **preview on screen** (its frame) | **{ms(s['total'])}** |", "",
          f"Between two progress updates (a slice, the timer, and any frame the page rendered in between): median "
          f"{ms1(s['gap'])}, longest {ms1(s['gap_max'])}; {s['updates']:.0f} updates a run. The search itself, "
          f"click → last progress update, is {ms(s['last_progress'])}; the last task (the final slice, grouping, "
          f"rendering the preview) {ms1(s['final'])} after that update, and its frame {ms1(s['frame'])} later. "
          "Each run: " + ", ".join(f"{r['on_screen']:,.0f}" for r in runs) + " ms to the preview on screen. "
          f"The progress line was in the DOM when the click's handling ended in {s['progress_at_click']} of "
          f"{len(runs)} runs.", ""]
    if s["longtasks"]:
        L += ["Long tasks during the runs (start after the click, duration): " + ", ".join(
            f"{t[1]:,.0f} ms" for t in s["longtasks"]) + ".", ""]
    if st.get("tidy_profile"):
        top = st["tidy_profile"]
        L += ["CPU profile of one more run (CDP Profiler, self time; the wasm has no names): " + ", ".join(
            f"`{name}` {t:,.1f} ms" for name, t in top[:6]) + ". The biggest is most likely the comparing "
            f"({top[0][1] / slices:.1f} ms a slice); the rest of the {ms1(s['gap'])} between two updates fits "
            "waiting: a 0 ms timer set from a timer's own task, five deep, fires after at least 4 ms (the HTML standard's clamp), and frames "
            "are rendered in between.", ""]
    fg = st["forget"]
    gone = s["gone"]
    sent = [d for d in s["deletes"] if d is not None]
    L += ["### Forget", "",
          f"{len(fg)} turns (a short scripted reply; the fake's inferring add stores the user's message as the "
          f"memory), each then forgotten from under its reply: a WebDriver click on the reply's “Forget”, timed in "
          "the page (`bench/probes/forget-arm.js`, `forget-collect.js`): a MutationObserver sees the memory's row "
          "(`memory-item[data-id]`) leave the sidebar — it lists all "
          f"{n:,} memories. A bubbling click listener on window, registered after the app's, runs after the "
          "app's handler and the microtasks it renders in, still in the click's task: the row gone by then means "
          "gone in the click's own task. A capture listener (before the app's handler) requests an animation "
          "frame: the row gone before it ran means the first frame after the click no longer shows it. The "
          "delete's time is when the mem0 fake received `DELETE /v1/memories/{id}/` (its request log, wall "
          "clock; it answers after its latency), against `Date.now()` at the click.", "",
          "| | median | max |", "|---|---:|---:|",
          f"| click → row gone from the sidebar | {ms1(med(gone))} | {ms1(max(gone))} |",
          f"| click → gone from the reply's saved line | {ms1(s['reply_gone'])} | |",
          f"| click → forget note shown | {ms1(s['note'])} | |",
          f"| click → end of the click's handling (dispatch) | {ms1(s['dispatch_end'])} | |",
          f"| click → next frame | {ms1(s['frame_after'])} | |",
          f"| click → `DELETE` received by mem0 | {ms(med(sent))} | {ms(max(sent or [float('nan')]))} |", "",
          f"Row gone in the click's own task: {s['same_task']} of {len(fg)}; before the next frame: "
          f"{s['before_frame']} of {len(fg)}. Undo window: {UNDO_MS:,} ms (`src/memory/forget.rs`). Long tasks "
          f"during the clicks: {len(s['forget_longtasks'])}. Between two forgets the bench waits when an earlier "
          "forget's delete is due, so no delete lands on a measured click.", ""]
    return L
