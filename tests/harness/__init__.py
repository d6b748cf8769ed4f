"""The one test harness of wellness0, shared by the end-to-end tests (tests/e2e), the SDK fidelity
tests (tests/fidelity) and the bench (bench/).

- `binaries`  where the `fakes` / `wellness0-proxy` binaries and `dist/` are (building what is missing)
- `process`   a child server that announces `NAME listening on URL`: started, awaited, stopped
- `fakes`     the fake Gemini / mem0 / self-hosted mem0 servers and their control API (`/_fake/...`)
- `proxy`     the `wellness0-proxy` binary in front of the fakes; adding a person, signing in
- `static`    a static file server for `dist/`, at `/` or under a URL prefix
- `net`       JSON over HTTP, and waiting for a condition with a deadline
- `browser`   headless Chromium over WebDriver, with the flags this machine needs
- `page`      `ChatPage`: what a person does with the app, in their words

Import it with `tests/` on `sys.path` (the e2e conftest and bench/bench.py put it there).
"""

from .binaries import ROOT, dist_dir, fakes_binary, proxy_binary
from .browser import new_driver, open_driver, quit_driver
from .fakes import GEMINI_KEY, MEM0_KEY, Fakes, launch_fakes
from .net import HttpError, http_json, wait_until
from .page import ChatPage
from .process import LaunchError, Launched
from .proxy import add_user, launch_proxy, sign_in
from .static import StaticSite

__all__ = [
    "ROOT", "dist_dir", "fakes_binary", "proxy_binary",
    "new_driver", "open_driver", "quit_driver",
    "GEMINI_KEY", "MEM0_KEY", "Fakes", "launch_fakes",
    "HttpError", "http_json", "wait_until",
    "ChatPage",
    "LaunchError", "Launched",
    "add_user", "launch_proxy", "sign_in",
    "StaticSite",
]
