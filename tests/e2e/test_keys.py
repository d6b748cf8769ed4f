"""Keys in Settings (issue 13, part 3): where each key is kept, said plainly, and Forget keys,
which asks first, then removes every key this browser stored, in every open tab."""

import json

from harness import GEMINI_KEY, MEM0_KEY, ChatPage


def keys_in_storage(page):
    """Which of the test's keys the browser's storage for this tab holds (in any form)."""
    stored = json.dumps(page.d.execute_script(
        "return [Object.entries(localStorage), Object.entries(sessionStorage)]"))
    return [key for key in (GEMINI_KEY, MEM0_KEY) if key in stored]


def place(page, which):
    # textContent: the words are there whether or not the drawer is on screen.
    return page.one(f"key-place-{which}").get_attribute("textContent")


def focused(page):
    return page.d.execute_script("return document.activeElement?.dataset.testid ?? null")


def press(page, testid):
    """Clicks a control of the Settings drawer, scrolled clear of its sticky heading."""
    control = page.one(testid)
    page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", control)
    control.click()


def open_settings(page):
    if not page.settings_open():
        page.one("open-settings").click()
        page.wait(page.settings_open)


def test_settings_says_where_each_key_is_kept_and_forgets_them_in_every_tab_after_asking(page, fakes):
    page.configure(mem0_key=MEM0_KEY, user_id="keys-e2e")
    open_settings(page)
    assert "for this tab only" in place(page, "gemini") and "for this tab only" in place(page, "mem0")
    assert place(page, "selfhosted").endswith("no key")
    assert keys_in_storage(page) == [GEMINI_KEY, MEM0_KEY]

    # Remembered on the device (no passcode: the place says it is not encrypted).
    press(page, "remember-keys")
    press(page, "settings-save")
    page.wait(lambda: "remembered on this device, not encrypted" in place(page, "gemini"))
    assert "remembered on this device" in place(page, "mem0")

    # A second tab finds them.
    first = page.d.current_window_handle
    page.d.switch_to.new_window("tab")
    other = ChatPage(page.d, page.site_url, fakes).open()
    assert "remembered on this device" in place(other, "gemini")
    page.d.switch_to.window(first)

    # Forget asks first; Cancel keeps everything and gives the focus back.
    press(page, "forget-keys")
    box = page.one("forget-keys-box")
    assert "every open tab" in box.text and "proxy holds are not affected" in box.text
    page.wait(lambda: focused(page) == "forget-keys-confirm")
    press(page, "forget-keys-cancel")
    page.wait(lambda: not page.by_testid("forget-keys-box"))
    page.wait(lambda: focused(page) == "forget-keys")
    assert keys_in_storage(page) == [GEMINI_KEY, MEM0_KEY]

    press(page, "forget-keys")
    press(page, "forget-keys-confirm")
    page.wait(lambda: "Keys forgotten" in page.one("keys-status").text)
    assert keys_in_storage(page) == []
    assert all(place(page, which).endswith("no key") for which in ("gemini", "mem0", "selfhosted"))
    assert not page.by_testid("forget-keys"), "nothing left to forget"
    page.wait(lambda: focused(page) == "gemini-key", message="the page asks for a key again")

    # The other tab forgot them too, without a reload.
    page.d.switch_to.window(page.d.window_handles[-1])
    other.wait(lambda: place(other, "gemini").endswith("no key"), message="the other tab kept its keys")
    assert place(other, "mem0").endswith("no key") and keys_in_storage(other) == []
