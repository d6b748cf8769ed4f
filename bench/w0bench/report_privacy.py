"""The report's part on the passcode lock (section 7): issue 14's figures. The issue sets no targets
for them, only that they be reported, so there are no verdicts here."""

import os
import statistics

from .common import MESSAGE_WINDOW, kb, ms, ms1


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def spread(values):
    """The median of a list of ms, with its min–max and count."""
    return f"{med(values):,.0f} ms ({min(values):,.0f}–{max(values):,.0f}, {len(values)})" if values else "n/a"


def unlock_phases(rows):
    """Medians, from the click on Unlock: the lock screen gone (key derived, check value opened, the
    private Web Storage values opened), storage read (`data-ready`), usable, the frame showing it."""
    at = lambda k: [x[k] - x["lock"]["click"] for x in rows]  # noqa: E731
    return {"gone": med([x["lock"]["gone"] - x["lock"]["click"] for x in rows]), "ready": med(at("ready")),
            "usable": med(at("usable")), "painted": med(at("painted")), "usable_all": at("usable"),
            "lock_shown": med([x["lock"]["shown"] for x in rows]),
            "kdf_after": [x["kdf_after"] for x in rows if "kdf_after" in x],
            "longtasks": [t for x in rows for t in x["longtasks"]]}


def summary(pv):
    cl, se = pv["runs"]["clear"], pv["runs"]["sealed"]
    col = lambda rows, part, k: [x[part][k] for x in rows]  # noqa: E731
    index = lambda rows: [x["indexed"] - x["usable"] for x in rows]  # noqa: E731
    return {
        "kdf": pv["crypto"]["kdf"], "small": unlock_phases(pv["small"]["unlocks"]), "big": unlock_phases(se),
        "load_clear": med([x["usable"] for x in cl]), "ready_clear": med([x["ready"] for x in cl]),
        "painted_clear": med([x["painted"] for x in cl]),
        "open": {name: {"screen": med(col(rows, "open_big", "onScreen")), "dom": med(col(rows, "open_big", "dom")),
                        "all": col(rows, "open_big", "onScreen"),
                        "off": sum(1 for x in rows if x["open_big"]["onScreen"] is None),
                        "newest": med(col(rows, "open_newest", "onScreen")),
                        "newest_dom": med(col(rows, "open_newest", "dom")),
                        "longtasks": [t for x in rows for t in x["open_big"]["longtasks"]]}
                 for name, rows in (("clear", cl), ("sealed", se))},
        "index": {"clear": index(cl), "sealed": index(se)},
        "after_usable_lt": {"clear": [t for x in cl for t in x["longtasksAfter"]],
                            "sealed": [t for x in se for t in x["longtasksAfter"]]},
    }


def rekey_phases(got):
    """From a traced run of setting the passcode (`rekey-trace.js`): when each step began and ended, in
    ms from the click. idb.js rekey derives the key, reads all (getAll), then opens and seals record
    after record, then puts them all in one transaction and waits for it to commit."""
    t, c = got["trace"], got["clickAt"]
    reads = [g for g in t["getAll"] if g[0] >= c and g[1] is not None]
    write = max(t["txs"], key=lambda x: x["puts"])
    derive = next((x for x in t["derive"] if x[0] >= c and x[1] is not None), None)
    read_end = max(g[1] for g in reads) - c
    return {"derive": (derive[0] - c, derive[1] - c) if derive else None,
            "read": (min(g[0] for g in reads) - c, read_end), "records": sum(g[2] for g in reads),
            "seal": (read_end, write["firstPut"] - c), "encrypts": t["cipher"]["encrypt"][0],
            "puts": write["puts"], "put": (write["firstPut"] - c, write["lastPut"] - c),
            "commit": (write["lastPut"] - c, write["complete"] - c), "done": got["set"]}


def lt_text(tasks):
    return f"{len(tasks)}" + (f" (longest {max(t[1] for t in tasks):,.0f} ms)" if tasks else "")


def top_text(top, n=6):
    return ", ".join(f"`{name or '(anonymous)'}` {t:,.1f} ms" for name, t in top[:n])


