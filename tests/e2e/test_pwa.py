"""The installable, offline-ready app (docs/pwa.md): a manifest and icons Chromium accepts, a
service worker that keeps the app's own files (and nothing else), opening and working offline,
the quiet "updated" notice, hosting under a sub-path, a plain static host that sees no
failed request, and a page that says why when the app cannot start."""

import json
import shutil
import struct
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from harness import MEM0_KEY, StaticSite, dist_dir
from seed_script import SEED_SCRIPT

ADD = "/v3/memories/add/"
SUB_PATH = "/anything/wellness0/"


# --- helpers ------------------------------------------------------------------------------------

def remembering(page, user_id):
    """Sets up memory (the Platform fake) and waits for the sidebar's first list."""
    page.configure(mem0_key=MEM0_KEY, user_id=user_id)
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    return page


def memory_texts(page):
    return [t.text for t in page.by_testid("memory-text")]


def controlled(page):
    """Waits until the service worker controls the page (it has cached every file by then)."""
    page.wait(lambda: page.d.execute_script("return !!navigator.serviceWorker.controller"), timeout=30,
              message="no service worker took control of the page")


def still(page):
    """Waits for the page's transitions to end (a width change slides the drawers away), so a
    screenshot shows the layout rather than a frame of its change (after a frame is drawn: a
    transition starts with the frame after the change)."""
    page.d.execute_async_script(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(done));")
    page.wait(lambda: page.d.execute_script("return document.getAnimations().length === 0"))


# Records what the page's look for the "updated" mark found (src/pwa/worker.js takes it with
# `Cache.delete`, true when it was there) as `window.__w0updatedMark`, before the app hears it.
WATCH_UPDATED_MARK = """
(() => {
  const remove = Cache.prototype.delete;
  Cache.prototype.delete = function (request, options) {
    const taken = remove.call(this, request, options);
    const url = typeof request === 'string' ? request : request.url;
    if (!url.endsWith('/wellness0-updated')) return taken;
    return taken.then((found) => { window.__w0updatedMark = found; return found; });
  };
})();
"""


def caches_now(page):
    """{cache name: [URL, …]} of the page's Cache Storage."""
    return page.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (async () => {
            const out = {};
            for (const name of await caches.keys()) {
                out[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
            }
            return out;
        })().then(done, (e) => done({error: String(e)}));
    """)


def files_cache(page, site_url):
    """(name, URLs) of the one cache holding the app's files (not the worker's small meta cache)."""
    found = {n: urls for n, urls in caches_now(page).items() if n.startswith(f"wellness0 {site_url} ")
             and not n.endswith(" meta")}
    assert len(found) == 1, f"one files cache per version expected: {sorted(found)}"
    return next(iter(found.items()))


def build_files(dist):
    """What the worker must keep: every file of the build but itself and host configuration."""
    return sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*")
                  if p.is_file() and p.name != "sw.js" and not p.name.startswith(("_", ".")))


def set_offline(driver, offline):
    """The page's network off or on, as DevTools does it (`navigator.onLine` and events follow)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def stored_meta(page, key):
    """The `data` JSON of a record of the database's `meta` store (no passcode: in the clear)."""
    record = next((r for r in page.stored().get("meta", []) if r["key"] == key), None)
    return json.loads(record["data"]) if record else None


class NetworkLog:
    """The page's requests, from the DevTools network events of a browser opened with
    `performance_log=True` (each read drains the browser's log, so it is gathered here).

    Only events from the first navigation to `site_url` on count: before it the log holds the
    browser's own start-up tab (its chrome:// pages, and a page of Google's it cannot resolve
    offline), which is not the app's doing."""

    def __init__(self, driver, site_url):
        self.driver, self.site_url, self.urls, self.failed, self.started = driver, site_url, {}, [], False

    def read(self):
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            method, params = event.get("method"), event.get("params", {})
            if not self.started:
                self.started = (method == "Network.requestWillBeSent" and params.get("type") == "Document"
                                and params["request"]["url"].startswith(self.site_url))
                if not self.started:
                    continue
            if method == "Network.requestWillBeSent":
                self.urls[params["requestId"]] = params["request"]["url"]
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                self.failed.append((params["response"]["url"], params["response"]["status"]))
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                self.failed.append((self.urls.get(params["requestId"], "?"), params.get("errorText")))
        return self


