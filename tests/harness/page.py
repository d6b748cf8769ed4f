"""`ChatPage`: the app as a person uses it (Settings, composer, replies), driven over WebDriver."""

import json
import os

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from .binaries import ROOT
from .fakes import GEMINI_KEY

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"


class ChatPage:
    """What a person does with the page, in their words."""

    def __init__(self, driver, site_url, fakes, artifacts=ARTIFACTS):
        self.d = driver
        self.site_url = site_url
        self.fakes = fakes
        self.artifacts = artifacts

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
        self.wait_settled()
        return self

    def wait_settled(self):
        """Waits until the page has read what is stored and knows how it reaches the APIs (after
        which it may open Settings by itself, on a first visit without a key)."""
        self.wait(lambda: self.d.execute_script(
            "const app = document.querySelector('.app');"
            "return !!app && app.dataset.ready === 'true' && app.dataset.mode !== 'detecting'"),
            message="the page never finished starting")

    def settings_open(self):
        """Settings is open and has finished sliding in (clicks land where they are aimed)."""
        drawer = self.one("settings")
        return "open" in drawer.get_attribute("class") and self.d.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return r.right <= window.innerWidth + 0.5", drawer)

    def settings_section(self, testid, block="start"):
        """Opens Settings (if it is not open) and scrolls to its section `testid`."""
        if "open" not in self.one("settings").get_attribute("class"):
            self.one("open-settings").click()
        self.wait(self.settings_open)
        section = self.one(testid)
        self.d.execute_script("arguments[0].scrollIntoView({block: arguments[1]})", section, block)
        return section

    def close_settings(self):
        # A script click: the button may sit under the sliding drawer's edge at phone widths.
        self.d.execute_script("arguments[0].click()", self.one("settings-close"))

    def configure(self, key=GEMINI_KEY, base_url=None, model=None, user_id=None, mem0_key=None, mem0_url=None,
                  use_memory=None, deadline_ms=None, selfhosted_url=None, selfhosted_key=None):
        """Fills Settings like a user. Memory stays unset unless a mem0 key (the Platform) or a
        self-hosted server's address is given."""
        if "open" not in self.one("settings").get_attribute("class"):
            self.one("open-settings").click()
        self.wait(self.settings_open)
        if key is not None:
            self.one("gemini-key").send_keys(key)
        self.replace_text("gemini-base-url", base_url or self.fakes.gemini_url)
        if mem0_key is not None:
            self.one("memory-service-platform").click()
            self.one("mem0-key").send_keys(mem0_key)
            self.replace_text("mem0-base-url", mem0_url or self.fakes.mem0_url)
        if selfhosted_url is not None:
            self.one("memory-service-selfhosted").click()
            self.replace_text("selfhosted-base-url", selfhosted_url)
            if selfhosted_key is not None:
                self.one("selfhosted-key").send_keys(selfhosted_key)
        if use_memory is not None and self.one("use-memory").is_selected() != use_memory:
            # Clear of the drawer's sticky heading, which can sit over a box already "in view".
            box = self.one("use-memory")
            self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
            box.click()
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
        # The words only, not the actions under them (Edit, Copy).
        return [t.text for m in self.by_testid("message-user") for t in self.by_testid("message-text", m)]

    def reply(self, index):
        self.wait(lambda: len(self.replies()) > index, message=f"no reply #{index}")
        return self.replies()[index]

    def reply_state(self, index):
        return self.reply(index).get_attribute("data-state")

    def wait_reply_state(self, index, state, timeout=15):
        self.wait(lambda: self.reply_state(index) == state, timeout, message=f"reply #{index} never reached {state}")
        return self.reply(index)

    def turn(self, index, text):
        """Sends `text` as turn `index`; waits for its reply to finish and its memory write to be saved."""
        self.send(text)
        self.wait_reply_state(index, "done")
        self.wait(lambda: "memory updated" in self.one("memory-chip", self.reply(index)).text,
                  message=f"turn {index} was not saved to memory")

    def reply_text(self, index):
        return self.by_testid("message-text", self.reply(index))[0].text

    def notice(self):
        return self.one("composer-notice").text

    def phone(self, width=375, height=812):
        """Emulates a phone screen (a plain window cannot be made narrower than 500 px)."""
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        self.wait(lambda: self.d.execute_script("return window.innerWidth") == width)
        # The drawers become off-canvas and slide there (0.2 s): screenshots wait for them to settle.
        self.wait(lambda: self.d.execute_script("return document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== 'running')"),
                  message="the page's transitions never ended")

    def no_sideways_scroll(self):
        return self.d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

    def downloaded(self, ext):
        """The path of the file ending in `ext` that the page downloaded, once it has content."""
        folder = self.d._w0_downloads
        self.wait(lambda: [f for f in os.listdir(folder) if f.endswith(ext)], message=f"no {ext} downloaded")
        path = os.path.join(folder, [f for f in os.listdir(folder) if f.endswith(ext)][0])
        self.wait(lambda: os.path.getsize(path) > 0)
        return path

    def screenshot(self, name):
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        self.d.save_screenshot(str(path))
        return path

    def hostile_code_ran(self):
        """Whether text the page showed ran as code (it sets `window.__pwned`).

        An injected `<img src=x onerror=…>` fires only once its image has failed to load, so this
        first loads a broken image of its own and waits for that error, then looks.
        """
        return self.d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            let finished = false;
            const finish = () => {
              if (finished) return;
              finished = true;
              setTimeout(() => done(window.__pwned !== undefined), 100);
            };
            const probe = new Image();
            probe.onerror = probe.onload = finish;
            probe.src = 'x?broken-image-probe=' + Date.now();
            setTimeout(finish, 3000);
        """)

    def stored(self):
        """Everything the app stored in IndexedDB, as {store: [records]} (for checks of what is kept)."""
        return self.d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const open = indexedDB.open('wellness0');
            open.onerror = () => done({});
            open.onsuccess = () => {
                const db = open.result, out = {}, names = Array.from(db.objectStoreNames);
                if (!names.length) { db.close(); return done(out); }
                const tx = db.transaction(names);
                for (const name of names) tx.objectStore(name).getAll().onsuccess = (e) => { out[name] = e.target.result; };
                tx.oncomplete = () => { db.close(); done(out); };
            };
        """)

    def stored_outbox(self):
        """The memory writes kept in the database's outbox (no passcode: in the clear)."""
        record = next((r for r in self.stored().get("meta", []) if r["key"] == "outbox"), None)
        return json.loads(record["data"])["items"] if record else []

    def nothing_left_to_send(self):
        """Whether no memory write can go out any more: the stored outbox is empty and no tab's
        outbox worker holds or waits for its lock (each reads the stored outbox under it first)."""
        locks = self.d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            navigator.locks.query().then((s) => done([...s.held, ...s.pending].map((l) => l.name)));""")
        return not self.stored_outbox() and "wellness0-outbox" not in locks

    def new_session(self):
        """New session: atop the session list on wide screens, in the top bar on narrow ones."""
        for testid in ("list-new-session", "new-session"):
            found = [b for b in self.by_testid(testid) if b.is_displayed()]
            if found:
                found[0].click()
                break
        self.wait(lambda: not self.replies() and not self.user_messages())

    def session_titles(self):
        """The session list's titles, top (newest) first."""
        return [t.get_attribute("textContent") for t in self.by_testid("session-title")]

    def session(self, title):
        """The session list's row with this title."""
        self.wait(lambda: title in self.session_titles(), message=f"no session {title!r}: {self.session_titles()}")
        return next(i for i in self.by_testid("session-item")
                    if self.by_testid("session-title", i)[0].get_attribute("textContent") == title)
