"""A static file server for the built site, at `/` or under a URL prefix such as `/apps/wellness0/`.

Under a prefix, only paths below it are served (anything else is a 404) and the prefix without
its trailing slash redirects to it, as a web server hosting the site in a sub-folder would.
"""

import http.server
import threading
import urllib.parse
from http import HTTPStatus


def _handler_for(directory, prefix):
    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                          ".webmanifest": "application/manifest+json"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def _site_path(self):
            """The request path below the prefix (starting with `/`), or None when outside it."""
            path = urllib.parse.urlsplit(self.path).path
            if path == prefix.rstrip("/"):
                return "/"
            return "/" + path[len(prefix):] if path.startswith(prefix) else None

        def translate_path(self, path):
            return super().translate_path(self._site_path() or "/")

        def send_head(self):
            if self._site_path() is None:
                self.send_error(HTTPStatus.NOT_FOUND, f"outside {prefix}")
                return None
            return super().send_head()

        def log_message(self, *args):
            pass

    return Handler


class StaticSite:
    """Serves `directory` on 127.0.0.1 (free port) under `prefix`; `url` is the site's root URL."""

    def __init__(self, directory, prefix="/"):
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError(f"prefix must start and end with '/': {prefix!r}")
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(directory, prefix))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{prefix}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
