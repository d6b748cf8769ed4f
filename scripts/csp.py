#!/usr/bin/env python3
"""The static build's Content-Security-Policy and security headers, written at build time.

Trunk runs this as a post_build hook (Trunk.toml) on its staging directory ($TRUNK_STAGING_DIR),
or run it by hand on a built site: `python3 scripts/csp.py dist`. It

- hashes every inline <script> of index.html (Trunk's start-up module) with SHA-256,
- puts the policy in a <meta http-equiv="Content-Security-Policy"> as the first element of
  <head>, before anything it governs (a <meta> policy applies only to what comes after it),
- writes `_headers` (the Netlify / Cloudflare Pages format) with the whole header set: the same
  policy plus what only a header can carry (frame-ancestors), and the other security headers.

Why each directive: docs/security.md. The proxy builds its own header from the same rules, with
`connect-src 'self'` (behind it the page talks only to its own /api/).
"""

import base64
import hashlib
import os
import pathlib
import re
import sys

# A static page cannot know which Gemini and mem0 servers the person will set in Settings: any
# https origin, and plain http only to this computer (as Settings allows). See docs/security.md.
CONNECT_SRC = "'self' https: http://localhost:* http://127.0.0.1:*"

PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
                      "gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), "
                      "publickey-credentials-get=(), serial=(), usb=(), xr-spatial-tracking=()")

META_MARK = 'http-equiv="Content-Security-Policy"'
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
HEAD = re.compile(r"<head\b[^>]*>", re.I)
# What the policy would block in the page itself: say so at build time, not in a browser console.
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


class BuildError(Exception):
    pass


def inline_script_hashes(html):
    """`'sha256-…'` sources for each inline <script> (one without `src`), in page order. The
    browser hashes the script's text after the parser turned CR LF into LF."""
    hashes = []
    for attrs, body in SCRIPT.findall(html):
        if re.search(r"(^|\s)src\s*=", attrs, re.I):
            continue
        text = body.replace("\r\n", "\n").replace("\r", "\n")
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    return hashes


def meta_policy(script_hashes):
    """The policy a <meta> can carry (no frame-ancestors, report-uri or sandbox there)."""
    script_src = " ".join(["'self'", "'wasm-unsafe-eval'", *script_hashes])
    return "; ".join([
        "default-src 'none'",
        f"script-src {script_src}",
        "style-src 'self'",
        "img-src 'self'",
        f"connect-src {CONNECT_SRC}",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])


def header_policy(script_hashes):
    """The policy as a header: the meta's, and no page may frame this one."""
    return meta_policy(script_hashes) + "; frame-ancestors 'none'"


def headers_file(script_hashes):
    """`_headers` for Netlify and Cloudflare Pages: every path gets the whole set."""
    headers = [
        ("Content-Security-Policy", header_policy(script_hashes)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    lines = ["# Written by scripts/csp.py at build time (docs/security.md). Hosts that read a _headers",
             "# file (Netlify, Cloudflare Pages) send these with every file of the site.", "/*"]
    lines += [f"  {name}: {value}" for name, value in headers]
    return "\n".join(lines) + "\n"


def with_meta(html, policy):
    """`html` with the policy's <meta> as the first element of <head> (an earlier one replaced)."""
    html = re.sub(r"<meta\s+" + re.escape(META_MARK) + r"[^>]*>\s*", "", html, flags=re.I)
    head = HEAD.search(html)
    if not head:
        raise BuildError("index.html has no <head>")
    meta = f'<meta {META_MARK} content="{policy}">'
    return html[:head.end()] + meta + html[head.end():]


def check_page(html):
    """Refuses a page the policy would break: inline styles and inline event handlers."""
    for pattern, what in ((INLINE_STYLE, "an inline style"), (INLINE_HANDLER, "an inline event handler")):
        found = pattern.search(html)
        if found:
            raise BuildError(f"index.html has {what} ({found.group(0)!r}), which the CSP blocks")


def apply(site):
    index = site / "index.html"
    html = index.read_text(encoding="utf-8")
    check_page(html)
    hashes = inline_script_hashes(html)
    # Written aside and renamed: other post_build hooks may read the page at the same time.
    staged = index.with_name(".index.html.csp")
    staged.write_text(with_meta(html, meta_policy(hashes)), encoding="utf-8")
    staged.replace(index)
    (site / "_headers").write_text(headers_file(hashes), encoding="utf-8")
    return hashes


def main(argv):
    site = pathlib.Path(argv[1] if len(argv) > 1 else os.environ.get("TRUNK_STAGING_DIR", ""))
    if not str(site) or not (site / "index.html").is_file():
        print("usage: csp.py SITE_DIR (or run by Trunk with TRUNK_STAGING_DIR set)", file=sys.stderr)
        return 2
    try:
        hashes = apply(site)
    except BuildError as e:
        print(f"csp.py: {e}", file=sys.stderr)
        return 1
    print(f"csp.py: policy with {len(hashes)} inline script hash(es) in {site / 'index.html'} and {site / '_headers'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
