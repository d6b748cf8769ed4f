"""Section 2: time to first / last token, the app (through its UI, timed by its own Performance
marks) against a replay of the seed's pipeline in the same page, interleaved per message."""

import time

from harness import GEMINI_KEY, MEM0_KEY, ChatPage

from .backends import seed_memories
from .common import MODEL, log, pct
from .inpage import bench_driver, chip_text, install_probe, marks, probe, send_and_wait
from .mem0_bytes import wait_quiet
from .texts import SEED_ADD_EXTRA, SEED_PERSONA, SEED_SEARCH_EXTRA, reply_text, user_text


def latency(site, fakes, cfg):
    n, words = cfg.messages, cfg.reply_words
    user_ours, user_seed = "bench-ttft-ours", "bench-ttft-seed"
    fakes.reset()
    for u in (user_ours, user_seed):
        seed_memories(fakes, u, 20)
    with bench_driver() as d:
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
            fakes.control("gemini", "POST", "reset")  # forget the previous reply
            fakes.script({"kind": "reply", "text": reply_text(i, words)})
            send_and_wait(d, page, msg, i)
            m = marks(d)
            page.wait(lambda: "memory updated" in chip_text(page, i), timeout=15, message="turn not saved")
            wait_quiet(fakes, "mem0")  # the turn's memory work (event polls, fetches) is over
            ours.append({"ttft": m["first"] - m["send"], "ttlt": m["done"] - m["send"], "chunks": len(m["chunks"]),
                         "enter_to_send": (m["send"] - m["enter"]) if m["enter"] is not None else None})
            # The seed's pipeline, replayed in the same page against the same fakes.
            fakes.control("gemini", "POST", "reset")  # forget the previous reply
            fakes.script({"kind": "reply", "text": reply_text(i, words), "first_delay_ms": blocking_ms})
            r = d.execute_async_script(probe("seed-turn"), seed_cfg, msg)
            if "error" in r:
                raise RuntimeError(f"seed replay failed: {r['error']}")
            seed.append(r)
            log(f"latency {i + 1}/{n}: ours ttft {ours[-1]['ttft']:.0f} ttlt {ours[-1]['ttlt']:.0f} | "
                f"seed {r['ttft']:.0f} (turn {r['turn']:.0f})")

    def summary(rows, key):
        v = [r[key] for r in rows if r.get(key) is not None]
        return {"p50": pct(v, 50), "p95": pct(v, 95), "min": min(v), "max": max(v), "values": v}

    return {"n": n, "words": len(reply_text(0, words).split()), "chunks": chunks, "blocking_ms": blocking_ms,
            "ours": {k: summary(ours, k) for k in ("ttft", "ttlt", "enter_to_send")},
            "seed": {k: summary(seed, k) for k in ("ttft", "ttlt", "turn")},
            "ours_chunks": [r["chunks"] for r in ours]}
