"""Care in a crisis and saying what wellness0 is: Get help now (button and shortcut) with the
person's country, the crisis card above a reply, safety blocks that show help instead of only an
error, the first-run notice, and quick exit (button and Esc twice)."""


import pytest
from harness import browser
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

CRISIS = "I don't want to be here anymore. I keep thinking about ending my life."
FIGURATIVE = "this traffic is killing me"
EXIT_TO = "https://www.bbc.co.uk/weather"
DANGEROUS = [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
             {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
# Quick exit leaves for the internet. Tests must not: the Navigation API's `navigate` event
# records where the page was sent and how (`replace`), then cancels it, so the blanked page stays
# to be looked at. Nothing in the app changes for this. (And the browser of these tests resolves
# no name but loopback: see `no_internet`.)
HOLD_NAVIGATION = """
window.__exit = null;
window.__exitAborted = null;
navigation.addEventListener('navigate', (e) => {
  window.__exit = {url: e.destination.url, type: e.navigationType, cancelable: e.cancelable};
  e.preventDefault();
});
// A navigation cancelled in its navigate event ends in navigateerror (AbortError): it is over.
navigation.addEventListener('navigateerror', (e) => { window.__exitAborted = e.error && e.error.name; });
"""
# A page the tab shows before the chat, so that where Back goes is known.
BEFORE_THE_CHAT = "data:text/html,<title>before</title><p>The page before the chat.</p>"
BLANK = """return {children: document.body.childElementCount, text: document.body.innerText,
                   title: document.title, shown: getComputedStyle(document.documentElement).display,
                   exit: window.__exit}"""


@pytest.fixture
def no_internet(open_page, fakes, monkeypatch):
    """A page whose browser resolves every host name but loopback to "not found", without asking
    any DNS server: should a navigation get out, it stops there."""
    rules = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    monkeypatch.setattr(browser, "CHROME_FLAGS", [*browser.CHROME_FLAGS, rules])
    fakes.reset()
    return open_page()


def with_languages(page, languages):
    """The browser's languages (navigator.languages) become `languages`; the page reloads."""
    agent = page.d.execute_script("return navigator.userAgent")
    page.d.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": languages})
    page.d.refresh()
    page.one("transcript")
    page.wait_settled()
    assert page.d.execute_script("return navigator.languages.join(',')") == languages
    return page


def panel_open(page):
    return page.one("help-panel").get_attribute("open") is not None


def focused(page):
    return page.d.execute_script("const a = document.activeElement; return a.dataset.testid || a.id || a.tagName")


def emergency(page):
    return page.one("help-emergency", page.one("help-panel")).text


def line_names(within):
    return [h.text for h in within.find_elements("css selector", "[data-testid='help-line'] h3")]


def press(page, *keys, pause=0.05):
    chain = ActionChains(page.d)
    for key in keys:
        chain.send_keys(key).pause(pause)
    chain.perform()


def cards(page):
    return page.by_testid("crisis-card")


def card_above_reply(page, index):
    """Whether the element just before reply `index` is a crisis card (the user's message is above it)."""
    return page.d.execute_script(
        "const r = arguments[0], c = r.previousElementSibling;"
        "return !!c && c.dataset.testid === 'crisis-card' && c.previousElementSibling.dataset.testid === 'message-user'",
        page.reply(index))


def test_get_help_now_by_button_and_shortcut(page):
    with_languages(page, "en-GB,en").configure()
    button = page.one("get-help")
    assert button.get_attribute("aria-keyshortcuts") == "Alt+Shift+H"
    assert "Alt+Shift+H" in button.get_attribute("title")
    button.click()
    page.wait(lambda: panel_open(page))
    assert focused(page) == "help-title", "focus moves into the panel, onto its heading"
    text = page.one("help-panel").text
    assert text.index("If you are in immediate danger, call 999 or 112.") < text.index("Samaritans")
    assert [a.get_attribute("href") for a in page.by_testid("emergency-number")] == ["tel:999", "tel:112"]
    assert line_names(page.one("help-panel")) == ["Samaritans", "Shout"]
    calls = [a.get_attribute("href") for a in page.by_testid("help-call", page.one("help-panel"))]
    texts = [a.get_attribute("href") for a in page.by_testid("help-text", page.one("help-panel"))]
    assert calls == ["tel:116123"] and texts == ["sms:85258"]
    assert "Text SHOUT to 85258" in text and "24/7" in text
    # Esc closes it, focus goes back to the button; the settings drawer was not involved.
    press(page, Keys.ESCAPE)
    page.wait(lambda: not panel_open(page))
    assert focused(page) == "get-help"
    assert page.d.execute_script("return window.__exit === undefined && document.body.childElementCount > 0")

    # The shortcut works while typing, and types nothing.
    box = page.one("composer-input")
    box.send_keys("half a thought")
    ActionChains(page.d).key_down(Keys.ALT).key_down(Keys.SHIFT).send_keys("h").key_up(Keys.SHIFT).key_up(Keys.ALT).perform()
    page.wait(lambda: panel_open(page))
    assert box.get_attribute("value") == "half a thought"
    page.one("help-close").click()
    page.wait(lambda: not panel_open(page))
    assert focused(page) == "composer-input"


def test_the_country_comes_from_the_browser_and_a_choice_is_remembered(page):
    with_languages(page, "de-AT,de").configure()
    page.one("get-help").click()
    page.wait(lambda: panel_open(page))
    assert Select(page.one("help-region")).first_selected_option.text == "Austria"
    assert emergency(page) == "If you are in immediate danger, call 112 or 144."
    assert line_names(page.one("help-panel")) == ["TelefonSeelsorge – Notruf 142"]
    assert page.d.execute_script("return localStorage.getItem('wellness0.help-region')") is None, "detected, not stored"
    options = [o.text for o in Select(page.one("help-region")).options]
    assert len(options) == 17 and options[-1] == "Another country" and options[:-1] == sorted(options[:-1])

    Select(page.one("help-region")).select_by_value("NZ")
    page.wait(lambda: emergency(page) == "If you are in immediate danger, call 111.")
    assert line_names(page.one("help-panel"))[0] == "1737, Need to talk?"
    assert page.d.execute_script("return localStorage.getItem('wellness0.help-region')") == "NZ"
    page.d.refresh()
    page.wait_settled()
    page.one("get-help").click()
    page.wait(lambda: panel_open(page))
    assert emergency(page) == "If you are in immediate danger, call 111.", "the choice outlives a reload"

    Select(page.one("help-region")).select_by_visible_text("Another country")
    page.wait(lambda: "your local emergency number" in emergency(page))
    link = page.one("help-line", page.one("help-panel")).find_element("css selector", "a")
    assert link.get_attribute("href") == "https://findahelpline.com/" and link.get_attribute("rel") == "noopener noreferrer"


def test_a_country_the_table_lacks_gets_the_directory(page):
    with_languages(page, "ja-JP,ja").configure()
    page.one("get-help").click()
    page.wait(lambda: panel_open(page))
    assert Select(page.one("help-region")).first_selected_option.text == "Another country"
    assert emergency(page) == "If you are in immediate danger, call your local emergency number."


def test_crisis_card_for_crisis_language_only_and_the_chat_goes_on(page, fakes):
    with_languages(page, "en-US,en").configure()
    page.one("notice-ok").click()
    page.send(FIGURATIVE)
    page.wait_reply_state(0, "done")
    page.send(CRISIS)
    page.wait(lambda: cards(page))
    page.wait_reply_state(1, "done")
    assert f"You said: \"{CRISIS}\"" in page.reply_text(1), "the reply streamed as usual"
    assert len(cards(page)) == 1 and card_above_reply(page, 1), "one card, above the crisis turn's reply"
    card = cards(page)[0]
    assert "If you are in immediate danger, call 911." in card.text
    assert line_names(card) == ["988 Suicide & Crisis Lifeline", "Veterans Crisis Line", "Crisis Text Line"]
    page.d.execute_script("arguments[0].scrollIntoView({block: 'start'})", card)
    page.screenshot("care-crisis-card")
    page.phone()  # waits for the drawers to finish sliding away
    page.d.execute_script("arguments[0].scrollIntoView({block: 'start'})", card)
    page.screenshot("care-crisis-card-phone")
    page.send("thank you, I will call them")
    page.wait_reply_state(2, "done")
    assert len(cards(page)) == 1

    # Nothing extra went anywhere: the crisis turn's request is built like the others.
    streams = fakes.stream_requests()
    assert len(streams) == 3 and {r["path"] for r in fakes.requests()} <= {s["path"] for s in streams} | {
        "/v1beta/models"}
    assert streams[1]["body"]["systemInstruction"] == streams[0]["body"]["systemInstruction"]
    assert streams[1]["body"]["contents"][-1] == {"role": "user", "parts": [{"text": CRISIS}]}

    # Worked out again from the stored message after a reload; "More help" opens the panel.
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: len(page.replies()) == 3)
    page.wait(lambda: len(cards(page)) == 1 and card_above_reply(page, 1))
    page.one("crisis-card-more").click()
    page.wait(lambda: panel_open(page))


def test_safety_blocks_show_help_where_self_harm_may_be_involved(page, fakes):
    with_languages(page, "en-GB").configure()
    # Blocked as dangerous content: help instead of only an error.
    fakes.script({"kind": "blocked", "safety_ratings": DANGEROUS})
    page.send("what is the tallest bridge near me")
    reply = page.wait_reply_state(0, "failed")
    page.wait(lambda: card_above_reply(page, 0))
    assert "could not answer" in page.one("reply-error", reply).text
    # Blocked for something else, with an ordinary message: the plain refusal, no card.
    fakes.script({"kind": "blocked"})
    page.send("say something rude about my boss")
    reply = page.wait_reply_state(1, "failed")
    assert "declined to answer" in page.one("reply-error", reply).text and not card_above_reply(page, 1)
    # Blocked for something else, but the message itself signals crisis: the card.
    fakes.script({"kind": "blocked"})
    page.send(CRISIS)
    page.wait_reply_state(2, "failed")
    assert card_above_reply(page, 2)
    # Stopped part-way for safety: the text so far stays, with the note and the card.
    fakes.script({"kind": "safety_stop", "text": "I hear how heavy this is and", "after_chunks": 1})
    page.send("tell me the dose that would be too much")
    reply = page.wait_reply_state(3, "done")
    page.wait(lambda: card_above_reply(page, 3))
    assert "stopped this reply for safety" in reply.text
    assert [card_above_reply(page, i) for i in range(4)] == [True, False, True, True]
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: len(page.replies()) == 4)
    page.wait(lambda: [card_above_reply(page, i) for i in range(4)] == [True, False, True, True])


