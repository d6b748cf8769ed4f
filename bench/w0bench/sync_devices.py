"""Sync between real browsers: a new device signing in to a long history (time and bytes on the
wire against the plaintext the records carry), and how soon a message written on one open device
shows on another (p50/p95; through one proxy, or two proxies on one PostgreSQL)."""

import time

from harness import ChatPage, new_driver, quit_driver, sign_in
from harness.net import wait_until
from selenium.webdriver.common.keys import Keys

from .common import log, pct
from .inpage import probe
from .sessions_seed import plan, seed_sessions
from .sync_client import SyncClient

# The database's records of one store, counted from the page.
COUNT = """
const [store, done] = arguments;
const open = indexedDB.open("wellness0", 2);
open.onerror = () => done(-1);
open.onsuccess = () => {
  const req = open.result.transaction(store).objectStore(store).count();
  req.onsuccess = () => { open.result.close(); done(req.result); };
  req.onerror = () => { open.result.close(); done(-1); };
};
"""

# Notes, in the page, when each user message's words first show (Date.now(): one clock for both browsers).
WATCH = """
window.__w0seen = {};
new MutationObserver(() => {
  for (const m of document.querySelectorAll('[data-testid="message-user"] [data-testid="message-text"]')) {
    if (!(m.textContent in window.__w0seen)) window.__w0seen[m.textContent] = Date.now();
  }
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""


def app_ready(d, url, fakes, timeout=60):
    page = ChatPage(d, url, fakes)
    page.wait(lambda: page.by_testid("transcript"), timeout=timeout)
    page.wait_settled()
    return page


def count(d, store):
    return d.execute_async_script(COUNT, store)


def server_seq(client):
    """The account's latest sequence number: one per record stored."""
    return client.call("GET", "changes?since=999999999999&limit=1")[1]["seq"]


def sync_bytes(d):
    """Bytes received for the sync API's answers (Chromium's network log: the encoded length on
    the wire, headers included) and how many answers."""
    import json
    urls, total, answers = {}, 0, 0
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif msg["method"] == "Network.loadingFinished" and "/api/sync/changes" in urls.get(params["requestId"], ""):
            total += params["encodedDataLength"]
            answers += 1
    return total, answers


def new_device(proxy_url, fakes, cfg, password):
    """The laptop has `sessions` × `messages` stored and sends them; then the phone signs in."""
    sessions, per = cfg.sync_sessions, cfg.sync_messages
    laptop = new_driver()
    phone = new_driver(width=390, height=844, performance_log=True)
    try:
        sign_in(laptop, proxy_url, "ann", password)
        first = app_ready(laptop, proxy_url, fakes)
        first.one("recovery-noted").click()
        seeded = seed_sessions(laptop, plan(sessions, per, days_ago=1), per_tx=20)
        laptop.refresh()  # the app starts again and sends everything it has (a full look at start)
        app_ready(laptop, proxy_url, fakes)
        stored = laptop.execute_async_script(probe("record-bytes"))
        plaintext = stored["messages"]["data"] + stored["sessions"]["data"]
        log(f"sync: the laptop holds {stored['messages']['records']:,} messages ({plaintext:,} bytes of JSON)")
        # Sent once the server holds a record for every message and session.
        started, server = time.monotonic(), SyncClient(proxy_url, "ann", password)
        want_records = stored["messages"]["records"] + stored["sessions"]["records"]
        wait_until(lambda: server_seq(server) >= want_records, timeout=900, interval=0.5,
                   message=f"the server holding all {want_records} records")
        upload_s = time.monotonic() - started

        started = time.monotonic()
        sign_in(phone, proxy_url, "ann", password)
        app_ready(phone, proxy_url, fakes)
        want = stored["messages"]["records"]
        wait_until(lambda: count(phone, "messages") >= want, timeout=900, interval=0.25,
                   message=f"the phone holding all {want} messages")
        took = time.monotonic() - started
        wire, answers = sync_bytes(phone)
        log(f"sync: a new device has {want:,} messages after {took:.1f} s; {wire:,} bytes in {answers} answers")
        return {"sessions": sessions, "messages": want, "seed": seeded.get("took_ms"), "upload_s": upload_s,
                "took_s": took, "wire_bytes": wire, "answers": answers, "plaintext_bytes": plaintext,
                "ratio": wire / plaintext if plaintext else None}
    finally:
        quit_driver(laptop)
        quit_driver(phone)


def propagation(laptop_url, phone_url, fakes, cfg, password):
    """The phone sends `sync_messages_live` messages into the session both show; each one's time
    from the send to its words on the laptop."""
    laptop, phone = new_driver(), new_driver(width=390, height=844)
    try:
        sign_in(laptop, laptop_url, "ann", password)
        first = app_ready(laptop, laptop_url, fakes)
        if first.by_testid("recovery-noted"):
            first.one("recovery-noted").click()
        first.send("The first words, to share a session.")
        first.wait_reply_state(0, "done", timeout=30)
        sign_in(phone, phone_url, "ann", password)
        second = app_ready(phone, phone_url, fakes)
        second.one("open-sessions").click()
        second.wait(lambda: second.session("The first words, to share a session."), timeout=30)
        second.one("session-open", second.session("The first words, to share a session.")).click()
        second.wait(lambda: second.user_messages() == ["The first words, to share a session."])
        laptop.execute_script(WATCH)
        times = []
        for n in range(cfg.sync_live_messages):
            text = f"Live message number {n} from the phone."
            box = second.one("composer-input")
            box.send_keys(text)
            sent = phone.execute_script("return Date.now()")
            box.send_keys(Keys.ENTER)
            first.wait(lambda: text in laptop.execute_script("return window.__w0seen"), timeout=20,
                       message=f"message {n} never showed on the laptop")
            times.append(laptop.execute_script("return window.__w0seen[arguments[0]]", text) - sent)
            second.wait_reply_state(n + 1, "done", timeout=30)
        log(f"sync: propagation p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms over {len(times)}")
        return {"samples": len(times), "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "max_ms": max(times),
                "times_ms": times}
    finally:
        quit_driver(laptop)
        quit_driver(phone)