def console_errors(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("content-type"), response.read()


# --- installable --------------------------------------------------------------------------------

def test_chromium_finds_the_app_installable(open_page, fakes, site):
    fakes.reset()
    page = open_page()
    controlled(page)
    assert page.d.execute_cdp_cmd("Page.getInstallabilityErrors", {})["installabilityErrors"] == []

    manifest = page.d.execute_cdp_cmd("Page.getAppManifest", {})
    assert manifest["url"] == site + "manifest.webmanifest" and not manifest["errors"], manifest
    data = json.loads(manifest["data"])
    assert data["name"] == "wellness0" and data["short_name"] and data["display"] == "standalone"
    # Relative: the same build installs from any directory of any host.
    assert data["start_url"] == data["scope"] == data["id"] == "./"
    icons = {(i["sizes"], i["purpose"]): i["src"] for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons.keys()
    for (sizes, _), src in icons.items():
        status, kind, body = fetch(site + src)
        assert status == 200 and kind == "image/png"
        assert "x".join(map(str, png_size(body))) == sizes, src
    # The favicon is the app's own (no request for a /favicon.ico that is not there).
    favicon = page.d.execute_script("return document.querySelector('link[rel=icon]').href")
    assert favicon.startswith(site) and png_size(fetch(favicon)[2]) == (32, 32)
    themes = page.d.execute_script(
        "return [...document.querySelectorAll('meta[name=theme-color]')].map((m) => [m.media, m.content])")
    assert themes == [["(prefers-color-scheme: light)", "#f6f5f2"], ["(prefers-color-scheme: dark)", "#15181c"]]


# --- offline ------------------------------------------------------------------------------------

@pytest.mark.timeout(150)
def test_offline_the_app_opens_from_cache_with_its_sessions_and_memories_and_keeps_the_draft(open_page, fakes):
    fakes.reset()
    site = StaticSite(dist_dir())
    try:
        page = open_page(site.url)
        remembering(page, "offline-e2e")
        page.turn(0, SEED_SCRIPT[0])
        page.wait(lambda: any("Afghanistan" in t for t in memory_texts(page)))
        listed, reply = memory_texts(page), page.reply_text(0)
        controlled(page)
        # The worker kept exactly the app's files: nothing of the conversation, no API call.
        name, urls = files_cache(page, site.url)
        assert sorted(u[len(site.url):] for u in urls) == build_files(dist_dir())
        # The list is kept on the device as it was last listed.
        page.wait(lambda: (stored_meta(page, "memories") or {}).get("memories"), message="the list was not stored")
        assert [m["memory"] for m in stored_meta(page, "memories")["memories"]] == listed

        # The network goes: the site's server too, so only the cache can open the app.
        site.stop()
        set_offline(page.d, True)
        page.wait(lambda: page.by_testid("offline-note"))
        page.d.refresh()
        page.one("transcript")
        page.wait_settled()
        assert page.user_messages() == [SEED_SCRIPT[0]] and page.reply_text(0) == reply
        assert any(SEED_SCRIPT[0][:12] in t for t in page.session_titles()), page.session_titles()
        assert "offline" in page.one("offline-note").text
        page.wait(lambda: page.by_testid("memory-stale"), message="the last list was not shown as stale")
        assert "may be out of date" in page.one("memory-stale").text
        assert memory_texts(page) == listed
        assert "offline" in page.one("memory-error").text and "CORS" not in page.one("memory-error").text

        # Sending is refused with a clear message; the draft stays in the box and nothing is sent.
        streams = len(fakes.stream_requests())
        page.send("Are you still there?")
        page.wait(lambda: "offline" in page.notice())
        assert "still in the box" in page.notice()
        assert page.one("composer-input").get_attribute("value") == "Are you still there?"
        assert page.user_messages() == [SEED_SCRIPT[0]] and len(fakes.stream_requests()) == streams
        page.screenshot("pwa-offline-desktop")
        page.phone()
        page.one("open-memory").click()
        page.wait(lambda: "open" in page.one("memory-sidebar").get_attribute("class"))
        still(page)
        page.screenshot("pwa-offline-phone-memory")
        page.one("memory-close").click()
        still(page)
        page.screenshot("pwa-offline-phone")

        # Still offline, a reload keeps the draft too (it is stored as typed).
        page.d.refresh()
        page.wait_settled()
        page.wait(lambda: page.one("composer-input").get_attribute("value") == "Are you still there?")

        # Back online: the list is fetched again (no longer marked) and the draft goes out.
        set_offline(page.d, False)
        page.wait(lambda: not page.by_testid("offline-note"))
        page.wait(lambda: not page.by_testid("memory-stale"), message="the list stayed stale once online")
        page.one("send").click()
        page.wait_reply_state(1, "done")
        assert page.user_messages() == [SEED_SCRIPT[0], "Are you still there?"]
    finally:
        site.stop()


def test_a_memory_write_waiting_while_offline_goes_out_when_the_network_is_back(page, fakes):
    remembering(page, "outbox-e2e")
    # mem0 cannot be reached (its requests never leave the browser); Gemini can.
    page.d.execute_cdp_cmd("Network.enable", {})
    page.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [fakes.mem0_url + "/*"]})
    page.send("I walk my dog every morning before work.")
    page.wait_reply_state(0, "done")
    page.wait(lambda: "1 memory write waiting" in page.one("memory-pending").text)
    # Offline: the write keeps failing and backing off.
    set_offline(page.d, True)
    page.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    page.wait(lambda: stored_meta(page, "outbox")["items"][0]["attempts"] >= 3, timeout=30,
              message="the write was not retried while offline")
    waiting = stored_meta(page, "outbox")["items"][0]
    assert waiting["event_id"] is None and not fakes.mem0_calls("POST", ADD)

    # Back online: it goes out at once, not at its next backoff.
    set_offline(page.d, False)
    back = time.time() * 1000
    page.wait(lambda: fakes.mem0_calls("POST", ADD), timeout=10, message="the write did not go out")
    sent = fakes.mem0_calls("POST", ADD)
    assert sent[0]["body"]["messages"][0]["content"] == "I walk my dog every morning before work."
    assert sent[0]["ts_ms"] < waiting["next_attempt_ms"], "it went out on the online event, before its next try"
    assert sent[0]["ts_ms"] - back < 3000
    # It landed: the reply says so, the memory is listed, and it is no longer stored as waiting.
    page.wait(lambda: not page.by_testid("memory-pending"))
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text)
    page.wait(lambda: any("dog" in t for t in memory_texts(page)), message="the memory never showed in the sidebar")
    page.wait(page.nothing_left_to_send, message="the write was still waiting to be sent")
    # Once, and only once it was back online: every try while offline failed in the browser.
    sent = fakes.mem0_calls("POST", ADD)
    assert len(sent) == 1 and sent[0]["status"] == 200, [(a["ts_ms"], a["status"]) for a in sent]