def test_first_run_notice_once_then_from_settings(page):
    page.configure()
    page.wait(lambda: page.d.execute_script("return getComputedStyle(arguments[0]).visibility", page.one("settings"))
              == "hidden")
    notice = page.one("first-run-notice")
    text = notice.text
    for said in ("not a therapist", "not an emergency service", "Google Gemini", "mem0", "no analytics",
                 "stays on this device"):
        assert said in text, said
    page.screenshot("care-first-run-notice")
    page.phone()  # waits for the drawers to finish sliding away as the layout turns narrow
    page.screenshot("care-first-run-notice-phone")
    page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    page.one("notice-get-help", notice).click()
    page.wait(lambda: panel_open(page))
    press(page, Keys.ESCAPE)
    page.wait(lambda: not panel_open(page))
    page.one("notice-ok").click()
    page.wait(lambda: not page.by_testid("first-run-notice"))
    assert focused(page) == "composer-input", "focus goes on to the message box"
    page.d.refresh()
    page.wait_settled()
    # The notice is rendered with the transcript, in the same view, when it is to be shown at all.
    page.one("transcript")
    assert not page.by_testid("first-run-notice"), "shown once"

    page.one("open-settings").click()
    page.wait(page.settings_open)
    about = page.one("open-about")
    page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", about)
    about.click()
    dialog = page.one("about-dialog")
    page.wait(lambda: dialog.get_attribute("open") is not None)
    assert focused(page) == "about-title"
    assert "not a therapist" in dialog.text and "no analytics" in dialog.text
    press(page, Keys.ESCAPE)
    page.wait(lambda: dialog.get_attribute("open") is None)
    assert page.settings_open(), "Esc closed the dialog, not the drawer under it"
    assert focused(page) == "open-about"


