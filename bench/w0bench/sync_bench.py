"""The sync section (issue 22): the proxy in shared mode on SQLite and on a throwaway PostgreSQL
cluster (scripts/postgres.sh), one person signed in on a laptop and a phone. A new device's
first sync, how soon a change crosses between open devices, "changes since" at scale timed at
the database, and the fault suite (sync_faults)."""

import contextlib
import os
import pathlib
import shutil
import subprocess
import tempfile
import uuid

from harness import GEMINI_KEY, MEM0_KEY, add_user, launch_proxy

from .common import ROOT, log
from .sync_devices import new_device, propagation
from .sync_faults import restart_postgres, sync_faults
from .sync_scale import psql, sync_scale

PASSWORD = "bench-password-1"


def proxy_bin():
    return os.environ.get("PROXY_BIN", str(ROOT / "target" / "debug" / "wellness0-proxy"))


@contextlib.contextmanager
def postgres_cluster():
    """A throwaway cluster: (server URL, its directory), or (None, None) without PostgreSQL."""
    if not list(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        log("sync: PostgreSQL is not installed (scripts/setup.sh installs it): SQLite only")
        yield None, None
        return
    pg_dir = tempfile.mkdtemp(prefix="w0-bench-pg-")
    script = str(ROOT / "scripts" / "postgres.sh")
    try:
        out = subprocess.run(["bash", script, "start", pg_dir], check=True, capture_output=True, text=True,
                             timeout=120).stdout
        yield out.strip().split("=", 1)[1], pg_dir
    finally:
        subprocess.run(["bash", script, "stop", pg_dir], capture_output=True, timeout=60)
        shutil.rmtree(pg_dir, ignore_errors=True)


def new_database(server):
    name = f"w0_bench_{uuid.uuid4().hex[:10]}"
    psql(server, f"CREATE DATABASE {name};")
    return f"{server.rsplit('/', 1)[0]}/{name}"


def deployment(fakes, dist, env):
    """A fresh account store with ann in it, and a function starting a proxy on it."""
    add_user(env, "ann", PASSWORD, binary=proxy_bin())

    def launch():
        return launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                            env=env, dist=dist, binary=proxy_bin())

    return launch


def sync(dist, fakes, cfg):
    out = {"proxy": os.path.relpath(proxy_bin(), ROOT)}
    work = pathlib.Path(tempfile.mkdtemp(prefix="w0-bench-sync-"))
    try:
        with postgres_cluster() as (server, pg_dir):
            def sqlite():
                return deployment(fakes, dist, {"WELLNESS0_DATA_DIR": str(work / uuid.uuid4().hex)})

            def postgres():
                return deployment(fakes, dist, {"WELLNESS0_DATABASE_URL": new_database(server)})

            out["postgres_available"] = server is not None
            for name, make in (("sqlite", sqlite), ("postgres", postgres)):
                # The quick run (CI) has the new device once: the other engine's code path is the same.
                if name == "postgres" and (not server or cfg.quick):
                    continue
                log(f"sync: a new device on {name}")
                launch = make()
                with launch() as proxy:
                    out.setdefault("new_device", {})[name] = new_device(proxy.url, fakes, cfg, PASSWORD)
            log("sync: propagation through one proxy on SQLite")
            with sqlite()() as proxy:
                out["propagation"] = {"sqlite": propagation(proxy.url, proxy.url, fakes, cfg, PASSWORD)}
            if server:
                log("sync: propagation through two proxies on one PostgreSQL")
                launch = postgres()
                with launch() as one, launch() as two:
                    out["propagation"]["postgres_two"] = propagation(one.url, two.url, fakes, cfg, PASSWORD)
            deployments = {"sqlite": (sqlite(), None, False)}
            if server:
                deployments["postgres"] = (postgres(), lambda: restart_postgres(pg_dir), True)
            out["faults"] = sync_faults(deployments, cfg)
            out["scale"] = sync_scale(cfg, work, new_database(server) if server else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