def storage_rows(pv):
    st = pv.get("storage")
    if not st:
        return [], "not measured in a quick run (each reading waits for the database files to settle)"
    per = lambda x: kb(x / (pv["messages"] / 1000))  # noqa: E731
    clear, sealed = st["clear"], st["sealed"]
    disk = "" if (clear["disk"], sealed["disk"]) == (clear["usage"], sealed["usage"]) else (
        f"; IndexedDB files on disk {clear['disk']:,} → {sealed['disk']:,} bytes")
    return [f"| storage of the {pv['messages']:,} messages, clear → sealed (`navigator.storage.estimate().usage`) | "
            f"{clear['usage']:,} → {sealed['usage']:,} bytes ({sealed['usage'] / clear['usage']:.2f}×) | "
            f"{per(clear['usage'])} → {per(sealed['usage'])} per 1,000 messages, read at the end of the section"
            f"{disk} |"], None


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def list_ms(values):
    return ", ".join(f"{x:,.0f}" for x in values if x is not None)


def privacy_section(pv, cfg):
    """7. Privacy: the passcode lock (issue 14)."""
    if not pv:
        return []
    s = summary(pv)
    n, big_n, sm = pv["messages"], pv["big_messages"], pv["small"]
    L = ["## 7. Privacy: the passcode lock (issue 14)", "",
         f"What the optional passcode costs (PBKDF2-SHA256, {pv['iterations']:,} iterations, → an AES-GCM 256 key; "
         "every IndexedDB record's `data` sealed, a message's plaintext `text` not stored; `src/db/idb.js`, "
         "`docs/lock.md`). One headless Chromium, one run. The same `dist/` is served on three ports (three "
         f"origins, each its own IndexedDB): two get the same {n:,} messages written straight into IndexedDB "
         f"(`bench/probes/seed-sessions.js`, as section 5: {pv['sessions']} sessions of {pv['per_session']} "
         f"messages, one a day, the newest yesterday, and a {big_n:,}-message session older than all of them); one "
         "stays in the clear, the other gets a passcode set through Settings → Passcode, as a person sets it, which "
         "re-encrypts everything (idb.js `rekey`). The third holds a store of a realistic size for unlocking, "
         f"{sm['sessions']} sessions of {sm['per_session']} messages ({sm['messages']:,}), sealed the same way. "
         "The issue sets no targets for these figures, only that they be reported. This section took "
         f"{pv['took_s']:.0f} s; the machine's load average (1 min) was {pv['loadavg'][0]:.1f} at its start and "
         f"{pv['loadavg'][1]:.1f} at its end ({os.cpu_count()} cores; other work on the machine shows up in the "
         "figures).", ""]
    L += table_part(pv, s)
    L += unlock_part(pv, s)
    L += open_part(pv, s)
    L += rekey_part(pv)
    L += storage_part(pv)
    return L


def table_part(pv, s):
    n, big_n, sm, cr, rk = pv["messages"], pv["big_messages"], pv["small"], pv["crypto"], pv["rekey"]
    oc, os_, small_u, big_u = s["open"]["clear"], s["open"]["sealed"], s["small"], s["big"]
    storage, storage_note = storage_rows(pv)
    L = ["| figure | measured | notes |", "|---|---|---|",
         f"| key derivation alone: PBKDF2-SHA256, {pv['iterations']:,} iterations, 16-byte salt → AES-GCM 256 key "
         f"(median, min–max, runs) | **{spread(s['kdf'] + small_u['kdf_after'])}** | WebCrypto in the page, "
         "`importKey` + `deriveKey` as the app calls them (`bench/probes/crypto-cost.js`): "
         f"{len(s['kdf'])} in a row at the start, one after each unlock below |",
         f"| unlock, {sm['messages']:,} messages sealed: click on Unlock → app usable (median, min–max, runs) | "
         f"**{spread(small_u['usable_all'])}** | usable: `.app[data-ready=true]`, composer there, the open session's "
         f"newest message shown; its frame {ms(small_u['painted'])} after the click; long tasks "
         f"{lt_text(small_u['longtasks'])} |",
         f"| unlock, {n:,} messages sealed: click on Unlock → app usable | **{spread(big_u['usable_all'])}** | "
         f"its frame {ms(big_u['painted'])}; long tasks {lt_text(big_u['longtasks'])}; the same store in the "
         f"clear: page load → usable {ms(s['load_clear'])} from navigation start |",
         f"| open the {big_n:,}-message session: click → newest message on screen, clear vs sealed (medians) | "
         f"**{ms(oc['screen'])} vs {ms(os_['screen'])} ({os_['screen'] - oc['screen']:+,.0f} ms)** | in the DOM "
         f"{ms(oc['dom'])} vs {ms(os_['dom'])}; {plural(len(oc['all']), 'open')} of each, loads alternating between "
         f"the two stores; long tasks {lt_text(oc['longtasks'])} vs {lt_text(os_['longtasks'])} |",
         f"| open the newest {pv['per_session']}-message session, clear vs sealed | {ms(oc['newest'])} vs "
         f"{ms(os_['newest'])} | the same loads, right after |",
         f"| search index built after the page is usable, clear vs sealed (medians) | {ms(med(s['index']['clear']))} "
         f"vs {ms(med(s['index']['sealed']))} | every message read ({n:,}); sealed, each one decrypted |",
         f"| setting the passcode: click → “Passcode set”, {n:,} messages re-encrypted | **{ms(rk['set'])}** | "
         f"long tasks {lt_text([(0, t[1]) for t in rk['longtasks']])}; {sm['messages']:,} messages: "
         f"{ms(sm['rekey']['set'])} |"]
    L += storage
    L += [f"| the cipher alone: {cr['records']:,} values of {cr['chars']} characters sealed one after the other / "
          f"opened all at once | {ms1(cr['sealSerial'])} / {ms1(cr['openAll'])} | AES-GCM with WebCrypto as idb.js "
          "uses it: rekey seals one at a time, a read opens a session's records together |", ""]
    if storage_note:
        L += [f"Storage: {storage_note}.", ""]
    return L