# --- updates ------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_a_new_version_is_picked_up_on_the_next_load_with_a_quiet_notice(open_page, fakes, tmp_path):
    fakes.reset()
    copy = tmp_path / "site"
    shutil.copytree(dist_dir(), copy)
    with StaticSite(copy) as site:
        # Set up as a person who uses it (a first visit without a key has Settings open over all).
        page = open_page(site.url).configure()
        controlled(page)
        old_cache, _ = files_cache(page, site.url)
        assert not page.by_testid("updated-note"), "a first install is not an update"
        page.d.refresh()
        page.wait_settled()
        controlled(page)
        assert not page.by_testid("updated-note"), "a reload of the same version is not an update"

        # A new version is deployed: a changed page, and the worker of the new build.
        index = copy / "index.html"
        index.write_text(index.read_text().replace("<head>", '<head><meta name="e2e-build" content="2">', 1))
        worker = copy / "sw.js"
        old_version = worker.read_text().split('const VERSION = "', 1)[1].split('"', 1)[0]
        worker.write_text(worker.read_text().replace(f'const VERSION = "{old_version}"', 'const VERSION = "e2e-next"'))

        page.d.refresh()
        page.wait_settled()
        # The new page at once (the page is network first), and the notice once the new worker took over.
        assert page.d.execute_script("return document.querySelector('meta[name=e2e-build]')?.content") == "2"
        note = page.one("updated-note")
        assert "updated" in note.text
        assert page.d.execute_script("return arguments[0].closest('[role=status]') !== null", note)
        new_cache, urls = files_cache(page, site.url)
        assert new_cache.endswith(" e2e-next") and new_cache != old_cache, "the old version's cache is gone"
        assert sorted(u[len(site.url):] for u in urls) == build_files(copy)
        page.screenshot("pwa-updated-desktop")
        page.phone()
        still(page)
        page.screenshot("pwa-updated-phone")

        page.one("updated-dismiss").click()
        page.wait(lambda: not page.by_testid("updated-note"))
        page.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_UPDATED_MARK})
        page.d.refresh()
        page.wait_settled()
        # The page has looked for the mark a new version leaves (and found none: it was taken).
        page.wait(lambda: page.d.execute_script("return window.__w0updatedMark") is not None,
                  message="the page never looked for the updated mark")
        assert page.d.execute_script("return window.__w0updatedMark") is False
        assert not page.by_testid("updated-note"), "the notice is shown once"


