"""The passcode lock: with a passcode, nothing wellness0 stores on the device is readable without
it (checked on the raw IndexedDB and Web Storage values), a reload opens on the lock screen, the
right passcode restores everything and a wrong one nothing; changing re-encrypts, removing
decrypts, Lock locks, and a forgotten passcode can only erase this device's data."""

import json

from harness import GEMINI_KEY
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

SECRET = "pineapple-42 is what I never told anyone"
DRAFT = "a draft about otters"
PASSCODE = "correct horse"

# Makes a tab deaf to the other tabs once `window.__w0deaf` is set: BroadcastChannel messages are
# dropped before the app's handlers see them (counted in the tab's sessionStorage, which a reload
# keeps, so the test can check that something was dropped).
DEAF_TAB = """
(() => {
  const Native = window.BroadcastChannel;
  const heard = (e) => {
    if (!window.__w0deaf) return true;
    sessionStorage.setItem('w0-dropped', String(Number(sessionStorage.getItem('w0-dropped') || 0) + 1));
    return false;
  };
  window.BroadcastChannel = class extends Native {
    constructor(name) {
      super(name);
      let handler = null;
      super.addEventListener('message', (e) => { if (heard(e) && handler) handler.call(this, e); });
      Object.defineProperty(this, 'onmessage', {get: () => handler, set: (h) => { handler = h; }});
    }
    addEventListener(type, listener, options) {
      super.addEventListener(type, type === 'message' ? (e) => { if (heard(e)) listener.call(this, e); } : listener, options);
    }
  };
})();
"""

# Keeps the page's repeating timers (setInterval) where a test can reach them: each still runs
# as the app set it, and `window.__w0runEvery(ms)` runs, now, every one set to repeat every `ms`
# (returning how many), as if their time had come. The lock-when-idle check is one of them.
# A lock starts the page again (after storing what is unsaved, so not at once): each page left
# notes how far the test had moved the page's clock then (`window.shift`), in the tab's
# sessionStorage, which outlives the reload. So a lock that came too early shows, however late.
INTERVALS = """
(() => {
  addEventListener('pagehide', () => {
    const left = JSON.parse(sessionStorage.getItem('w0-left-at-shift') || '[]');
    left.push(window.shift === undefined ? null : window.shift);
    sessionStorage.setItem('w0-left-at-shift', JSON.stringify(left));
  });
  const native = window.setInterval.bind(window);
  const every = [];
  window.setInterval = (callback, ms, ...rest) => {
    if (typeof callback === 'function') every.push({callback, ms: Number(ms)});
    return native(callback, ms, ...rest);
  };
  window.__w0runEvery = (ms) => {
    const due = every.filter((t) => t.ms === ms);
    due.forEach((t) => t.callback());
    return due.length;
  };
})();
"""
# How often the app checks whether it has been idle long enough to lock (src/vault/mod.rs).
IDLE_CHECK_MS = 5000

RAW = """
const done = arguments[arguments.length - 1];
const open = indexedDB.open('wellness0');
open.onerror = () => done('{}');
open.onsuccess = () => {
  const db = open.result, out = {}, names = Array.from(db.objectStoreNames);
  const tx = db.transaction(names);
  // Sealed bytes as their length and IV (a new seal has a new IV).
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const shown = (v) => v instanceof Uint8Array ? `<${v.length} sealed bytes, iv ${hex(v.subarray(0, 12))}>` : v;
  for (const name of names) tx.objectStore(name).getAll().onsuccess = (e) => {
    out[name] = e.target.result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, shown(v)])));
  };
  tx.oncomplete = () => {
    db.close();
    const web = {};
    for (const [scope, s] of [['local', localStorage], ['session', sessionStorage]]) {
      for (let i = 0; i < s.length; i++) web[scope + ':' + s.key(i)] = s.getItem(s.key(i));
    }
    done(JSON.stringify({db: out, web}));
  };
};
"""


def raw(page):
    """Every value wellness0 keeps on the device, as the browser holds it."""
    return json.loads(page.d.execute_async_script(RAW))


def settings(page):
    return page.settings_section("passcode-section")


def fill(page, **fields):
    for testid, text in fields.items():
        box = page.one(testid.replace("_", "-"))
        box.clear()
        box.send_keys(text)


def set_passcode(page, passcode=PASSCODE):
    settings(page)
    fill(page, passcode_new=passcode, passcode_again=passcode)
    page.one("passcode-set").click()
    page.wait(lambda: "Passcode set" in page.one("passcode-status").text, timeout=30)
    page.close_settings()


def chat(page, index, text):
    page.send(text)
    page.wait_reply_state(index, "done")


def locked(page):
    page.d.refresh()
    page.one("lock-screen")
    return page


