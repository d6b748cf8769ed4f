"""The chat, end to end: the seed's script, streaming, reload, settings and keys."""

import json

from harness import GEMINI_KEY
from seed_script import SEED_SCRIPT
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


# Watches reply `arguments[0]` from inside the page as it renders: every text length it shows
# (in order, each once) and whether the transcript said it was busy while the reply streamed.
# Seen by the page itself, not by polling over WebDriver, which on a busy machine can miss
# every piece but the last.
WATCH_STREAM = """
const index = arguments[0];
const transcript = document.querySelector('[data-testid=transcript]');
const seen = window.__w0stream = {lengths: [], busy: false};
const look = () => {
  const reply = document.querySelectorAll('[data-testid=message-model]')[index];
  if (!reply) return;
  if (reply.dataset.state === 'streaming' && transcript.getAttribute('aria-busy') === 'true') seen.busy = true;
  const text = reply.querySelector('[data-testid=message-text]');
  const length = text ? text.innerText.length : 0;
  if (length && seen.lengths[seen.lengths.length - 1] !== length) seen.lengths.push(length);
};
if (window.__w0streamWatch) window.__w0streamWatch.disconnect();
window.__w0streamWatch = new MutationObserver(look);
window.__w0streamWatch.observe(transcript, {subtree: true, childList: true, characterData: true, attributes: true});
"""


def send_and_watch(page, index, message, timeout=20):
    """Sends `message` as turn `index` and waits for its reply to finish; returns the distinct
    text lengths the page showed on the way and whether the transcript was aria-busy meanwhile.
    Fails if the reply is still streaming after `timeout` seconds."""
    page.d.execute_script(WATCH_STREAM, index)
    page.send(message)
    page.wait_reply_state(index, "done", timeout=timeout)
    seen = page.d.execute_script("window.__w0streamWatch.disconnect(); return window.__w0stream")
    return seen["lengths"], seen["busy"]


def test_seed_script_streams_replies_with_history_and_survives_reload(page, fakes):
    page.configure()
    for i, message in enumerate(SEED_SCRIPT):
        lengths, busy_seen = send_and_watch(page, i, message)
        assert busy_seen, "transcript should be aria-busy while streaming"
        assert len(lengths) >= 2, f"reply {i} did not arrive in pieces: {lengths}"
        assert f'You said: "{message[:40]}' in page.reply_text(i)
    assert "Turns so far: 3" in page.reply_text(2)

    streams = fakes.stream_requests()
    assert len(streams) == 3
    for req in streams:
        assert req["query"].get("alt") == "sse"
        assert "key" not in req["query"], "the key must never be in a URL"
        assert req["headers"]["x-goog-api-key"] == GEMINI_KEY
        system = req["body"]["systemInstruction"]["parts"][0]["text"]
        assert "virtual therapist" in system
    last = streams[-1]["body"]["contents"]
    assert [c["role"] for c in last] == ["user", "model", "user", "model", "user"]
    assert last[0]["parts"][0]["text"] == SEED_SCRIPT[0]
    assert last[-1]["parts"][0]["text"] == SEED_SCRIPT[2], "the persona must not be glued onto the user's text"

    replies = [page.reply_text(i) for i in range(3)]
    page.d.refresh()
    page.wait(lambda: len(page.replies()) == 3)
    assert page.user_messages() == SEED_SCRIPT
    assert all(r.get_attribute("data-state") == "done" for r in page.replies())
    assert [page.reply_text(i) for i in range(3)] == replies, "the replies come back word for word"
    page.screenshot("seed-script-desktop")
    page.phone()
    assert page.no_sideways_scroll(), "no sideways scrolling on a phone"
    page.screenshot("seed-script-phone")


def test_key_stays_out_of_the_dom_urls_and_device_storage(page, fakes):
    secret = "AIza-e2e-secret-key-123"
    fakes.reset()
    page.configure(key=secret)
    assert page.one("gemini-key").get_attribute("value") == ""
    assert secret not in page.d.page_source
    local = page.d.execute_script("return JSON.stringify(Object.assign({}, localStorage))")
    session = page.d.execute_script("return JSON.stringify(Object.assign({}, sessionStorage))")
    assert secret not in local, "keys stay in the tab unless the user opts in"
    assert secret in session
    page.send("hello")
    page.wait_reply_state(0, "failed")  # the fake does not know this key
    req = fakes.stream_requests()[0]
    assert req["headers"]["x-goog-api-key"] == secret
    assert secret not in req["path"] and secret not in str(req["query"])
    # Nor once the conversation (with its failed reply) has been stored.
    page.wait(lambda: len(page.stored().get("messages", [])) == 2)
    stored = json.dumps(page.stored())
    local = page.d.execute_script("return JSON.stringify(Object.assign({}, localStorage)) + document.cookie")
    assert "hello" in stored and secret not in stored and secret not in local
    assert secret not in page.d.page_source


def test_model_picker_lists_chat_models_from_the_api(page, fakes):
    page.configure()
    page.one("open-settings").click()
    page.wait(lambda: "models available" in page.one("models-status").text)
    options = [o.get_attribute("value") for o in page.d.find_elements(By.CSS_SELECTOR, "#gemini-models option")]
    assert "gemini-3.5-flash" in options
    assert not [o for o in options if "embedding" in o or "tts" in o]
    assert any(r["path"] == "/v1beta/models" for r in fakes.requests())


def test_new_session_starts_empty_and_keeps_the_previous_one(page):
    page.configure()
    page.send("I had a long day.")
    page.wait_reply_state(0, "done")
    page.one("list-new-session").click()  # at desktop width, atop the session list
    page.wait(lambda: not page.replies())
    assert "No rush. No judgement." in page.one("greeting").text
    page.wait(lambda: [t.get_attribute("textContent") for t in page.by_testid("session-title")] == ["I had a long day."])
    # A reload comes back to the new session; the earlier one is a click away.
    page.d.refresh()
    page.one("greeting")
    page.wait(lambda: page.by_testid("session-open"))
    page.one("session-open").click()
    page.wait(lambda: page.user_messages() == ["I had a long day."])


def test_dark_mode_follows_the_system_setting(page):
    light = page.d.execute_script("return getComputedStyle(document.body).backgroundColor")
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    page.wait(lambda: page.d.execute_script("return getComputedStyle(document.body).backgroundColor") != light)
    dark = page.d.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert dark == "rgb(21, 24, 28)", dark
    page.screenshot("dark-desktop")


def test_escape_closes_the_drawers(page):
    page.wait(page.settings_open)  # a first visit without a key opens Settings
    page.one("gemini-base-url").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.settings_open())
    page.phone()
    page.one("open-memory").click()
    sidebar = page.one("memory-sidebar")
    page.wait(lambda: "open" in sidebar.get_attribute("class"))
    page.one("memory-search").send_keys(Keys.ESCAPE)
    page.wait(lambda: "open" not in sidebar.get_attribute("class"))
