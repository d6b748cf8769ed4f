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
from harness import GEMINI_KEY, MEM0_KEY, ChatPage, launch_proxy, new_driver, proxy_binary, quit_driver
from test_shared_proxy import sign_in

PASSWORD = "ann-correct-horse-1"
# Words nobody else writes: searched for in the server's database afterwards.
FIRST = "The lighthouse at Skerryvore keeps me awake."
SECOND = "Tonight the marigolds on the balcony finally opened."


def add_user(env, name, password):
    subprocess.run([proxy_binary(), "users", "add", name, "--password-stdin"], input=password + "\n", text=True,
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=60)


def signed_in_page(driver, url, fakes):
    sign_in(driver, url, "ann", PASSWORD)
    page = ChatPage(driver, url, fakes)
    page.one("transcript")
    page.wait_settled()
    return page


def sync_state(page):
    page.one("open-settings").click()
    page.wait(page.settings_open)
    section = page.one("sync-section")
    page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", section)
    return section


def close_settings(page):
    page.d.execute_script("arguments[0].click()", page.one("settings-close"))


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
        second.one("open-sessions").click()
        second.wait(lambda: FIRST in second.session_titles(), timeout=20,
                    message=f"the laptop's session never reached the phone: {second.session_titles()}")
        second.one("session-open", second.session(FIRST)).click()
        second.wait(lambda: second.user_messages() == [FIRST], message=f"{second.user_messages()}")
        assert second.reply_text(0) == reply
        sync_state(second)
        second.wait(lambda: "Synced" in second.one("sync-state").text, message=second.one("sync-state").text)
        assert "On:" in second.one("sync-on").text
        second.screenshot(f"{artifacts_prefix}-phone-sync-settings")
        close_settings(second)

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
    env = {"WELLNESS0_DATA_DIR": str(data)}
    add_user(env, "ann", PASSWORD)
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY, env=env,
                      binary=proxy_binary()) as proxy:
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
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY, env=env,
                      binary=proxy_binary()) as one, \
            launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY, env=env,
                         binary=proxy_binary()) as two:
        # The laptop talks to one instance, the phone to the other: the change crosses by NOTIFY.
        texts = share_live(fakes, one.url, two.url, "sync-postgres")
    dump = subprocess.run([pg_tool("pg_dump"), url], check=True, capture_output=True, timeout=60).stdout
    assert b"sync_records" in dump, "the dump holds the records table"
    assert_absent(dump, texts, "the PostgreSQL dump")
