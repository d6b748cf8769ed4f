""""Changes since N" at scale, timed at the database: the proxy's own two queries
(proxy/src/accounts/sync.rs `changes`: the account's latest sequence number, then a page of its
records after N) over a store of `accounts` × `per_account` records, on SQLite (in process, as
the proxy's embedded engine) and on PostgreSQL (EXPLAIN ANALYZE: planning and execution time in
the server). The schema is the proxy's migrations; records are 96 random bytes (their size does
not change which index pages the query reads)."""

import json
import pathlib
import random
import sqlite3
import subprocess
import time

from .common import ROOT, log, pct

MIGRATIONS = ROOT / "proxy" / "migrations"
LATEST = "SELECT sync_seq FROM accounts WHERE id = {a}"
PAGE = ("SELECT record_key, clock, data, seq FROM sync_records WHERE account_id = {a} AND seq > {since} "
        "AND seq <= {latest} ORDER BY seq LIMIT 501")


def cases(accounts, per_account, queries, seed=7):
    """(account, since) pairs: half a new device reading its first page (since 0), half a device
    one change behind (since latest - 1)."""
    rng = random.Random(seed)
    return [(rng.randint(1, accounts), 0 if i % 2 == 0 else per_account - 1) for i in range(queries)]


def summary(times_ms, since_zero):
    new = [t for t, z in zip(times_ms, since_zero) if z]
    live = [t for t, z in zip(times_ms, since_zero) if not z]
    return {"p50_ms": pct(times_ms, 50), "p95_ms": pct(times_ms, 95), "max_ms": max(times_ms),
            "first_page_p95_ms": pct(new, 95), "one_behind_p95_ms": pct(live, 95), "queries": len(times_ms)}


def sqlite_scale(path, accounts, per_account, queries):
    db = sqlite3.connect(path)
    for f in sorted((MIGRATIONS / "sqlite").glob("*.sql")):
        db.executescript(f.read_text())
    db.executescript("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")
    started = time.monotonic()
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO accounts (id, name, name_key, user_id, created_at, sessions_valid_after, sync_seq) "
        "SELECT i, 'p' || i, 'p' || i, 'w0-p' || i, 0, 0, ? FROM n", (accounts, per_account))
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO sync_records (account_id, record_key, clock, data, size, seq) "
        "SELECT a.id, 'k' || n.i, printf('%016d-%06d-bench', 1765000000000 + n.i, 0), randomblob(96), 96, n.i "
        "FROM accounts a, n ORDER BY a.id, n.i", (per_account,))
    db.commit()
    db.execute("ANALYZE")
    seeded_s = time.monotonic() - started
    times, zero = [], []
    for account, since in cases(accounts, per_account, queries):
        t = time.perf_counter()
        latest = db.execute(LATEST.format(a=account)).fetchone()[0]
        rows = db.execute(PAGE.format(a=account, since=since, latest=latest)).fetchall()
        times.append((time.perf_counter() - t) * 1000)
        zero.append(since == 0)
        assert rows, (account, since)
    db.close()
    return dict(summary(times, zero), seeded_s=seeded_s, file_bytes=path.stat().st_size)


def psql(url, sql, timeout=3600):
    bin_dir = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    return subprocess.run([str(bin_dir / "psql"), url, "-qAt", "-v", "ON_ERROR_STOP=1"], input=sql, text=True,
                          check=True, capture_output=True, timeout=timeout).stdout


def postgres_scale(url, accounts, per_account, queries):
    for f in sorted((MIGRATIONS / "postgres").glob("*.sql")):
        psql(url, f.read_text())
    started = time.monotonic()
    psql(url, f"""
        INSERT INTO accounts (id, name, name_key, user_id, created_at, sessions_valid_after, sync_seq)
        OVERRIDING SYSTEM VALUE
        SELECT i, 'p' || i, 'p' || i, 'w0-p' || i, 0, 0, {per_account} FROM generate_series(1, {accounts}) i;
        INSERT INTO sync_records (account_id, record_key, clock, data, size, seq)
        SELECT a, 'k' || i, lpad((1765000000000 + i)::text, 16, '0') || '-000000-bench',
               decode(md5(a || ':' || i) || md5(i || ':' || a) || md5(a || '-' || i) || md5(i || '-' || a)
                      || md5(a || '.' || i) || md5(i || '.' || a), 'hex'), 96, i
        FROM generate_series(1, {accounts}) a, generate_series(1, {per_account}) i ORDER BY a, i;
        VACUUM ANALYZE;
    """)
    seeded_s = time.monotonic() - started
    script, order = [], cases(accounts, per_account, queries)
    for account, since in order:
        script.append(f"EXPLAIN (ANALYZE, FORMAT JSON) {LATEST.format(a=account)};")
        # The latest number is `per_account` for every account here (the first query's answer).
        script.append(f"EXPLAIN (ANALYZE, FORMAT JSON) {PAGE.format(a=account, since=since, latest=per_account)};")
    out = psql(url, "\n".join(script))
    plans, decoder, at = [], json.JSONDecoder(), 0
    while rest := out[at:].lstrip():  # one JSON plan per statement, one after another
        plan, at = decoder.raw_decode(out, len(out) - len(rest))
        plans.append(plan)
    spent = [p[0]["Planning Time"] + p[0]["Execution Time"] for p in plans]
    times = [spent[i] + spent[i + 1] for i in range(0, len(spent), 2)]
    size = psql(url, "SELECT pg_total_relation_size('sync_records');").strip()
    return dict(summary(times, [s == 0 for _, s in order]), seeded_s=seeded_s, table_bytes=int(size))


def sync_scale(cfg, work_dir, pg_url):
    a, r, q = cfg.sync_scale_accounts, cfg.sync_scale_records, cfg.sync_scale_queries
    out = {"accounts": a, "per_account": r}
    log(f"sync scale: SQLite, {a:,} accounts x {r:,} records")
    out["sqlite"] = sqlite_scale(work_dir / "scale.db", a, r, q)
    (work_dir / "scale.db").unlink()
    if pg_url:
        log(f"sync scale: PostgreSQL, {a:,} accounts x {r:,} records")
        out["postgres"] = postgres_scale(pg_url, a, r, q)
    return out