def unlock_part(pv, s):
    """Unlocking: the phases, and what dominates."""
    n, sm, small_u, big_u = pv["messages"], pv["small"], s["small"], s["big"]
    kdf = med(small_u["kdf_after"] or s["kdf"])
    L = ["### Unlocking", "",
         "Each time: a page load (the lock screen: navigation start → lock screen in the DOM "
         f"{ms(small_u['lock_shown'])} with {sm['messages']:,} messages, {ms(big_u['lock_shown'])} with {n:,}), "
         "half a second's pause, then the passcode put in the field and Unlock clicked in the page "
         "(`bench/probes/unlock.js`; `lock-probe.js` sees the lock screen leave, `usable-probe.js` the app become "
         "usable). From the click (medians):", "",
         f"| | {sm['messages']:,} messages | {n:,} messages |", "|---|---:|---:|",
         f"| lock screen gone: key derived, check value opened, the private Web Storage values opened | "
         f"{ms(small_u['gone'])} | {ms(big_u['gone'])} |",
         f"| storage read (`data-ready`: waiting memory writes, the outbox) | {ms(small_u['ready'])} | "
         f"{ms(big_u['ready'])} |",
         f"| usable: session list read, the open session's messages read and shown | {ms(small_u['usable'])} | "
         f"{ms(big_u['usable'])} |",
         f"| its frame | {ms(small_u['painted'])} | {ms(big_u['painted'])} |", ""]
    if small_u["kdf_after"]:
        L += [f"The key derivation, timed alone in the same page right after each unlock of the "
              f"{sm['messages']:,}-message store (the same conditions), takes {spread(small_u['kdf_after'])}. "
              "So, from the click: " + "; ".join(
                  f"**{label}**: " + ", ".join(f"{what} {ms(t)} ({100 * t / total:.0f}%)" for what, t in parts)
                  + f" — the largest: {max(parts, key=lambda p: p[1])[0]}"
                  for label, total, parts in unlock_shares(small_u, big_u, kdf, sm["messages"], n))
              + ". The rest before the lock screen leaves is importing the passcode, opening the check value and the "
              "private Web Storage values, and mounting the app in the lock screen's place; the app's start then reads and decrypts the "
              f"session list and the open session's messages (at most {MESSAGE_WINDOW} shown), as on a page load. "
              f"Timed {len(s['kdf'])} times in a row at the start of the section, the key derivation took "
              f"{spread(s['kdf'])}: it moves with the machine's load."]
    if sm.get("profile"):
        L += ["", "CPU profile of one more unlock of the small store, from the click until usable (CDP Profiler, self "
              "time on the page's main thread; the wasm has no names; the key derivation runs outside it): "
              + top_text(sm["profile"]) + "."]
    return L + [""]


def unlock_shares(small_u, big_u, kdf, small_n, big_n):
    """For each store: (label, click → usable, [(step, ms)]) with the key derivation, the rest until the
    lock screen left, and the app's start after that."""
    rows = []
    for u, count in ((small_u, small_n), (big_u, big_n)):
        rest = u["gone"] - kdf
        rows.append((f"{count:,} messages", u["usable"],
                     [("the key derivation", kdf), ("the rest until the lock screen left", rest),
                      ("the app's start after it", u["usable"] - u["gone"])]))
    return rows


