"""The report's section 3: calls and bytes exchanged with mem0 per turn, on both memory services,
against the number of stored memories and against the length of the conversation."""

import statistics

from .backends import BACKENDS, KIND_LABELS, KINDS, PLATFORM
from .mem0_bytes import QUIET_S, flatness

SEARCH_TOP_K = 8  # memories a search asks for (src/mem0/client.rs SEARCH_TOP_K)


def b(n):
    return f"{n:,.0f} B"


def size_bytes(n):
    return f"{n / 1048576:,.2f} MiB" if n >= 1048576 else f"{n / 1024:,.1f} KiB"


def cell(k):
    """One kind of call per turn: how many, and its bytes up (request) and down (response)."""
    if not k["n"]:
        return "0"
    return f"{k['n']:g} · {k['up']:,.0f} ↑ · {k['down']:,.0f} ↓"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def backend_table(mb, backend):
    runs = mb["runs"][backend.name]
    sizes = mb["sizes"]
    head = "| call | " + " | ".join(f"{n:,} stored" for n in sizes) + " |"
    L = [head, "|---|" + "---:|" * len(sizes)]
    for kind in KINDS:
        if kind == "other" and not any(runs[n]["summary"]["other"]["n"] for n in sizes):
            continue
        if kind == "event" and backend is not PLATFORM:
            continue
        name = mb["backends"][backend.name]["calls"][kind]
        label = f"{KIND_LABELS[kind]}: `{name}`" if kind != "other" else "other"
        L.append(f"| {label} | " + " | ".join(cell(runs[n]["summary"][kind]) for n in sizes) + " |")
    L.append("| **per turn** | " + " | ".join(
        f"**{runs[n]['summary']['total']['n']:g} calls · {b(runs[n]['summary']['bytes'])}**" for n in sizes) + " |")
    L.append("| memories the search found (its answer carries them) | " +
             " | ".join(f"{runs[n]['summary']['used']:g} of at most {SEARCH_TOP_K}" for n in sizes) + " |")
    return L


def flat_lines(mb, backend):
    """The verdict asked for (every size), and where any difference comes from."""
    runs, sizes = mb["runs"][backend.name], mb["sizes"]
    per_turn = [runs[n]["summary"]["bytes"] for n in sizes]
    v = mb["verdicts"][backend.name]
    no_search = [runs[n]["summary"]["bytes"] - runs[n]["summary"]["search"]["down"] for n in sizes]
    spread_rest = v["spread_without_search_answer"]
    L = [f"**{mb['backends'][backend.name]['label']}: per-turn bytes {' / '.join(b(x) for x in per_turn)} with "
         f"{' / '.join(f'{n:,}' for n in sizes)} memories stored: the largest is {100 * v['spread']:.1f}% above the "
         f"smallest → {verdict(v['pass'])}** (flat within {100 * mb['flat_within']:.0f}%).",
         f"Everything but the search answer (search request, add, event polls, memory fetches): "
         f"{' / '.join(b(x) for x in no_search)}, spread {100 * spread_rest:.1f}%."]
    big = [n for n in sizes if n >= 1000]
    if len(big) >= 2:
        spread_big = flatness([runs[n]["summary"]["bytes"] for n in big])
        L[-1] += (f" From {big[0]:,} to {big[-1]:,} memories (the search full at {SEARCH_TOP_K} in both) the "
                  f"whole turn moves {100 * spread_big:.1f}%.")
    return [" ".join(L), ""]


def startup_line(mb, backend):
    runs, sizes = mb["runs"][backend.name], mb["sizes"]
    parts = []
    for n in sizes:
        s = runs[n]["startup"]["total"]
        parts.append(f"{n:,} stored: {s['n']} call{'s' if s['n'] != 1 else ''}, {size_bytes(s['up'] + s['down'])}")
    text = (f"Not per turn — the sidebar's whole list on {mb['backends'][backend.name]['label']}, at page load (and on "
            f"Refresh, after import or delete-all, and when the settings change): " + "; ".join(parts) + ".")
    if backend.list_cap is not None and any(n > backend.list_cap for n in sizes):
        over = [n for n in sizes if n > backend.list_cap]
        text += (f" The server lists at most {backend.list_cap:,} memories (the app asks for `top_k={backend.list_cap}`, "
                 f"its maximum), so with {over[0]:,} stored the sidebar shows "
                 f"{runs[over[0]]['shown_after']:,} (the list's {backend.list_cap:,} plus the turns' new ones).")
    return [text, ""]


