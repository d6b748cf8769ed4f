"""JSON over HTTP (standard library only), and waiting for a condition with a deadline."""

import json
import time
import urllib.error
import urllib.request


class HttpError(RuntimeError):
    """A non-2xx answer, with its status and body."""

    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url} -> {status}: {body[:500]}")
        self.status, self.body = status, body


def http_json(method, url, body=None, headers=None, timeout=30):
    """Sends `body` as JSON (if given) and returns the decoded JSON answer (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode()
    except urllib.error.HTTPError as e:
        raise HttpError(method, url, e.code, e.read().decode(errors="replace")) from None
    return json.loads(text) if text else None


def wait_until(condition, timeout=15, message="condition", interval=0.05):
    """Calls `condition` until it returns something truthy, and returns that.

    Raises `TimeoutError` naming `message` when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