def open_part(pv, s):
    """Opening a big session with and without a passcode, and the search index."""
    big_n, cr = pv["big_messages"], pv["crypto"]
    oc, os_ = s["open"]["clear"], s["open"]["sealed"]
    span = lambda v: f"{min(v):,.0f}–{max(v):,.0f} ms" if v else "n/a"  # noqa: E731
    L = [f"### Opening a {big_n:,}-message session, with and without a passcode", "",
         f"{plural(len(oc['all']), 'round')}; in each, the clear store and the sealed store are loaded in turn (which "
         "goes first alternates), the sealed one unlocked; each load waits for its search index to be built (a word "
         f"only in the {big_n:,}-message session's first message, typed into the search box as soon as the page is "
         "usable: that session is the oldest, indexed last), clears the search, then clicks the "
         f"{big_n:,}-message session in the list and then the newest one (`bench/probes/open-session.js`, as in "
         "section 5: click → newest message in the DOM, and on screen: inside the transcript's visible box after "
         f"a frame). The app reads all the session's records and shows the newest {MESSAGE_WINDOW}; sealed, each "
         "record is decrypted on the way (idb.js opens them all at once, `Promise.all`).", "",
         "| | clear | sealed | difference |", "|---|---:|---:|---:|",
         f"| click → newest message in the DOM | {ms(oc['dom'])} | {ms(os_['dom'])} | "
         f"{os_['dom'] - oc['dom']:+,.0f} ms |",
         f"| click → newest message on screen | {ms(oc['screen'])} | {ms(os_['screen'])} | "
         f"**{os_['screen'] - oc['screen']:+,.0f} ms** |",
         f"| each open, on screen (ms) | {list_ms(oc['all'])} | {list_ms(os_['all'])} | |",
         f"| the newest {pv['per_session']}-message session, on screen | {ms(oc['newest'])} | {ms(os_['newest'])} | "
         f"{os_['newest'] - oc['newest']:+,.0f} ms |",
         f"| search index built, after usable (each load, ms) | {list_ms(s['index']['clear'])} | "
         f"{list_ms(s['index']['sealed'])} | {med(s['index']['sealed']) - med(s['index']['clear']):+,.0f} ms "
         "(medians) |",
         f"| long tasks after usable (the index build and what follows) | "
         f"{lt_text(s['after_usable_lt']['clear'])} | {lt_text(s['after_usable_lt']['sealed'])} | |", ""]
    if oc["off"] or os_["off"]:
        L += [f"Opens whose newest message never came on screen (left out of the medians): clear {oc['off']}, "
              f"sealed {os_['off']}.", ""]
    L += [f"For scale: the cipher alone opens {cr['records']:,} records of this size in {ms1(cr['openAll'])} (all at "
          f"once, as the app does); the opens spread over {span([x for x in oc['all'] if x is not None])} (clear) and "
          f"{span([x for x in os_['all'] if x is not None])} (sealed). The search index reads every message; sealed, "
          "each is decrypted and, with no `text` stored beside it, its JSON is parsed for the text "
          "(`src/chat/persist.rs` `load_texts`).", ""]
    prof = pv.get("open_profile")
    if prof:
        L += [f"CPU profile of one more opening of the {big_n:,}-message session on each store (self time): clear: "
              + top_text(prof["clear"]["top"]) + "; sealed: " + top_text(prof["sealed"]["top"]) + ".", ""]
    return L


