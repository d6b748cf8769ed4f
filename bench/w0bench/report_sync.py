"""The sync section of the report, and its verdicts against issue 22's goals."""

from .common import ms


def sync_verdicts(res):
    """(name, target, measured, ok) for each goal measured."""
    out = []
    for name, nd in (res.get("new_device") or {}).items():
        out.append((f"new device, {nd['messages']:,} messages ({name}): time", "≤ 20 s", f"{nd['took_s']:.1f} s",
                    nd["took_s"] <= 20))
        out.append((f"new device ({name}): bytes / plaintext", "≤ 1.3×", f"{nd['ratio']:.2f}×", nd["ratio"] <= 1.3))
    prop = (res.get("propagation") or {})
    live = prop.get("postgres_two") or prop.get("sqlite")
    if live:
        where = "2 instances on PostgreSQL" if "postgres_two" in prop else "1 instance on SQLite"
        out.append((f"propagation p95 ({where})", "≤ 2 s", ms(live["p95_ms"]), live["p95_ms"] <= 2000))
    scale = res.get("scale") or {}
    for engine in ("sqlite", "postgres"):
        if engine in scale:
            s = scale[engine]
            out.append((f"changes since, {scale['accounts']:,} accounts × {scale['per_account']:,} ({engine}): p95",
                        "≤ 20 ms", f"{s['p95_ms']:.2f} ms", s["p95_ms"] <= 20))
    for engine, faults in (res.get("faults") or {}).items():
        for case, r in faults.items():
            bad = r["lost"] + r["duplicated"] + r.get("partial", 0)
            out.append((f"faults: {case} ({engine})", "0 lost, 0 duplicated, 0 half-stored",
                        f"{r['lost']} lost, {r['duplicated']} duplicated, {r.get('partial', 0)} half-stored", bad == 0))
    return out


def sync_section(res, cfg):
    if not res:
        return []
    L = ["## Sync between devices (issue 22)", ""]
    L.append(f"The proxy in shared mode (`{res.get('proxy', 'target/debug/wellness0-proxy')}`) on SQLite and on a "
             "throwaway PostgreSQL cluster, one person on a laptop and a phone (headless Chromium), records "
             "end-to-end encrypted on the device. On loopback." + ("" if res.get("postgres_available") else
                                                                   " PostgreSQL was not installed: SQLite only."))
    L += ["", "| goal | target | measured | |", "|---|---|---|---|"]
    for name, target, measured, ok in sync_verdicts(res):
        L.append(f"| {name} | {target} | {measured} | {'PASS' if ok else 'FAIL'} |")
    L.append("")
    for name, nd in (res.get("new_device") or {}).items():
        L.append(f"- **A new device ({name}).** The laptop held {nd['sessions']} sessions × "
                 f"{nd['messages'] // max(nd['sessions'], 1)} messages ({nd['plaintext_bytes']:,} bytes of JSON in "
                 f"its database) and sent them in {nd['upload_s']:.1f} s after a start. The phone, signing in, "
                 f"had every message {nd['took_s']:.1f} s after the sign-in was sent, receiving "
                 f"{nd['wire_bytes']:,} bytes in {nd['answers']} answers of the changes API "
                 f"({nd['ratio']:.2f}× the plaintext).")
    for name, p in (res.get("propagation") or {}).items():
        where = "two proxies on one PostgreSQL (laptop on one, phone on the other)" if name == "postgres_two" \
            else "one proxy on SQLite"
        L.append(f"- **Propagation, {where}.** From the phone's send to the words on the laptop's screen, "
                 f"{p['samples']} messages: p50 {ms(p['p50_ms'])}, p95 {ms(p['p95_ms'])}, max {ms(p['max_ms'])}.")
    scale = res.get("scale") or {}
    for engine in ("sqlite", "postgres"):
        if engine in scale:
            s = scale[engine]
            size = s.get("file_bytes") or s.get("table_bytes")
            L.append(f"- **Changes since N, {engine}.** {scale['accounts']:,} accounts × {scale['per_account']:,} "
                     f"records ({size / 2**20:,.0f} MiB, seeded in {s['seeded_s']:.0f} s); {s['queries']} reads "
                     f"(the latest number, then a page of up to 500): p50 {s['p50_ms']:.2f} ms, p95 "
                     f"{s['p95_ms']:.2f} ms, max {s['max_ms']:.2f} ms; a first page (since 0) p95 "
                     f"{s['first_page_p95_ms']:.2f} ms, one change behind p95 {s['one_behind_p95_ms']:.2f} ms.")
    for engine, faults in (res.get("faults") or {}).items():
        k = faults["killed"]
        L.append(f"- **Faults, {engine}.** The proxy killed (SIGKILL) at a random moment of a push of "
                 f"{300} records, {k['rounds']} times ({k['cut']} of the pushes cut before their answer): "
                 f"{k['partial']} half-stored; after sending again, {k['stored']:,} of {k['sent']:,} stored, "
                 f"{k['lost']} lost, {k['duplicated']} duplicated.")
        if "restarted" in faults:
            r = faults["restarted"]
            L.append(f"  The database restarted under {r['batches']} pushes: {r['failed_tries']} tries failed "
                     f"and were sent again; {r['lost']} lost, {r['duplicated']} duplicated.")
        if "switching" in faults:
            s = faults["switching"]
            L.append(f"  A device pushing and pulling through two instances in turn, each batch sent again "
                     f"through the other ({s['replays_ignored']:,} replays ignored): {s['lost']} lost, "
                     f"{s['duplicated']} duplicated; another device reading through one instance: "
                     f"{s['other_device']['lost']} lost, {s['other_device']['duplicated']} duplicated.")
    L.append("")
    return L
