"""Accessibility, checked by axe-core (the WCAG 2.0 and 2.1 level A and AA rules) on each main
state of the app — first visit with Settings open, empty chat, a reply streaming, an error in
place, the memory sidebar with a reply's memories, the help panel, the session list, the lock
screen, a phone's width with each drawer open, and all of it again in dark mode — asserting zero
violations. Every state's result goes to tests/e2e/artifacts/axe-results.json."""

import pytest
from harness import MEM0_KEY

import axe

SLOW = {"kind": "reply", "text": " ".join(f"word{i}" for i in range(60)), "chunk_words": 2,
        "first_delay_ms": 100, "chunk_delay_ms": 250}


@pytest.fixture(scope="module")
def results():
    checked = {}
    yield checked
    axe.write(checked)


def dark(page, on=True):
    features = [{"name": "prefers-color-scheme", "value": "dark"}] if on else []
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def open_drawer(page, toggle, drawer):
    page.one(toggle).click()
    page.wait(lambda: "open" in page.one(drawer).get_attribute("class"))
    # Wait for the slide to end: axe reads colours off what is painted.
    page.wait(lambda: page.d.execute_script(
        "return arguments[0].getAnimations().length === 0", page.one(drawer)))


def close_drawer(page, close, drawer):
    page.one(close).click()
    page.wait(lambda: "open" not in page.one(drawer).get_attribute("class"))
    page.wait(lambda: page.d.execute_script("return arguments[0].getAnimations().length === 0", page.one(drawer)))


def help_panel(page, results, state):
    page.one("get-help").click()
    page.wait(lambda: page.one("help-panel").get_attribute("open") is not None)
    found = {state: axe.check(page, state, results)}
    page.one("help-close").click()
    page.wait(lambda: page.one("help-panel").get_attribute("open") is None)
    return found


def conversation(page, fakes, results, suffix):
    """Empty chat, a reply streaming, the finished reply with its memories, an error in place."""
    found = {}
    found[f"empty chat{suffix}"] = axe.check(page, f"empty chat{suffix}", results)
    fakes.script(SLOW)
    page.send("How are you today?")
    page.wait(lambda: page.reply_state(0) == "streaming" and len(page.reply_text(0).split()) >= 4)
    found[f"streaming{suffix}"] = axe.check(page, f"streaming{suffix}", results)
    assert page.reply_state(0) == "streaming", "the reply finished before axe was done: make SLOW slower"
    page.wait_reply_state(0, "done", timeout=30)
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text)
    page.one("memory-chip", page.reply(0)).click()
    page.one("memory-used")
    # On a narrow screen the sidebar slides in as a drawer: let it land before axe reads colours.
    page.wait(lambda: page.d.execute_script(
        "return arguments[0].getAnimations().length === 0", page.one("memory-sidebar")))
    found[f"memory sidebar, a reply selected{suffix}"] = axe.check(
        page, f"memory sidebar, a reply selected{suffix}", results)
    if page.one("memory-sidebar").get_attribute("aria-modal") == "true":  # a drawer over the chat
        close_drawer(page, "memory-close", "memory-sidebar")
    fakes.script({"kind": "error", "status": 429, "retry_delay": "7200s"})
    page.send("And tomorrow?")
    page.wait_reply_state(1, "failed")
    found[f"error in place{suffix}"] = axe.check(page, f"error in place{suffix}", results)
    return found


def test_desktop_states_have_no_wcag_violations(page, fakes, results):
    found = {}
    page.wait(page.settings_open)  # a first visit without a key opens Settings
    found["first visit, settings open"] = axe.check(page, "first visit, settings open", results)
    page.configure(mem0_key=MEM0_KEY, user_id="a11y-e2e")
    found.update(conversation(page, fakes, results, ""))
    found.update(help_panel(page, results, "help panel open"))
    open_drawer(page, "open-settings", "settings")
    found["settings open"] = axe.check(page, "settings open", results)
    close_drawer(page, "settings-close", "settings")
    problems = {state: v for state, v in found.items() if v}
    assert not problems, axe.describe(problems)


def test_phone_and_dark_states_have_no_wcag_violations(page, fakes, results):
    found = {}
    page.configure(mem0_key=MEM0_KEY, user_id="a11y-phone-e2e")
    page.phone()
    found.update(conversation(page, fakes, results, ", phone"))
    for toggle, drawer, close, state in (("open-sessions", "session-list", "sessions-close", "session list open, phone"),
                                         ("open-memory", "memory-sidebar", "memory-close", "memory drawer open, phone"),
                                         ("open-settings", "settings", "settings-close", "settings open, phone")):
        open_drawer(page, toggle, drawer)
        found[state] = axe.check(page, state, results)
        close_drawer(page, close, drawer)
    dark(page)
    found["conversation with an error, phone, dark"] = axe.check(page, "conversation with an error, phone, dark", results)
    open_drawer(page, "open-settings", "settings")
    found["settings open, phone, dark"] = axe.check(page, "settings open, phone, dark", results)
    close_drawer(page, "settings-close", "settings")
    page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    found["conversation with an error, dark"] = axe.check(page, "conversation with an error, dark", results)
    found.update(help_panel(page, results, "help panel open, dark"))
    open_drawer(page, "open-settings", "settings")
    found["settings open, dark"] = axe.check(page, "settings open, dark", results)
    problems = {state: v for state, v in found.items() if v}
    assert not problems, axe.describe(problems)
