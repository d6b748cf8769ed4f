"""Sync: one person on a laptop and a phone, signed in to one wellness0 server. The first device
makes the key and shows the recovery code once; the second signs in and has the history; a
message on one shows on the other without a reload; and the server's database holds none of the
words (through one proxy on SQLite, and through two proxies on one PostgreSQL)."""

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from harness import (GEMINI_KEY, MEM0_KEY, ChatPage, add_user, launch_proxy, new_driver, proxy_binary, quit_driver,
                     sign_in)
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "ann-correct-horse-1"
# Words nobody else writes: searched for in the server's database afterwards.
FIRST = "The lighthouse at Skerryvore keeps me awake."
SECOND = "Tonight the marigolds on the balcony finally opened."


def ann_on_sqlite(data):
    """The environment of a proxy whose SQLite accounts in `data` hold ann."""
    env = {"WELLNESS0_DATA_DIR": str(data)}
    add_user(env, "ann", PASSWORD)
    return env


def shared_proxy(fakes, env):
    """A shared proxy on the accounts `env` names, in front of the fakes."""
    return launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY, env=env,
                        binary=proxy_binary())


def signed_in_page(driver, url, fakes):
    sign_in(driver, url, "ann", PASSWORD)
    page = ChatPage(driver, url, fakes)
    page.one("transcript")
    page.wait_settled()
    return page


def sync_state(page):
    return page.settings_section("sync-section", "center")


def open_synced_session(page, title):
    """Opens the session `title` once it has come from the other device."""
    page.one("open-sessions").click()
    page.wait(lambda: title in page.session_titles(), timeout=20,
              message=f"the session never reached this device: {page.session_titles()}")
    page.one("session-open", page.session(title)).click()
    page.wait(lambda: page.user_messages() == [title], message=f"{page.user_messages()}")


def share_live(fakes, laptop_url, phone_url, artifacts_prefix):
    """The whole story on two browsers; returns the words that must not be on the server."""
    laptop, phone = new_driver(), new_driver(width=390, height=844)
    try:
        first = signed_in_page(laptop, laptop_url, fakes)
        # The first device makes the key: the recovery code, once, in eight groups of four.
        code = first.one("recovery-code").text
        assert re.fullmatch(r"([0-9a-f]{4}-){7}[0-9a-f]{4}", code), code
        first.screenshot(f"{artifacts_prefix}-recovery-code")
        first.one("recovery-noted").click()
        first.wait(lambda: not first.by_testid("recovery-notice"))
        first.send(FIRST)
        first.wait_reply_state(0, "done")
        reply = first.reply_text(0)

        # The phone signs in and has the session: its words and the reply, nothing asked twice.
        second = signed_in_page(phone, phone_url, fakes)
        assert not second.by_testid("recovery-notice"), "the code is made once, on the first device"
        open_synced_session(second, FIRST)
        assert second.reply_text(0) == reply
        sync_state(second)
        second.wait(lambda: "Synced" in second.one("sync-state").text, message=second.one("sync-state").text)
        assert "On:" in second.one("sync-on").text
        second.screenshot(f"{artifacts_prefix}-phone-sync-settings")
        second.close_settings()

        # Live: the phone writes, the laptop (open on the same session, not reloaded) shows it.
        second.send(SECOND)
        second.wait_reply_state(1, "done")
        sent_at = time.monotonic()
        first.wait(lambda: SECOND in first.user_messages(), timeout=10,
                   message=f"the phone's message never showed on the laptop: {first.user_messages()}")
        took = time.monotonic() - sent_at
        print(f"sync: the phone's message showed on the laptop {took:.2f} s after its reply finished")
        first.wait(lambda: len(first.replies()) == 2 and first.reply_state(1) == "done")
        first.screenshot(f"{artifacts_prefix}-laptop-live")
        return [FIRST, SECOND, reply, second.reply_text(1)]
    finally:
        quit_driver(laptop)
        quit_driver(phone)


def distinctive_words(texts):
    """Words of the conversation long enough that a match is not chance."""
    return sorted({w for t in texts for w in re.findall(r"[A-Za-z]{8,}", t)})


def assert_absent(blob, texts, where):
    words = distinctive_words(texts)
    assert words, texts
    found = [w for w in words if w.encode() in blob or w.lower().encode() in blob.lower()]
    assert not found, f"{where} holds words of the conversation: {found}"


