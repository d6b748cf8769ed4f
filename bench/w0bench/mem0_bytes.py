"""Section 3: request bytes sent to mem0 per turn, the app (as recorded by the fake mem0) against
the seed's whole-buffer adds (computed from the same messages with its request shapes)."""

import json
import re
import time

from harness import MEM0_KEY, ChatPage

from .common import APP_ADD, APP_LIST, APP_SEARCH, LIST_PAGE_SIZE, body_bytes, log
from .inpage import bench_driver
from .texts import SEED_ADD_EXTRA, SEED_SEARCH_EXTRA, mem0_json, reply_text, user_text


def mem0_bytes(site, fakes_fast, cfg):
    turns = cfg.turns
    user = "bench-bytes"
    fakes_fast.reset()
    texts = [(user_text(i), reply_text(i, cfg.reply_words)) for i in range(turns)]
    with bench_driver() as d:
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
        page.wait(lambda: len(fakes_fast.mem0_calls("POST", APP_ADD)) >= turns, timeout=60,
                  message="not every turn reached mem0")
        time.sleep(1.5)
        reqs = fakes_fast.requests("mem0")
        gem = [r for r in fakes_fast.requests("gemini") if ":streamGenerateContent" in r["path"]]
        # Response sizes after the last turn: the app's re-list (first page) and the seed's get_all.
        relist = [r for r in reqs if r["method"] == "POST" and r["path"] == APP_LIST]
        down = {}
        if relist:
            down["relist"] = len(json.dumps(mem0_json(
                "POST", f"{fakes_fast.mem0_url}{APP_LIST}?page=1&page_size={LIST_PAGE_SIZE}", relist[-1]["body"]),
                separators=(",", ":")).encode())
        get_all = mem0_json("GET", f"{fakes_fast.mem0_url}/v1/memories/?user_id={user}")  # the seed's call
        down["get_all"] = len(json.dumps(get_all, separators=(",", ":")).encode())
        down["memories"] = len(get_all)

    by_turn = {i: {"search": 0, "add": 0, "other": 0, "other_n": 0, "n": 0} for i in range(turns)}
    index = {u: i for i, (u, _) in enumerate(texts)}
    searches = sorted((r for r in reqs if r["path"] == APP_SEARCH), key=lambda r: r["ts_ms"])
    search_ts = [(r["ts_ms"], index[r["body"]["query"]]) for r in searches]
    for r in reqs:
        size = body_bytes(r["body"] if r["body"] is not None else None)
        if r["path"] == APP_SEARCH:
            t = index[r["body"]["query"]]
            by_turn[t]["search"] += size
        elif r["method"] == "POST" and r["path"] == APP_ADD:
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
    other = [r for r in reqs if not (r["path"] == APP_SEARCH or
                                      (r["method"] == "POST" and r["path"] == APP_ADD))]
    other_kinds = {}
    for r in other:
        k = f"{r['method']} {re.sub(r'/v1/event/[^/]+/', '/v1/event/{id}/', r['path'])}"
        other_kinds[k] = other_kinds.get(k, 0) + 1
    return {"down": down, "other_n": len(other), "other_bytes": sum(body_bytes(r["body"]) for r in other),
            "other_kinds": other_kinds,
            "turns": turns, "report_turns": report_turns, "ours": by_turn, "seed": seed_rows, "gemini": gem_bytes,
            "cum_ours": sum(v["search"] + v["add"] + v["other"] for v in by_turn.values()),
            "cum_seed": sum(v["search"] + v["add"] for v in seed_rows.values())}