def test_quick_exit_blanks_the_page_and_replaces_it(no_internet, site):
    page = no_internet.configure()
    page.send(CRISIS)
    page.wait(lambda: cards(page))
    page.d.execute_script(HOLD_NAVIGATION)
    page.one("quick-exit").click()
    shown = page.d.execute_script(BLANK)
    assert shown == {"children": 0, "text": "", "title": "", "shown": "none",
                     "exit": {"url": EXIT_TO, "type": "replace", "cancelable": True}}, shown
    page.wait(lambda: page.d.execute_script("return window.__exitAborted") == "AbortError",
              message="the navigation to the neutral page was not held")
    assert page.d.current_url.startswith(site), "the navigation was held"
    png = page.d.get_screenshot_as_png()
    page.screenshot("care-after-exit")
    assert len(png) < 20_000, f"a blank screen compresses to almost nothing, not {len(png)} bytes"

    # Esc twice, from the message box: out. One Esc only closes what is open; two slow ones, or
    # two with a click between (closing one drawer, opening another), leave nothing.
    page.d.get(site)
    page.wait_settled()
    page.d.execute_script(HOLD_NAVIGATION)
    page.one("open-settings").click()
    page.wait(page.settings_open)
    press(page, Keys.ESCAPE)
    page.wait(lambda: not page.settings_open())
    # More than a second (DOUBLE_ESC_MS) passes before the next Esc: the page's clock is moved on.
    page.d.execute_script("const now = Date.now; Date.now = () => now() + 1500;")
    press(page, Keys.ESCAPE)
    page.one("open-settings").click()
    press(page, Keys.ESCAPE)
    page.wait(lambda: not page.settings_open())
    # An exit blanks the page in the keydown itself: had one of those Esc presses left, it shows now.
    assert page.d.execute_script(BLANK)["exit"] is None and page.by_testid("composer-input")
    page.one("composer-input").click()
    press(page, Keys.ESCAPE, Keys.ESCAPE)
    assert page.d.execute_script(BLANK) == {"children": 0, "text": "", "title": "", "shown": "none",
                                            "exit": {"url": EXIT_TO, "type": "replace", "cancelable": True}}

    # The panel has its own Exit (the modal makes the top bar's unreachable).
    page.d.get(site)
    page.wait_settled()
    page.d.execute_script(HOLD_NAVIGATION)
    page.one("get-help").click()
    page.wait(lambda: panel_open(page))
    page.one("help-exit").click()
    assert page.d.execute_script(BLANK)["exit"]["url"] == EXIT_TO


