"""Section 1: release bundle sizes (raw / gzip -9 / brotli), the first-load budget, and what the
wasm is made of (twiggy on the module before wasm-opt, which still has names)."""

import csv
import datetime
import gzip
import io
import pathlib
import re
import shutil
import subprocess

import brotli

from .common import BUDGET_BYTES, ROOT, WASM_NAMED


# What a first visit downloads: the page, its styles, scripts and wasm, the favicon and manifest,
# and, once the service worker installs, its copy of every file it keeps (the icons too). Only
# `_headers` stays on the server (the host reads it; it is never sent).
NOT_SENT = ("_headers",)


def bundle(dist):
    files = []
    for f in sorted(p for p in dist.rglob("*") if p.is_file()):
        raw = f.read_bytes()
        files.append({"file": str(f.relative_to(dist)), "raw": len(raw),
                      "gzip": len(gzip.compress(raw, 9, mtime=0)),
                      "brotli": len(brotli.compress(raw, quality=11)), "first_load": f.name not in NOT_SENT})
    total = {k: sum(f[k] for f in files if f["first_load"]) for k in ("raw", "gzip", "brotli")}
    result = {"files": files, "total": total, "budget": BUDGET_BYTES, "pass": total["gzip"] <= BUDGET_BYTES}
    # Which toolchain built the wasm (scripts/build-site.sh records it): nightly rebuilds std for size.
    record = ROOT / "target" / "wellness0-site.toolchain"
    result["toolchain"] = record.read_text().strip() if record.exists() else "unknown"

    twiggy = shutil.which("twiggy") or str(pathlib.Path.home() / ".cargo" / "bin" / "twiggy")
    if WASM_NAMED.exists():
        if not pathlib.Path(twiggy).exists():
            raise FileNotFoundError("twiggy is not installed: bash scripts/setup.sh")
        top = subprocess.run([twiggy, "top", "-n", "25", str(WASM_NAMED)], capture_output=True, text=True, check=True)
        result["twiggy_top"] = top.stdout.rstrip()
        out = subprocess.run([twiggy, "top", "-n", "1000000", "-f", "csv", str(WASM_NAMED)],
                             capture_output=True, text=True, check=True).stdout
        result["crates"], result["named_total"] = crate_sizes(out)
        result["named_size"] = WASM_NAMED.stat().st_size
        result["named_mtime"] = datetime.datetime.fromtimestamp(WASM_NAMED.stat().st_mtime).isoformat(timespec="seconds")
    return result


def crate_of(name):
    """The crate of a twiggy item: the first `ident::` path segment (inside `<...>` too)."""
    if name.startswith("custom section"):
        return "[custom section " + name.split("'")[1] + "]" if "'" in name else "[custom section]"
    if "subsection" in name:
        return "[custom section name: " + name.replace('"', "").replace(" subsection", "") + "]"
    if name.startswith("data segment") or name.startswith("data["):
        return "[data segments]"
    if "__wbindgen_describe" in name:
        return "[wasm-bindgen descriptors, removed by wasm-bindgen]"
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)  # crate disambiguators: core[c5930c85a12de822]::fmt
    i = name.find("::")
    while i != -1:
        m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)$", name[:i])
        if m:
            return m.group(1)
        i = name.find("::", i + 2)
    return "[other: tables, types, imports, exports, headers, unnamed]"


def crate_sizes(csv_text):
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    sizes, total = {}, 0
    for r in rows:
        name = r["Name"]
        if name.startswith("Σ") or name.startswith("..."):
            continue
        n = int(r["ShallowSize"])
        total += n
        c = crate_of(name)
        sizes[c] = sizes.get(c, 0) + n
    return sorted(sizes.items(), key=lambda kv: -kv[1]), total
