"""Sync under faults: the proxy killed (SIGKILL) while pushes are in flight, the database
restarted under a stream of pushes, and a device switching between two instances on one
PostgreSQL at every call. A device keeps what it sent until the push is answered (as the app
does), so after each fault it sends again; the counts at the end must show nothing lost and
nothing stored twice, and no push half stored."""

import random
import subprocess
import threading
import time

from .common import ROOT, log
from .sync_client import Refused, SyncClient, records

BATCH = 300
RECORD_BYTES = 1024


def now_ms():
    return int(time.time() * 1000)


def audit(client, expected_keys, prefix):
    """What the server holds of one case (keys starting with `prefix`) against what was sent:
    lost, duplicated (a key or a sequence number twice in the changes), unexpected."""
    stored, _ = client.changes_all()
    stored = [r for r in stored if r["key"].startswith(prefix)]
    keys = [r["key"] for r in stored]
    seqs = [r["seq"] for r in stored]
    return {"sent": len(expected_keys), "stored": len(set(keys)), "lost": len(expected_keys - set(keys)),
            "duplicated": len(keys) - len(set(keys)) + len(seqs) - len(set(seqs)),
            "unexpected": len(set(keys) - expected_keys)}


def send_until_answered(client, batch, deadline_s=60):
    """Pushes `batch` until the server answers it (the app's outbox does the same); returns the
    number of failed tries."""
    failures, deadline = 0, time.monotonic() + deadline_s
    while True:
        try:
            client.push(batch)
            return failures
        except (OSError, Refused) as e:
            if isinstance(e, Refused) and e.status < 500:
                raise
            failures += 1
            if time.monotonic() > deadline:
                raise RuntimeError(f"a push was not answered within {deadline_s} s: {e}") from e
            time.sleep(0.2)


def killed_mid_push(launch, rounds):
    """`launch()` starts a proxy on the deployment's database; it is killed at a random moment
    of a push, `rounds` times."""
    proxy = launch()
    client = SyncClient(proxy.url, "ann", "bench-password-1")
    sent, cut, partial = set(), 0, 0
    try:
        for n in range(rounds):
            batch = records(f"kill{n}", BATCH, RECORD_BYTES, now_ms())
            sent |= {r["key"] for r in batch}
            outcome = {}

            def push():
                try:
                    client.push(batch)
                    outcome["answered"] = True
                except (OSError, Refused):
                    outcome["answered"] = False

            pusher = threading.Thread(target=push)
            pusher.start()
            time.sleep(random.uniform(0, 0.25))
            proxy.proc.kill()
            pusher.join()
            proxy.stop()
            cut += not outcome.get("answered")
            proxy = launch()
            client.base = proxy.url
            held, _ = client.changes_all()
            of_batch = sum(r["key"].startswith(f"kill{n}-") for r in held)
            partial += 0 < of_batch < BATCH
            send_until_answered(client, batch)
        return dict(audit(client, sent, "kill"), rounds=rounds, cut=cut, partial=partial)
    finally:
        proxy.stop()


def database_restarted(launch, restart, batches):
    """Pushes `batches` batches one after another while the database restarts once."""
    proxy = launch()
    client = SyncClient(proxy.url, "ann", "bench-password-1")
    sent, failures, restarted = set(), 0, threading.Event()
    try:
        for n in range(batches):
            if n == batches // 3:
                threading.Thread(target=lambda: (restart(), restarted.set())).start()
            batch = records(f"restart{n}", 100, RECORD_BYTES, now_ms())
            sent |= {r["key"] for r in batch}
            failures += send_until_answered(client, batch)
        restarted.wait(120)
        return dict(audit(client, sent, "restart"), batches=batches, failed_tries=failures)
    finally:
        proxy.stop()


def switching_instances(launch, batches):
    """Two instances; one device pushes and pulls through each in turn, another reads through
    the second only; each batch is also sent again to the other instance (a replay)."""
    one, two = launch(), launch()
    try:
        device = SyncClient(one.url, "ann", "bench-password-1")
        other = SyncClient(two.url, "ann", "bench-password-1")
        sent, pulled, since, ignored = set(), {}, 0, 0
        for n in range(batches):
            batch = records(f"switch{n}", 100, RECORD_BYTES, now_ms())
            sent |= {r["key"] for r in batch}
            device.base = (one, two)[n % 2].url
            device.push(batch)
            device.base = (two, one)[n % 2].url
            ignored += device.push(batch)["ignored"]
            got, since = device.changes_all(since)
            pulled.update((r["key"], r["seq"]) for r in got)
        mine, theirs = audit(device, sent, "switch"), audit(other, sent, "switch")
        return dict(mine, batches=batches, replays_ignored=ignored, pulled_in_turn=len(pulled),
                    other_device=theirs)
    finally:
        one.stop()
        two.stop()


def restart_postgres(pg_dir):
    subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "restart", pg_dir], check=True,
                   capture_output=True, timeout=120)


def sync_faults(deployments, cfg):
    """`deployments`: {name: (launch, restart or None, two_instances)}."""
    out = {}
    for name, (launch, restart, several) in deployments.items():
        log(f"sync faults on {name}: the proxy killed mid-push")
        res = {"killed": killed_mid_push(launch, cfg.sync_kill_rounds)}
        if restart:
            log(f"sync faults on {name}: the database restarted")
            res["restarted"] = database_restarted(launch, restart, cfg.sync_restart_batches)
        if several:
            log(f"sync faults on {name}: a device switching between two instances")
            res["switching"] = switching_instances(launch, cfg.sync_switch_batches)
        out[name] = res
    return out
