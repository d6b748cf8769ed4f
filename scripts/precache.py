#!/usr/bin/env python3
"""Trunk post_build hook (Trunk.toml): writes the service worker into the build.

Reads static/sw.js, fills in the list of the build's files to keep offline (PRECACHE, paths
relative to the app's directory) and a VERSION that changes whenever one of them, or the source
index.html, does; writes the result to $TRUNK_STAGING_DIR/sw.js. Standard library only: it runs
wherever `trunk build` runs (scripts/build-site.sh, which run.sh, test.sh and bench/run.sh call).

Left out of the list: sw.js itself, dotfiles, names starting with `_` (host configuration such
as `_headers`, which hosts do not serve), precompressed `.br`/`.gz` copies and source maps.
The built index.html is listed (the page offline) but not hashed into VERSION: other post_build
hooks may still be rewriting it while this one runs, and every file it names is hashed anyway.
"""

import hashlib
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "static" / "sw.js"
SKIPPED_SUFFIXES = (".br", ".gz", ".map")
VERSION_LINE = 'const VERSION = "dev";'
PRECACHE_LINE = "const PRECACHE = [];"


def listed(path):
    """Whether a file (path relative to the build, POSIX) is one the app needs offline."""
    parts = path.split("/")
    return (path != "sw.js" and not any(p.startswith((".", "_")) for p in parts)
            and not path.endswith(SKIPPED_SUFFIXES))


def build_files(staging):
    found = (p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    return sorted(p for p in found if listed(p))


def version_of(staging, files, source_html):
    digest = hashlib.sha256()
    for path in files:
        if path != "index.html":
            digest.update(f"{path}\0{hashlib.sha256((staging / path).read_bytes()).hexdigest()}\n".encode())
    digest.update(b"source index.html\0" + source_html.read_bytes())
    return digest.hexdigest()[:16]


def service_worker(template, files, version):
    for line in (VERSION_LINE, PRECACHE_LINE):
        if template.count(line) != 1:
            raise SystemExit(f"precache: {TEMPLATE} must hold the line {line!r} exactly once")
    return (template.replace(VERSION_LINE, f"const VERSION = {json.dumps(version)};")
            .replace(PRECACHE_LINE, f"const PRECACHE = {json.dumps(files, indent=2)};"))


def main():
    staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR") or sys.exit("precache: TRUNK_STAGING_DIR is not set"))
    source_html = pathlib.Path(os.environ.get("TRUNK_HTML_FILE") or ROOT / "index.html")
    if not source_html.is_absolute():
        source_html = ROOT / source_html
    files = build_files(staging)
    if "index.html" not in files:
        raise SystemExit(f"precache: no index.html in {staging}")
    version = version_of(staging, files, source_html)
    (staging / "sw.js").write_text(service_worker(TEMPLATE.read_text(), files, version))
    print(f"precache: sw.js version {version}, {len(files)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