def unlock(page, passcode):
    fill(page, unlock_passcode=passcode)
    page.one("unlock").click()


def open_second_tab(page):
    """Opens the app in a second tab and unlocks it; returns the tab's handle (and stays there)."""
    page.d.switch_to.new_window("tab")
    page.d.get(page.site_url)
    unlock(page, PASSCODE)
    page.wait(lambda: page.user_messages() == [SECRET], timeout=30)
    return page.d.current_window_handle


def stream_a_slow_reply(page, fakes):
    """Asks for a long story that streams for about twelve seconds, stored as it arrives (long
    enough for the other tab to change the passcode meanwhile, on a busy machine too)."""
    story = " ".join(f"word{i}" for i in range(120))
    fakes.script({"kind": "reply", "text": story, "chunk_words": 2, "first_delay_ms": 100, "chunk_delay_ms": 200})
    page.send("Tell me a long story")
    page.wait_reply_state(1, "streaming")


def change_passcode(page, current, new):
    settings(page)
    fill(page, passcode_current=current, passcode_new=new, passcode_again=new)
    page.one("passcode-change").click()
    page.wait(lambda: "Passcode changed" in page.one("passcode-status").text, timeout=30)
    page.close_settings()


def nothing_sealed_under_an_old_key(page, passcode):
    """Removes the passcode (which opens every record with the current key) and checks that every
    record came out in the clear: none was sealed with a key that is no longer the vault's."""
    settings(page)
    fill(page, passcode_current=passcode)
    page.one("passcode-remove").click()
    page.wait(lambda: "Passcode removed" in page.one("passcode-status").text, timeout=30)
    plain = raw(page)
    assert "sealed bytes" not in json.dumps(plain["db"]) and "w0sealed" not in json.dumps(plain["web"])
    assert all(m.get("text") for m in plain["db"]["messages"])
    assert len(plain["db"]["messages"]) >= 3, "both messages of the first turn and the question"


def test_with_a_passcode_nothing_stored_is_readable_and_only_the_right_passcode_opens_it(page, fakes):
    page.configure()
    chat(page, 0, SECRET)
    page.one("composer-input").send_keys(DRAFT)
    # The draft is stored a moment after typing stops.
    page.wait(lambda: DRAFT in json.dumps(raw(page)["db"].get("drafts", [])), message="the draft was never stored")
    before = json.dumps(raw(page))
    assert SECRET in before and DRAFT in before and GEMINI_KEY in before, "in the clear without a passcode"

    section = settings(page)
    assert "cannot be recovered" in page.one("passcode-warning").text
    assert "memory service" in section.text and page.one("passcode-export").is_displayed()
    fill(page, passcode_new="short", passcode_again="short")
    page.one("passcode-set").click()
    page.wait(lambda: "at least 6" in page.one("passcode-status").text)
    fill(page, passcode_new=PASSCODE, passcode_again=PASSCODE + "!")
    page.one("passcode-set").click()
    page.wait(lambda: "differ" in page.one("passcode-status").text)
    set_passcode(page)

    sealed = raw(page)
    text = json.dumps(sealed)
    for plain in (SECRET, "pineapple", DRAFT, "otters", GEMINI_KEY, "I hear you"):
        assert plain not in text, f"{plain!r} is stored in the clear"
    messages = sealed["db"]["messages"]
    assert messages and all("sealed bytes" in m["data"] and "text" not in m for m in messages)
    assert all("sealed bytes" in r["data"] for r in sealed["db"]["sessions"] + sealed["db"]["drafts"])
    vault = next(r for r in sealed["db"]["meta"] if r["key"] == "vault")
    assert vault["iterations"] >= 600_000 and vault["salt"] and vault["check"]
    assert sealed["web"]["local:wellness0.settings"].startswith("w0sealed:")
    assert sealed["web"]["session:wellness0.keys"].startswith("w0sealed:")

    settings(page)
    page.screenshot("passcode-settings")
    page.close_settings()

    # Reloaded: the lock screen, and nothing of the conversation on the page.
    locked(page)
    page.screenshot("lock-screen")
    page.phone()
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    page.screenshot("lock-screen-phone-dark")
    assert page.no_sideways_scroll()
    page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert "pineapple" not in page.d.page_source and not page.by_testid("transcript")
    # Help and the way out do not wait for the passcode.
    page.one("get-help").click()
    page.wait(lambda: page.one("help-region").is_displayed())
    page.one("help-close").click()
    assert page.one("quick-exit").is_displayed()
    unlock(page, "wrong horse")
    page.wait(lambda: "not right" in page.one("unlock-status").text, timeout=30)
    assert "pineapple" not in page.d.page_source and not page.by_testid("transcript")
    assert page.d.switch_to.active_element == page.one("unlock-passcode"), "ready for another try"

    unlock(page, PASSCODE)
    page.one("transcript")
    page.wait_settled()
    page.wait(lambda: page.user_messages() == [SECRET])
    page.wait(lambda: page.one("composer-input").get_attribute("value") == DRAFT)
    # The keys came back too: the chat goes on.
    page.replace_text("composer-input", "And today?")
    page.one("composer-input").send_keys(Keys.ENTER)
    page.wait_reply_state(1, "done")
    assert SECRET not in json.dumps(raw(page)) and "And today?" not in json.dumps(raw(page))

    # Lock: at once, on the lock screen.
    page.one("lock-now").click()
    page.one("lock-screen")
    unlock(page, PASSCODE)
    page.wait(lambda: page.user_messages() == [SECRET, "And today?"])


