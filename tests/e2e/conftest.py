"""End-to-end harness: the built site (dist/), the fake Gemini and mem0 servers, and headless
Chromium driven over WebDriver (chromedriver), used the way a person uses the app."""

import functools
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
GEMINI_KEY = "test-gemini-key"
MEM0_KEY = "test-mem0-key"


def _http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None


class Fakes:
    """The fake servers, with their control API (`/_fake/...`)."""

    def __init__(self, gemini_url, mem0_url):
        self.gemini_url = gemini_url
        self.mem0_url = mem0_url

    def reset(self):
        _http("POST", f"{self.gemini_url}/_fake/reset")
        _http("POST", f"{self.mem0_url}/_fake/reset")

    def script(self, *steps):
        """Queues behaviours for the next Gemini generate/stream calls."""
        _http("POST", f"{self.gemini_url}/_fake/script", list(steps))

    def requests(self, server="gemini"):
        url = self.gemini_url if server == "gemini" else self.mem0_url
        return _http("GET", f"{url}/_fake/requests")

    def stream_requests(self):
        return [r for r in self.requests() if ":streamGenerateContent" in r["path"]]

    def mem0_calls(self, method, path):
        return [r for r in self.requests("mem0") if r["method"] == method and r["path"] == path]

    def mem0_script(self, *steps):
        _http("POST", f"{self.mem0_url}/_fake/script", list(steps))

    def mem0_down(self, down):
        _http("POST", f"{self.mem0_url}/_fake/down", {"down": down})


def launch_fakes(binary, *args):
    """Starts the fake servers on free ports; returns the process and their control handle."""
    proc = subprocess.Popen([binary, "--gemini-port", "0", "--mem0-port", "0", "--gemini-key", GEMINI_KEY,
                             "--mem0-key", MEM0_KEY, *map(str, args)], stdout=subprocess.PIPE, text=True)
    urls = {}
    deadline = time.time() + 30
    while len(urls) < 2 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        name, _, url = line.strip().partition(" listening on ")
        if url:
            urls[name] = url
    if len(urls) != 2:
        proc.kill()
        raise RuntimeError(f"fakes did not start: {urls}")
    return proc, Fakes(urls["gemini"], urls["mem0"])


@pytest.fixture(scope="session")
def fakes():
    binary = os.environ.get("FAKES_BIN", str(ROOT / "target" / "debug" / "fakes"))
    if not os.path.exists(binary):
        subprocess.run(["cargo", "build", "-p", "wellness0-fakes"], cwd=ROOT, check=True)
    proc, handle = launch_fakes(binary, "--chunk-ms", 40, "--first-token-ms", 100)
    yield handle
    proc.terminate()
    proc.wait(timeout=10)


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site():
    dist = pathlib.Path(os.environ.get("DIST_DIR", ROOT / "dist"))
    assert (dist / "index.html").exists(), "build the site first: trunk build --release"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_StaticHandler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def new_driver(width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BIN", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="w0-profile-")
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    downloads = os.path.join(profile, "downloads")
    os.makedirs(downloads)
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver._w0_profile = profile
    driver._w0_downloads = downloads
    return driver


@pytest.fixture
def driver(request):
    d = new_driver()
    yield d
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(ARTIFACTS / f"{request.node.name}-failed.png"))
    d.quit()
    shutil.rmtree(d._w0_profile, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


class ChatPage:
    """What a person does with the page, in their words."""

    def __init__(self, driver, site_url, fakes):
        self.d = driver
        self.site_url = site_url
        self.fakes = fakes

    def wait(self, condition, timeout=15, message=""):
        # The page re-renders as it streams: an element found a moment ago may be gone; look again.
        return WebDriverWait(self.d, timeout, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition(), message)

    def by_testid(self, testid, within=None):
        return (within or self.d).find_elements(By.CSS_SELECTOR, f"[data-testid='{testid}']")

    def one(self, testid, within=None):
        found = self.wait(lambda: self.by_testid(testid, within), message=f"no [data-testid={testid}]")
        return found[0]

    def open(self):
        self.d.get(self.site_url)
        self.one("transcript")
        return self

    def settings_open(self):
        return "open" in self.one("settings").get_attribute("class")

    def configure(self, key=GEMINI_KEY, base_url=None, model=None, user_id=None, mem0_key=None, mem0_url=None,
                  use_memory=None, deadline_ms=None):
        """Fills Settings like a user. Memory stays unset unless a mem0 key is given."""
        if not self.settings_open():
            self.one("open-settings").click()
        self.wait(self.settings_open)
        if key is not None:
            self.one("gemini-key").send_keys(key)
        self.replace_text("gemini-base-url", base_url or self.fakes.gemini_url)
        if mem0_key is not None:
            self.one("mem0-key").send_keys(mem0_key)
            self.replace_text("mem0-base-url", mem0_url or self.fakes.mem0_url)
        if use_memory is not None and self.one("use-memory").is_selected() != use_memory:
            self.one("use-memory").click()
        if deadline_ms is not None:
            self.replace_text("memory-deadline", str(deadline_ms))
        if model is not None:
            self.replace_text("model", model)
        if user_id is not None:
            self.replace_text("user-id", user_id)
        self.one("settings-save").click()
        self.one("settings-saved")
        self.one("settings-close").click()
        self.wait(lambda: not self.settings_open())
        return self

    def replace_text(self, testid, text):
        el = self.one(testid)
        el.send_keys(Keys.CONTROL, "a")
        el.send_keys(Keys.DELETE)
        el.send_keys(text)

    def send(self, text):
        box = self.one("composer-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def replies(self):
        return self.by_testid("message-model")

    def user_messages(self):
        return [m.text for m in self.by_testid("message-user")]

    def reply(self, index):
        self.wait(lambda: len(self.replies()) > index, message=f"no reply #{index}")
        return self.replies()[index]

    def wait_reply_state(self, index, state, timeout=15):
        self.wait(lambda: self.reply(index).get_attribute("data-state") == state, timeout,
                  message=f"reply #{index} never reached {state}")
        return self.reply(index)

    def reply_text(self, index):
        return self.by_testid("message-text", self.reply(index))[0].text

    def notice(self):
        return self.one("composer-notice").text

    def phone(self, width=375, height=812):
        """Emulates a phone screen (a plain window cannot be made narrower than 500 px)."""
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        self.wait(lambda: self.d.execute_script("return window.innerWidth") == width)

    def no_sideways_scroll(self):
        return self.d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

    def screenshot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.d.save_screenshot(str(path))
        return path


@pytest.fixture
def page(driver, site, fakes):
    fakes.reset()
    return ChatPage(driver, site, fakes).open()