@pytest.mark.timeout(240)
def test_two_browsers_share_their_sessions_live_through_one_proxy_on_sqlite(fakes, tmp_path):
    fakes.reset()
    data = tmp_path / "state"
    env = ann_on_sqlite(data)
    with shared_proxy(fakes, env) as proxy:
        texts = share_live(fakes, proxy.url, proxy.url, "sync-sqlite")
    # Everything the server wrote (the database and its write-ahead log): none of the words.
    files = [p for p in Path(data).rglob("*") if p.is_file()]
    assert any(p.name.endswith(".db") for p in files), files
    assert_absent(b"".join(p.read_bytes() for p in files), texts, "the SQLite files")


def pg_tool(name):
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else None


@pytest.mark.timeout(300)
def test_two_browsers_share_live_through_two_proxies_on_one_postgresql(fakes, tmp_path):
    server = os.environ.get("W0_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("W0_TEST_POSTGRES_URL is not set (scripts/test.sh starts a cluster and sets it)")
    fakes.reset()
    name = f"w0_sync_{uuid.uuid4().hex[:12]}"
    subprocess.run([pg_tool("psql"), server, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True,
                   timeout=30)
    url = f"{server.rsplit('/', 1)[0]}/{name}"
    env = {"WELLNESS0_DATABASE_URL": url}
    add_user(env, "ann", PASSWORD)
    with shared_proxy(fakes, env) as one, \
            shared_proxy(fakes, env) as two:
        # The laptop talks to one instance, the phone to the other: the change crosses by NOTIFY.
        texts = share_live(fakes, one.url, two.url, "sync-postgres")
    dump = subprocess.run([pg_tool("pg_dump"), url], check=True, capture_output=True, timeout=60).stdout
    assert b"sync_records" in dump, "the dump holds the records table"
    assert_absent(dump, texts, "the PostgreSQL dump")


def change_password(driver, current, new):
    driver.find_element("id", "current").send_keys(current)
    driver.find_element("id", "password").send_keys(new)
    driver.find_element("id", "confirm").send_keys(new)
    driver.find_element("css selector", "button[type=submit]").click()


def heading(driver):
    return driver.execute_script("return document.querySelector('h1')?.textContent || ''")


@pytest.mark.timeout(240)
def test_a_changed_password_rewraps_the_key_and_the_next_device_needs_no_recovery_code(fakes, tmp_path):
    fakes.reset()
    data = tmp_path / "state"
    env = ann_on_sqlite(data)
    new_password = "ann-new-battery-staple-2"
    with shared_proxy(fakes, env) as proxy:
        laptop, phone = new_driver(), new_driver(width=390, height=844)
        try:
            first = signed_in_page(laptop, proxy.url, fakes)
            first.one("recovery-noted").click()
            first.send(FIRST)
            first.wait_reply_state(0, "done")
            sync_state(first)
            first.wait(lambda: "Synced" in first.one("sync-state").text, message=first.one("sync-state").text)
            first.d.execute_script("arguments[0].click()", first.one("change-password"))
            first.wait(lambda: heading(laptop) == "Change your password", message=heading(laptop))

            # A wrong current password changes nothing and says so.
            change_password(laptop, "not-my-password", new_password)
            first.wait(lambda: "not your current password" in laptop.page_source)
            first.screenshot("sync-password-wrong-current")
            assert heading(laptop) == "Change your password"
            change_password(laptop, PASSWORD, new_password)
            first.wait(lambda: heading(laptop) == "Your password is changed", message=heading(laptop))
            first.screenshot("sync-password-changed")
            key = laptop.execute_script("return sessionStorage.getItem('wellness0.signin-wrap')")
            assert key and '"ann"' in key, "the new password's wrapping key waits for the app"
            laptop.find_element("link text", "Back to wellness0").click()
            back = ChatPage(laptop, proxy.url, fakes)
            back.one("transcript")
            back.wait_settled()
            assert back.user_messages() == [FIRST], "this browser stays signed in, its sessions as they were"
            assert laptop.execute_script("return sessionStorage.getItem('wellness0.signin-wrap')") is None

            # The old password no longer signs in; the new one does, and opens the synced key.
            sign_in(phone, proxy.url, "ann", PASSWORD)
            WebDriverWait(phone, 20).until(lambda d: "do not match" in d.page_source)
            sign_in(phone, proxy.url, "ann", new_password)
            second = ChatPage(phone, proxy.url, fakes)
            second.one("transcript")
            second.wait_settled()
            assert not second.by_testid("recovery-notice"), "the key is the same one: no new code"
            open_synced_session(second, FIRST)
            sync_state(second)
            second.wait(lambda: "Synced" in second.one("sync-state").text, message=second.one("sync-state").text)
            assert not second.by_testid("sync-needs-recovery"), "the new password opens the key"
        finally:
            quit_driver(laptop)
            quit_driver(phone)