def rekey_part(pv):
    """Setting the passcode: its time, long tasks and (full runs) where it goes."""
    n, sm, rk, srk, cr = pv["messages"], pv["small"], pv["rekey"], pv["small"]["rekey"], pv["crypto"]
    lts = lambda got: lt_text([(0, t[1]) for t in got["longtasks"]])  # noqa: E731
    L = ["### Setting the passcode", "",
         "Settings → Passcode on the page of the store in the clear, once it had loaded and built its search index; "
         "the passcode typed twice, “Set passcode” clicked in the page (`bench/probes/passcode-job.js`), timed until "
         "the status line said “Passcode set” (a MutationObserver on it). The app derives the new key, reads every "
         "record of the four stores, seals each one after the other (awaiting each), writes them all back with the "
         "vault record in one IndexedDB transaction, then seals the Web Storage values. "
         f"{n:,} messages in {pv['sessions'] + 1} sessions: **{ms(rk['set'])}**; long tasks {lts(rk)}"
         + (" (" + ", ".join(f"{t[1]:,.0f} ms starting {t[0]:,.0f} ms after the click" for t in rk["longtasks"][:6])
            + ")" if rk["longtasks"] else "")
         + f". {sm['messages']:,} messages: {ms(srk['set'])}, long tasks {lts(srk)}."]
    if pv.get("remove"):
        rm, prof = pv["remove"], pv["rekey_profile"]
        ph = rekey_phases(prof)
        span = lambda k: f"{ph[k][0]:,.0f} → {ph[k][1]:,.0f} ms"  # noqa: E731
        L[-1] += (f" Removing it again (the current passcode typed, “Remove passcode”: every record opened and "
                  f"written back in the clear) took {ms(rm['set'])}, long tasks {lts(rm)}.")
        longest = max(prof["longtasks"], key=lambda t: t[1], default=None)
        L += ["", f"Where the time goes: the passcode set once more on the same store, under the CPU profiler and with "
              "the browser calls it makes traced from the page (`bench/probes/rekey-trace.js` wraps `deriveKey`, "
              "`encrypt`, `getAll`, `put` and read-write transactions; the app's code is untouched, the wrappers add "
              f"a little to each call). It took {ms(ph['done'])}. From the click:", "",
              "| step | from → to (ms after the click) | took |", "|---|---:|---:|",
              (f"| new key derived | {span('derive')} | {ms(ph['derive'][1] - ph['derive'][0])} |"
               if ph["derive"] else "| new key derived | not seen | |"),
              f"| every record read (`getAll` on the four stores: {ph['records']:,} records) | {span('read')} | "
              f"{ms(ph['read'][1] - ph['read'][0])} |",
              f"| each record opened and sealed, one after the other | {span('seal')} | "
              f"{ms(ph['seal'][1] - ph['seal'][0])} |",
              f"| written back: {ph['puts']:,} `put` calls in one transaction | {span('put')} | "
              f"{ms(ph['put'][1] - ph['put'][0])} |",
              f"| the transaction committed (the browser writing to disk) | {span('commit')} | "
              f"{ms(ph['commit'][1] - ph['commit'][0])} |",
              f"| “Passcode set” on the status line (after the Web Storage values) | {ph['done']:,.0f} | |", "",
              f"{ph['encrypts']:,} `encrypt` calls in all (the records, the check value, the Web Storage values)."]
        if longest:
            L[-1] += (f" The longest task ran {longest[0]:,.0f} → {longest[0] + longest[1]:,.0f} ms, "
                      f"{ms(longest[1])}: it spans the sealing and the puts — awaiting each `encrypt` did not give "
                      "the page a turn here, so the page cannot respond (no click, key or frame) from the end of "
                      "the reads until every record has been handed to the transaction.")
        L += ["", "Self time on the page's main thread (CDP Profiler; `O.put` and `S.<computed>` are the trace's "
              "wrappers): " + top_text(prof["profile"], 8) + ". Sealing "
              f"{cr['records']:,} values alone, one after the other, takes {ms1(cr['sealSerial'])} (the figures "
              "table)."]
    return L + [""]


def storage_part(pv):
    """What the two stores take, if measured."""
    st = pv.get("storage")
    if not st:
        return []
    n = pv["messages"]
    rec = lambda x: {k: sum(v[k] for v in x["records"].values()) for k in ("records", "data", "text")}  # noqa: E731
    c, se = rec(st["clear"]), rec(st["sealed"])
    return ["### Storage", "",
            "Read at the end of the section, after both stores had been loaded the same number of times, as in "
            "section 5 (once the origin's IndexedDB files had not changed for 3 s, after an empty commit so that "
            f"Chromium counts them): clear {st['clear']['usage']:,} bytes, sealed {st['sealed']['usage']:,} "
            f"({st['sealed']['usage'] - st['clear']['usage']:+,}).", "",
            f"What the records hold, as the page reads them back (`bench/probes/record-bytes.js`; {c['records']:,} "
            f"and {se['records']:,} records): in the clear {c['data']:,} bytes of `data` JSON and {c['text']:,} of "
            f"`text` beside it for search, {kb((c['data'] + c['text']) / (n / 1000))} per 1,000 messages; sealed "
            f"{se['data']:,} bytes of IV, ciphertext and tag and no `text`, {kb(se['data'] / (n / 1000))} per 1,000 "
            "messages. The clear store takes less on disk than its records hold: Chromium compresses what it "
            "writes to IndexedDB, and JSON and prose compress well. Ciphertext does not compress, so a sealed "
            "store takes at least what its records hold"
            + (f"; this one took more ({st['sealed']['usage']:,} bytes against {se['data']:,}): setting the passcode "
               "rewrote every record in one transaction, and the superseded clear records stay in the database's "
               "files until it compacts them, in the background, at a time of its own"
               if st["sealed"]["usage"] > se["data"] * 1.2 else "")
            + " (a store read right after a big write shows megabytes more; "
            "section 5 says more).", ""]
