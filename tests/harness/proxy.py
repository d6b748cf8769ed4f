"""`wellness0-proxy` in front of the fakes, on a free loopback port."""

import os
import shutil
import subprocess
import tempfile

from .binaries import dist_dir, proxy_binary
from .process import Launched

# Settings the proxy reads from the environment: none leaks in from the caller's shell.
_PROXY_ENV = ("GEMINI_API_KEY", "MEM0_API_KEY", "GEMINI_UPSTREAM", "MEM0_UPSTREAM", "MEM0_BASE_URL", "MEM0_BACKEND",
              "PORT", "RUST_LOG")


class Proxy(Launched):
    """A running proxy: `url` is its site root (with a trailing `/`)."""

    def __init__(self, argv, env, timeout):
        # An empty working directory: the proxy reads `.env` from there, and must not find one.
        self.workdir = tempfile.mkdtemp(prefix="w0-proxy-")
        try:
            super().__init__(argv, ["wellness0-proxy"], env=env, cwd=self.workdir, timeout=timeout)
        except BaseException:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        self.url = self.urls["wellness0-proxy"] + "/"

    def stop(self, timeout=10):
        try:
            return super().stop(timeout)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def launch_proxy(gemini_url, mem0_url, *args, gemini_key=None, mem0_key=None, env=None, dist=None, binary=None,
                 timeout=30):
    """Starts the proxy serving `dist` (default: the built site) and forwarding to the given upstreams.

    Keys are given through the environment, as in production (None: no key held). `env` adds
    variables (e.g. {"MEM0_BACKEND": "self-hosted"}); `args` adds flags. The per-client rate limit
    is off: every test request comes from one address. Returns a `Proxy` (stop it, or use `with`).
    """
    child_env = {k: v for k, v in os.environ.items() if k not in _PROXY_ENV}
    child_env.update({"GEMINI_UPSTREAM": gemini_url, "MEM0_UPSTREAM": mem0_url})
    if gemini_key is not None:
        child_env["GEMINI_API_KEY"] = gemini_key
    if mem0_key is not None:
        child_env["MEM0_API_KEY"] = mem0_key
    child_env.update(env or {})
    argv = [binary or proxy_binary(), "--host", "127.0.0.1", "--port", "0", "--dist", str(dist or dist_dir()),
            "--rate-limit-per-minute", "0", *args]
    return Proxy(argv, child_env, timeout)


def add_user(env, name, password, binary=None):
    """Adds `name` with `password` to the accounts of a shared proxy configured by `env` (e.g.
    {"WELLNESS0_DATA_DIR": …} or {"WELLNESS0_DATABASE_URL": …}), as its operator would."""
    subprocess.run([binary or proxy_binary(), "users", "add", name, "--password-stdin"], input=password + "\n",
                   text=True, env={**os.environ, **env}, check=True, capture_output=True, timeout=60)


def sign_in(driver, url, name, password):
    """Opens `url` (a shared proxy: it shows its sign-in page) and signs in as a person would."""
    driver.get(url)
    driver.find_element("id", "name").send_keys(name)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("css selector", "button[type=submit]").click()