# --- hosting ------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_the_app_works_under_a_sub_path_and_asks_nothing_outside_it(open_page, fakes):
    fakes.reset()
    with StaticSite(dist_dir(), prefix=SUB_PATH) as site:
        assert site.url.endswith(SUB_PATH)
        page = open_page(site.url, performance_log=True)
        log = NetworkLog(page.d, site.url)
        remembering(page, "subpath-e2e")
        page.turn(0, SEED_SCRIPT[0])
        controlled(page)
        scope = page.d.execute_async_script(
            "const done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then((r) => done(r.scope));")
        assert scope == site.url
        _, urls = files_cache(page, site.url)
        assert sorted(u[len(site.url):] for u in urls) == build_files(dist_dir())
        # A reload comes up from below the sub-path too.
        page.d.refresh()
        page.wait_settled()
        assert page.user_messages() == [SEED_SCRIPT[0]]

        log.read()
        origin = site.url[:-len(SUB_PATH)]
        own = [u for u in log.urls.values() if u.startswith(origin)]
        assert own and all(u.startswith(site.url) for u in own), [u for u in own if not u.startswith(site.url)]
        assert log.failed == []
        assert console_errors(page.d) == []


def test_a_plain_static_host_sees_no_failed_request(open_page, fakes, site):
    fakes.reset()
    page = open_page(performance_log=True)
    log = NetworkLog(page.d, site)
    remembering(page, "static-e2e")
    page.turn(0, SEED_SCRIPT[0])
    controlled(page)
    page.d.refresh()
    page.wait_settled()
    log.read()
    assert log.failed == []
    assert console_errors(page.d) == []
    # No probe for a proxy (the page is not marked as served by one), no favicon guess.
    assert not [u for u in log.urls.values() if "/api/" in u or u.endswith("/favicon.ico")]


def test_a_page_that_cannot_start_the_app_says_why_after_a_few_seconds(page):
    """A browser too old for the app (no WebAssembly SIMD, say) cannot start it; here the wasm never
    arrives, which looks the same from the page. Once started, the app removes the note."""
    d = page.d
    assert not d.find_elements(By.ID, "boot"), "the app removes the start-up note when it starts"
    d.execute_async_script("""
        const done = arguments[0];
        navigator.serviceWorker.getRegistrations()
          .then((all) => Promise.all(all.map((r) => r.unregister())))
          .then(() => caches.keys()).then((keys) => Promise.all(keys.map((k) => caches.delete(k))))
          .then(() => done(true));
    """)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*.wasm"]})
    d.refresh()
    note = d.find_element(By.ID, "boot")
    assert not note.is_displayed(), "a start that takes a moment is not a failure"
    page.wait(note.is_displayed, timeout=10, message="the note never showed")
    assert "too old" in note.text and "WebAssembly" in note.text