def test_after_quick_exit_back_does_not_return_to_the_chat(no_internet, site):
    # Here the navigation really happens, to a name this browser will not resolve: it shows its
    # error page in the chat's place in the history, and nothing leaves the machine.
    page = no_internet
    page.d.get(BEFORE_THE_CHAT)
    before = page.d.current_url
    page.d.get(site)
    page.one("transcript")
    page.wait_settled()
    page.configure()
    length = page.d.execute_script("return history.length")
    page.one("quick-exit").click()
    page.wait(lambda: page.d.current_url.startswith(EXIT_TO))
    assert "ERR_NAME_NOT_RESOLVED" in page.d.find_element("tag name", "body").text
    assert page.d.execute_script("return history.length") == length, "replaced, not added"
    page.d.back()
    # Back has gone somewhere (the neutral page is left) before we look where: not to the chat.
    page.wait(lambda: not page.d.current_url.startswith(EXIT_TO), message="Back did not leave the neutral page")
    assert not page.d.current_url.startswith(site), page.d.current_url
    assert page.d.current_url == before, f"Back went to {page.d.current_url}, not to the page before the chat"


def test_hostile_text_stays_inert(page):
    page.configure()
    hostile = '<img src=x onerror="window.__pwned=1"> I want to kill myself <script>window.__pwned=2</script>'
    page.send(hostile)
    page.wait(lambda: cards(page))
    page.wait_reply_state(0, "done")
    assert page.user_messages() == [hostile]
    page.d.execute_script("localStorage.setItem('wellness0.help-region', arguments[0])",
                          '"><img src=x onerror="window.__pwned=3">')
    page.d.refresh()
    page.wait_settled()
    page.one("get-help").click()
    page.wait(lambda: panel_open(page))
    assert Select(page.one("help-region")).first_selected_option.text == "Another country"
    assert not page.hostile_code_ran()