def seed_table(mb):
    sizes = [n for n in mb["sizes"] if n in mb["seed"]]
    L = ["| memories stored | ours, Platform | ours, self-hosted | seed: get_all ↓ | seed: search ↑ + ↓ "
         "| seed: add ↑ + ↓ (whole conversation) | **seed per turn** | seed / ours (Platform) |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        rows = mb["seed"][n]
        med = lambda f: statistics.median(f(r) for r in rows)  # noqa: E731
        ours_p = mb["runs"][PLATFORM.name][n]["summary"]["bytes"]
        ours_s = next((mb["runs"][x.name][n]["summary"]["bytes"] for x in BACKENDS if x is not PLATFORM), None)
        total = med(lambda r: r["total"])
        L.append(f"| {n:,} | {b(ours_p)} | {b(ours_s) if ours_s is not None else '—'} | "
                 f"{b(med(lambda r: r['get_all']['down']))} | "
                 f"{b(med(lambda r: r['search']['up'] + r['search']['down']))} | "
                 f"{b(med(lambda r: r['add']['up'] + r['add']['down']))} | **{b(total)}** | {total / ours_p:,.0f}× |")
    return L


def long_table(mb):
    run = mb["runs"][PLATFORM.name][mb["sizes"][0]]
    turns = len(run["turns"])
    shown = [t for t in (1, 10, 50, 100) if t <= turns]
    if turns not in shown:
        shown.append(turns)
    L = ["| turn | ours: calls | ours: ↑ | ours: ↓ | **ours per turn** | seed: search + add ↑ (whole conversation) "
         "| seed ↑ / ours ↑ |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for t in shown:
        c = run["turns"][t - 1]["calls"]["total"]
        s = mb["seed_long"][t - 1]
        seed_up = s["search"] + s["add"]
        L.append(f"| {t} | {c['n']} | {c['up']:,} | {c['down']:,} | **{b(c['up'] + c['down'])}** | {seed_up:,} | "
                 f"{seed_up / c['up']:.1f}× |")
    all_up = sum(r["calls"]["total"]["up"] for r in run["turns"])
    all_seed = sum(s["search"] + s["add"] for s in mb["seed_long"])
    L += ["", f"Over all {turns} turns ours sent {all_up:,} request bytes to mem0 (every call), the seed's search + add "
              f"{all_seed:,} ({all_seed / all_up:.0f}×): its add grows with the conversation (its running total "
              "quadratically), ours carries only the turn."]
    g = run["gemini"]
    if g:
        L += ["", "For context, our Gemini request body (history within the 48,000-character budget) at the same turns: "
              + ", ".join(f"turn {t}: {g.get(t - 1, 0):,} B" for t in shown) + "."]
    return L, turns, run["n"]


def mem0_section(mb, cfg):
    """3. Calls and bytes exchanged with mem0 per turn."""
    if not mb:
        return []
    sizes = mb["sizes"]
    L = ["## 3. Calls and bytes exchanged with mem0 per turn", "",
         f"The app in the browser, on each memory service, with {', '.join(f'{n:,}' for n in sizes)} memories already "
         f"stored for the user; {mb['per_size']} messages each (replies of {cfg.reply_words} words, scripted without "
         "delay; a separate fakes instance without latency — bytes do not depend on it). The memories are stored "
         "straight into the fake beforehand (`infer: false` adds of 500, one memory per message): short facts in "
         "mem0's style, some about what the messages talk about, so searches find some. The page's first list is "
         f"left out (shown apart below); before each message and after it the bench waits until the fake has had no "
         f"request for {QUIET_S} s, so a turn's calls are exactly the ones in between: the search, the add, the "
         "add's event polls (Platform), and the fetch of each memory the turn saved (the sidebar's update). "
         "**Bytes are HTTP bodies only**, requests (↑) and responses (↓) as the fakes count them; headers are not "
         "counted. Medians per turn; a cell reads calls · bytes up · bytes down.", ""]
    for backend in BACKENDS:
        if backend.name not in mb["runs"]:
            continue
        L += [f"### {mb['backends'][backend.name]['label']}", ""] + backend_table(mb, backend) + [""]
        L += flat_lines(mb, backend) + startup_line(mb, backend)
    L += [f"What differs between sizes is the search answer: it carries the memories found, at most {SEARCH_TOP_K} "
          "(the app's `top_k`), however many are stored; with few stored, fewer are relevant. With the Platform "
          "fake an add's extraction takes 50 ms, so the first event poll (after 0.5 s) finds it done; a slower "
          "extraction costs one more poll per backoff step (after 0.5, 1.5, 3.5, 7.5 s …), whatever the number of "
          "memories.", ""]
    if mb["seed"]:
        L += ["### Against the seed's approach", "",
              "The seed listed every memory (`GET /v1/memories/?user_id=`, get_all) at every message, then searched "
              "(`POST /v2/memories/search/`) and added the whole conversation so far (`POST /v1/memories/`). Its "
              "calls are replayed against the Platform fake, for a user of its own with the same memories stored, "
              f"with the same {mb['per_size']} messages and replies (request bytes as compact JSON, response bytes as the fake sent them; medians per turn):", ""]
        L += seed_table(mb) + [""]
    long, turns, n0 = long_table(mb)
    L += [f"### Over a long conversation ({turns} turns, Platform, {n0:,} memories stored at the start)", ""] + long + [
          "", f"![bytes exchanged with mem0 per turn](mem0-bytes{cfg.suffix}.svg)", ""]
    errors = [e for runs in mb["runs"].values() for run in runs.values() for t in run["turns"] for e in t["errors"]]
    if errors:
        L += [f"Non-2xx answers during the measured turns: {len(errors)} ({', '.join(sorted(set(errors))[:5])}).", ""]
    return L