def test_changing_the_passcode_re_encrypts_and_removing_it_decrypts(page, fakes):
    page.configure()
    chat(page, 0, SECRET)
    set_passcode(page)
    before = raw(page)["db"]["messages"]

    settings(page)
    fill(page, passcode_current="not it", passcode_new="battery staple", passcode_again="battery staple")
    page.one("passcode-change").click()
    page.wait(lambda: "not your current passcode" in page.one("passcode-status").text, timeout=30)
    fill(page, passcode_current=PASSCODE)
    page.one("passcode-change").click()
    page.wait(lambda: "Passcode changed" in page.one("passcode-status").text, timeout=30)
    after = raw(page)["db"]["messages"]
    assert len(after) == len(before) and all("sealed bytes" in m["data"] for m in after)
    assert not {m["data"] for m in after} & {m["data"] for m in before}, "every record sealed anew"
    locked(page)
    unlock(page, PASSCODE)
    page.wait(lambda: "not right" in page.one("unlock-status").text, timeout=30)
    unlock(page, "battery staple")
    page.wait(lambda: page.user_messages() == [SECRET], timeout=30)

    settings(page)
    fill(page, passcode_current="battery staple")
    page.one("passcode-remove").click()
    page.wait(lambda: "Passcode removed" in page.one("passcode-status").text, timeout=30)
    plain = raw(page)
    assert SECRET in json.dumps(plain) and not any(r["key"] == "vault" for r in plain["db"]["meta"])
    assert all(m.get("text") for m in plain["db"]["messages"]), "search text is back beside each message"
    assert not plain["web"]["local:wellness0.settings"].startswith("w0sealed:")
    page.d.refresh()
    page.one("transcript")
    page.wait_settled()
    assert not page.by_testid("lock-screen")
    page.wait(lambda: page.user_messages() == [SECRET])


def test_a_forgotten_passcode_can_only_erase_this_device_and_other_tabs_lock_when_it_is_set(page, fakes):
    page.configure()
    chat(page, 0, SECRET)
    first = page.d.current_window_handle
    page.d.switch_to.new_window("tab")
    page.d.get(page.site_url)
    page.wait_settled()
    page.wait(lambda: page.user_messages() == [SECRET])
    other = page.d.current_window_handle
    page.d.switch_to.window(first)
    set_passcode(page)
    # The other tab held the data in the clear: it locks too.
    page.d.switch_to.window(other)
    page.one("lock-screen")
    assert "pineapple" not in page.d.page_source
    page.d.close()
    page.d.switch_to.window(first)

    locked(page)
    page.one("forgot-passcode").click()
    assert "not affected" in page.one("forgot-box").text
    page.one("erase-device").click()
    page.one("erase-device-confirm").click()
    page.one("transcript")
    page.wait_settled()
    assert not page.user_messages() and not page.by_testid("lock-screen")
    left = json.dumps(raw(page))
    assert "pineapple" not in left and "w0sealed" not in left


def idle_check(page):
    """Runs the app's lock-when-idle check now, as its timer would (the page was opened with
    INTERVALS): a check passes without the seconds' wait for it."""
    assert page.d.execute_script("return window.__w0runEvery(arguments[0])", IDLE_CHECK_MS) >= 1, (
        f"the app set no timer repeating every {IDLE_CHECK_MS} ms: the idle lock is checked otherwise now")


def left_at_shifts(page):
    """How far the page's clock was moved (`window.shift`) each time a page of this tab was left."""
    return [s for s in json.loads(page.d.execute_script("return sessionStorage.getItem('w0-left-at-shift')") or "[]")
            if s is not None]


def locking_after_a_minute(page):
    """A conversation under a passcode, set to lock after a minute without use (the page's
    repeating timers within reach: INTERVALS)."""
    page.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INTERVALS})
    page.d.refresh()
    page.wait_settled()
    page.configure()
    chat(page, 0, SECRET)
    set_passcode(page)
    settings(page)
    Select(page.one("lock-after")).select_by_visible_text("After 1 minute without use")
    page.close_settings()


