"""The fake servers (`fakes/`): starting them on free loopback ports, and their control API.

Every fake answers `/_fake/reset`, `/_fake/script`, `/_fake/requests` and `/_fake/down`. The
binary starts one fake per `--NAME-port` flag and prints `NAME listening on http://HOST:PORT` for
each; `launch_fakes` asks for the ones wanted and waits for exactly those banners.
"""

from .binaries import fakes_binary
from .net import http_json
from .process import Launched

GEMINI_KEY = "test-gemini-key"
MEM0_KEY = "test-mem0-key"
# The fakes the binary knows, by banner name (the flag is `--NAME-port`).
SERVICES = ("gemini", "mem0", "selfhosted")


class Fakes:
    """Control handle of running fakes: `urls` maps a fake's name to its base URL."""

    def __init__(self, urls):
        self.urls = dict(urls)

    def url(self, server):
        if server not in self.urls:
            raise KeyError(f"the {server} fake was not started (started: {sorted(self.urls)})")
        return self.urls[server]

    @property
    def gemini_url(self):
        return self.url("gemini")

    @property
    def mem0_url(self):
        return self.url("mem0")

    @property
    def selfhosted_url(self):
        return self.url("selfhosted")

    def control(self, server, method, path, body=None):
        """Calls one of a fake's `/_fake/...` routes."""
        return http_json(method, f"{self.url(server)}/_fake/{path}", body)

    def reset(self):
        """Forgets every request, script, stored memory and outage, on every running fake."""
        for server in self.urls:
            self.control(server, "POST", "reset")

    def script(self, *steps, server="gemini"):
        """Queues behaviours for the next matching calls (Gemini: generate/stream calls)."""
        self.control(server, "POST", "script", list(steps))

    def mem0_script(self, *steps, server="mem0"):
        self.script(*steps, server=server)

    def down(self, down, server):
        """Makes a fake answer 503 to everything but its control API (or stops doing so)."""
        self.control(server, "POST", "down", {"down": down})

    def mem0_down(self, down, server="mem0"):
        self.down(down, server)

    def requests(self, server="gemini"):
        """Every request the fake received, oldest first (method, path, query, headers, body, ts_ms, status)."""
        return self.control(server, "GET", "requests")

    def stream_requests(self):
        return [r for r in self.requests("gemini") if ":streamGenerateContent" in r["path"]]

    def mem0_calls(self, method, path, server="mem0"):
        return [r for r in self.requests(server) if r["method"] == method and r["path"] == path]


def launch_fakes(*args, services=("gemini", "mem0"), binary=None, timeout=30):
    """Starts the fakes named in `services` on free ports, with extra CLI `args` (e.g. "--chunk-ms", 40).

    Returns `(launched, fakes)`: the process (`Launched`; stop it, or use it as a context manager)
    and the control handle. Raises `LaunchError` (after killing it) when a banner does not come.
    """
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown fakes {sorted(unknown)}; known: {SERVICES}")
    argv = [binary or fakes_binary(), "--gemini-key", GEMINI_KEY, "--mem0-key", MEM0_KEY]
    for name in services:
        argv += [f"--{name}-port", "0"]
    launched = Launched([*argv, *args], services, timeout=timeout)
    return launched, Fakes(launched.urls)
