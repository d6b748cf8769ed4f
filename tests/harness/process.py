"""A child server that prints `NAME listening on http://HOST:PORT` once it is ready.

Both the fakes (one line per fake) and the proxy announce themselves that way. `Launched` starts
the process, waits (with a deadline) for the banners it was told to expect, and kills the process
if they do not all come. Its output is read all along by background threads, so a chatty child can
never block on a full pipe, and what it printed is kept for assertions and error messages.
"""

import queue
import re
import subprocess
import threading
import time

BANNER = re.compile(r"^(\S+) listening on (http://\S+)$")


class LaunchError(RuntimeError):
    """The child did not announce every expected server in time (or exited first)."""


class Launched:
    """A running child server. `urls` maps each announced name to its base URL (no trailing `/`)."""

    def __init__(self, argv, names, *, env=None, cwd=None, timeout=30):
        self.argv = [str(a) for a in argv]
        self.stdout_lines, self.stderr_lines = [], []
        self._banners = queue.Queue()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, cwd=cwd)
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines, True), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr_lines, False), daemon=True),
        ]
        for t in self._readers:
            t.start()
        try:
            self.urls = self._await_banners(set(names), timeout)
        except BaseException:
            self.stop()
            raise

    def _read(self, stream, lines, banners):
        for line in stream:
            line = line.rstrip("\n")
            lines.append(line)
            match = BANNER.match(line) if banners else None
            if match:
                self._banners.put((match.group(1), match.group(2)))
        if banners:
            self._banners.put((None, None))  # end of output: the process is gone

    def _await_banners(self, names, timeout):
        urls, deadline = {}, time.monotonic() + timeout
        while not names <= urls.keys():
            try:
                name, url = self._banners.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LaunchError(self._why(f"no banner for {sorted(names - urls.keys())} within {timeout} s"))
            if name is None:
                self.proc.wait(timeout=5)
                raise LaunchError(self._why(f"exited with code {self.proc.returncode} before announcing "
                                            f"{sorted(names - urls.keys())}"))
            urls[name] = url
        return urls

    def _why(self, what):
        return f"{self.argv[0]}: {what}\n{self.output() or '(no output)'}"

    def output(self):
        """Everything the child printed so far: stdout, then stderr."""
        return "\n".join(self.stdout_lines + self.stderr_lines)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it has not exited within `timeout` s. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout=timeout)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