def test_it_locks_by_itself_after_the_chosen_time_without_use(page, fakes):
    locking_after_a_minute(page)
    # The page's clock runs `shift` ms ahead from here on.
    page.d.execute_script("window.shift = 0; const now = Date.now; Date.now = () => now() + window.shift;")
    idle_check(page)  # a check passes: used a moment ago, so it stays open
    assert not page.by_testid("lock-screen")
    # Two minutes pass without a key or a click (the page's clock is moved on): the app's own
    # timer, within its 5 s, locks it; nothing here runs the check.
    page.d.execute_script("window.shift = 120000;")
    page.one("lock-screen")
    assert left_at_shifts(page) == [120000], "locked though used a moment ago"
    assert "pineapple" not in page.d.page_source
    unlock(page, PASSCODE)
    page.wait(lambda: page.user_messages() == [SECRET], timeout=30)
    settings(page)
    assert Select(page.one("lock-after")).first_selected_option.text == "After 1 minute without use", "remembered"


def test_use_postpones_the_lock_by_itself(page, fakes):
    locking_after_a_minute(page)
    # The page's clock runs `shift` ms ahead from here on.
    page.d.execute_script("window.shift = 50000; const now = Date.now; Date.now = () => now() + window.shift;")
    page.one("composer-input").send_keys("a")  # used 50 s in: the minute starts again
    page.d.execute_script("window.shift = 80000;")
    idle_check(page)  # a check passes, 30 s after the key
    assert not page.by_testid("lock-screen"), "locked though used 30 s ago"
    page.d.execute_script("window.shift = 120000;")
    idle_check(page)  # 70 s after the key
    page.one("lock-screen")
    assert left_at_shifts(page) == [120000], "locked though used 30 s ago"


def test_a_passcode_changed_in_one_tab_while_the_other_streams_leaves_nothing_under_the_old_key(page, fakes):
    page.configure()
    chat(page, 0, SECRET)
    set_passcode(page)
    first = page.d.current_window_handle
    second = open_second_tab(page)

    # The first tab streams a slow reply, stored as it arrives, while the second changes the passcode.
    page.d.switch_to.window(first)
    stream_a_slow_reply(page, fakes)
    page.d.switch_to.window(second)
    change_passcode(page, PASSCODE, "battery staple")

    # The first tab held the old key: it locks, and opens with the new passcode only.
    page.d.switch_to.window(first)
    page.one("lock-screen")
    unlock(page, "battery staple")
    page.wait(lambda: page.user_messages() == [SECRET, "Tell me a long story"], timeout=30)

    # Lock in one tab locks every tab.
    page.d.switch_to.window(second)
    page.one("lock-now").click()
    page.one("lock-screen")
    page.d.switch_to.window(first)
    page.one("lock-screen")
    unlock(page, "battery staple")
    page.wait(lambda: page.user_messages() == [SECRET, "Tell me a long story"], timeout=30)

    nothing_sealed_under_an_old_key(page, "battery staple")


def test_a_tab_that_never_hears_of_a_passcode_change_writes_nothing_under_the_old_key(page, fakes):
    """The message between tabs can come late or not at all: each write checks the vault itself."""
    page.configure()
    chat(page, 0, SECRET)
    set_passcode(page)
    first = page.d.current_window_handle
    page.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DEAF_TAB})
    page.d.refresh()
    unlock(page, PASSCODE)
    page.wait(lambda: page.user_messages() == [SECRET], timeout=30)
    second = open_second_tab(page)

    # The first tab stops hearing the second, and streams a slow reply, stored as it arrives.
    page.d.switch_to.window(first)
    page.d.execute_script("window.__w0deaf = true")
    stream_a_slow_reply(page, fakes)
    page.d.switch_to.window(second)
    change_passcode(page, PASSCODE, "battery staple")

    # Its next write finds another vault than the one it opened: the write is undone and the tab
    # starts again, on the lock screen, where only the new passcode opens it.
    page.d.switch_to.window(first)
    page.one("lock-screen")
    dropped = page.d.execute_script("return Number(sessionStorage.getItem('w0-dropped') || 0)")
    assert dropped > 0, "the tab was meant to miss the other tab's messages"
    unlock(page, PASSCODE)
    page.wait(lambda: "not right" in page.one("unlock-status").text, timeout=30)
    unlock(page, "battery staple")
    page.wait(lambda: page.user_messages() == [SECRET, "Tell me a long story"], timeout=30)
    nothing_sealed_under_an_old_key(page, "battery staple")