def test_help_and_exit_stay_on_the_top_bar_at_every_width(page):
    page.configure()
    for width in (375, 414, 600, 768, 900, 1024, 1280):
        if width < 500:
            page.phone(width)
        else:
            page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            page.d.set_window_size(width, 900)
            page.wait(lambda: page.d.execute_script("return window.innerWidth") == width)
        boxes = page.d.execute_script("""
            return [...document.querySelectorAll('.topbar button')].filter((b) => b.offsetParent)
              .map((b) => { const r = b.getBoundingClientRect();
                            return {id: b.dataset.testid, l: r.left, r: r.right, t: r.top, b: r.bottom}; });""")
        ids = [b["id"] for b in boxes]
        assert "get-help" in ids and "quick-exit" in ids, (width, ids)
        for b in boxes:
            assert 0 <= b["l"] and b["r"] <= width and b["b"] <= 120, (width, b)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                apart = a["r"] <= b["l"] or b["r"] <= a["l"] or a["b"] <= b["t"] or b["b"] <= a["t"]
                assert apart, (width, a, b)
        assert page.no_sideways_scroll(), width


def settled(page):
    """Waits for a frame to be drawn and every finite animation or transition to end, so that a
    screenshot or a measurement shows the layout, not a frame of its change."""
    page.d.execute_async_script(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(done));")
    page.wait(lambda: page.d.execute_script(
        "return document.getAnimations().every((a) => a.playState !== 'running'"
        " || a.effect.getComputedTiming().endTime === Infinity)"), message="the page's animations never ended")


def luminance(css_colour):
    """Relative luminance (WCAG) of an `rgb(...)` / `rgba(...)` computed colour."""
    channels = [float(c) / 255 for c in css_colour[css_colour.index("(") + 1:-1].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_screenshots_of_the_help_panel(page):
    """The help panel in light and dark, on a desktop and a phone: each screenshot shows the
    panel open, whole on the screen, with the country's help, in the scheme asked for."""
    with_languages(page, "en-US,en").configure()
    page.one("notice-ok").click()
    seen = {}
    for scheme in ("light", "dark"):
        page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme",
                                                                             "value": scheme}]})
        for name, width in (("desktop", 1280), ("phone", 375)):
            if width < 500:
                page.phone(width)
            else:
                page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
                page.d.set_window_size(width, 900)
                page.wait(lambda: page.d.execute_script("return window.innerWidth") == width)
            settled(page)
            page.one("get-help").click()
            page.wait(lambda: panel_open(page))
            settled(page)
            panel = page.one("help-panel")
            box = page.d.execute_script("""
                const r = arguments[0].getBoundingClientRect(), s = getComputedStyle(arguments[0]);
                return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: innerWidth, h: innerHeight,
                        bg: s.backgroundColor, fg: s.color,
                        scheme: matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'};""", panel)
            state = f"{name}-{scheme}"
            assert box["scheme"] == scheme, state
            assert 0 <= box["l"] and box["r"] <= box["w"] and 0 <= box["t"] and box["b"] <= box["h"], (state, box)
            assert page.no_sideways_scroll(), state
            assert emergency(page) == "If you are in immediate danger, call 911.", state
            assert line_names(panel)[0] == "988 Suicide & Crisis Lifeline", state
            assert focused(page) == "help-title", state
            seen[state] = (luminance(box["bg"]), luminance(box["fg"]))
            page.screenshot(f"care-help-panel-{state}")
            page.one("help-close").click()
            page.wait(lambda: not panel_open(page))
    for state, (bg, fg) in seen.items():
        light_on_dark = state.endswith("-dark")
        assert (fg > bg) == light_on_dark, f"{state}: text luminance {fg:.2f} on background {bg:.2f}"
        assert (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05) >= 4.5, f"{state}: text hard to read on the panel"
