"""Sessions end to end: many conversations kept in the browser, the list and what it does, search
across sessions, memory that spans them, export/import, drafts, moving the previous version's data
in, two tabs at once, and a browser that refuses to store."""

import json
from collections import Counter

import pytest
from harness import MEM0_KEY
from seed_script import SEED_SCRIPT

ADD = "/v3/memories/add/"
SEARCH = "/v3/memories/search/"


def stored_drafts(page):
    """The drafts kept in the database (no passcode: in the clear)."""
    return [r.get("data") for r in page.stored().get("drafts", [])]


def chat(page, *messages):
    start = len(page.replies())
    for i, message in enumerate(messages):
        page.send(message)
        page.wait_reply_state(start + i, "done")


def test_memory_spans_sessions_the_seeds_way(page, fakes):
    page.configure(mem0_key=MEM0_KEY, user_id="spans-e2e")
    chat(page, SEED_SCRIPT[0])
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text)
    page.new_session()
    chat(page, SEED_SCRIPT[2])
    assert "Afghanistan" in page.reply_text(0)
    request = fakes.stream_requests()[-1]["body"]
    assert [c["parts"][0]["text"] for c in request["contents"]] == [SEED_SCRIPT[2]], "only the new message"
    assert "Afghanistan" in request["systemInstruction"]["parts"][0]["text"], "the memory came with the request"
    searches = fakes.mem0_calls("POST", SEARCH)
    assert searches[-1]["body"]["query"] == SEED_SCRIPT[2] and searches[-1]["status"] == 200
    # Both sessions are listed, newest first, titled by their first message.
    page.wait(lambda: page.session_titles() == [SEED_SCRIPT[2], SEED_SCRIPT[0][:59].rsplit(" ", 1)[0] + "…"]
              or page.session_titles()[0] == SEED_SCRIPT[2])
    assert len(page.session_titles()) == 2


def test_rename_delete_with_undo_and_delete_all(page, fakes):
    page.configure()
    chat(page, "First evening.")
    page.new_session()
    chat(page, "Second evening.")
    page.wait(lambda: page.session_titles() == ["Second evening.", "First evening."])

    # Rename the first; the name stays after a reload.
    first = page.session("First evening.")
    page.one("session-menu", first).click()
    page.one("session-rename", first).click()
    page.replace_text("session-rename-input", "My first talk")
    page.one("session-rename-save").click()
    page.wait(lambda: "My first talk" in page.session_titles())
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: sorted(page.session_titles()) == ["My first talk", "Second evening."])

    # Delete, then Undo: it comes back; delete again and let the undo time pass: gone for good.
    second = page.session("Second evening.")
    page.one("session-menu", second).click()
    page.one("session-delete", second).click()
    page.wait(lambda: page.session_titles() == ["My first talk"])
    page.one("session-undo").click()
    page.wait(lambda: "Second evening." in page.session_titles())
    second = page.session("Second evening.")
    page.one("session-menu", second).click()
    page.one("session-delete", second).click()
    # The undo time (6 s, UNDO_MS in src/sessions/store.rs) passes: Undo goes, and the session's
    # messages leave the database.
    page.wait(lambda: not page.by_testid("session-undo")
              and not [r for r in page.stored()["messages"] if "Second evening." in r["text"]],
              timeout=10, message="the deleted session was still kept after its undo time")
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: page.session_titles() == ["My first talk"])
    assert not [r for r in page.stored()["messages"] if "Second evening." in r["text"]], "its messages are gone"

    # Delete all, after confirming.
    page.one("sessions-delete-all").click()
    page.one("sessions-delete-all-confirm").click()
    page.wait(lambda: not page.session_titles())
    page.d.refresh()
    page.wait_settled()
    assert not page.session_titles() and not page.stored()["messages"]


def test_search_finds_messages_in_every_session_and_opens_the_hit(page, fakes):
    page.configure()
    chat(page, "I drank a café au lait before bed.", "Then I could not sleep.")
    page.new_session()
    chat(page, "Today was calmer.")
    page.replace_text("session-search", "CAFE AU")
    # The message, and the fake's reply quoting it: both in the first session, in order.
    page.wait(lambda: len(page.by_testid("session-hit")) == 2)
    hit = page.one("session-hit")
    assert hit.find_element("css selector", "mark").text == "café au"
    assert "I drank a café au lait before bed." in hit.get_attribute("textContent")
    assert all("I drank a café" in h.get_attribute("textContent") for h in page.by_testid("session-hit"))
    hit.click()
    page.wait(lambda: page.user_messages()[:1] == ["I drank a café au lait before bed."])
    marked = page.d.find_elements("css selector", "article.highlighted")
    assert len(marked) == 1 and "café au lait" in marked[0].text
    page.replace_text("session-search", "nothing like this")
    page.wait(lambda: "No message matches" in page.one("session-search-status").text)
    assert not page.one("sessions").is_displayed(), "the list hides while searching"
    page.replace_text("session-search", "")
    page.wait(lambda: page.one("sessions").is_displayed() and not page.by_testid("session-hits"))


def test_export_markdown_and_json_then_import(page, fakes):
    page.configure()
    chat(page, "Export **me**, please.")
    title = "Export **me**, please."
    row = page.session(title)
    page.one("session-menu", row).click()
    page.one("session-export-md", row).click()
    page.one("session-menu", row).click()
    page.one("session-export-json", row).click()
    markdown = open(page.downloaded(".md")).read()
    assert markdown.startswith(f"# {title}\n") and "## You · " in markdown and "## wellness0 · " in markdown
    exported = page.downloaded(".json")
    doc = json.load(open(exported))
    assert doc["format"] == "wellness0.session" and len(doc["messages"]) == 2
    # Import it back: a second session with the same messages, opened.
    page.one("session-import-file").send_keys(exported)
    page.wait(lambda: "Imported 1 session" in page.one("session-import-result").text)
    page.wait(lambda: page.session_titles().count(title) == 2)
    assert page.user_messages() == [title]


def test_each_session_keeps_its_draft_across_a_reload(page, fakes):
    page.configure()
    chat(page, "A session with a draft.")
    page.one("composer-input").send_keys("half a thought")
    page.new_session()
    page.one("composer-input").send_keys("another draft")
    # Drafts are stored a moment after typing stops: both are in the database before the reload.
    page.wait(lambda: {"half a thought", "another draft"} <= set(stored_drafts(page)),
              message=f"the drafts were never stored: {stored_drafts(page)}")
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: page.one("composer-input").get_attribute("value") == "another draft")
    page.one("session-open", page.session("A session with a draft.")).click()
    page.wait(lambda: page.one("composer-input").get_attribute("value") == "half a thought")


# What the previous version kept in localStorage (its formats exactly).
OLD_CONVERSATION = {"next_id": 3, "messages": [
    {"id": 1, "role": "user", "text": "Hi, I am a war veteran.", "state": {"state": "done"}, "created_ms": 1764000000000.0},
    {"id": 2, "role": "model", "text": "Thank you for telling me.", "state": {"state": "done"},
     "memory": {"lookup": {"kind": "unavailable", "reason": "Could not reach mem0."}, "write": "pending"},
     "created_ms": 1764000001000.0}]}
OLD_OUTBOX = {"next_id": 1, "items": [{"id": 1, "reply_id": 2, "body": {
    "messages": [{"role": "user", "content": "Hi, I am a war veteran."},
                 {"role": "assistant", "content": "Thank you for telling me."}],
    "user_id": "migrated-e2e", "metadata": {"app": "wellness0"}, "version": "v2", "output_format": "v1.1",
    "async_mode": True}, "attempts": 3, "next_attempt_ms": 0, "last_error": "Could not reach mem0.", "gave_up": False}]}


def test_the_previous_versions_conversation_and_waiting_writes_move_in(page, fakes):
    page.configure(mem0_key=MEM0_KEY, user_id="migrated-e2e")
    page.d.execute_script("""
        indexedDB.deleteDatabase('wellness0');
        localStorage.setItem('wellness0.conversation', arguments[0]);
        localStorage.setItem('wellness0.outbox', arguments[1]);
        sessionStorage.setItem('wellness0.draft', 'what I was typing');
        sessionStorage.removeItem('wellness0.session');
    """, json.dumps(OLD_CONVERSATION), json.dumps(OLD_OUTBOX))
    fakes.reset()
    page.d.refresh()
    page.wait_settled()
    page.wait(lambda: page.user_messages() == ["Hi, I am a war veteran."])
    assert page.session_titles() == ["Hi, I am a war veteran."]
    assert page.one("composer-input").get_attribute("value") == "what I was typing"
    # The write that was waiting goes out, once, and the reply it belongs to says so.
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text, timeout=20)
    page.wait(page.nothing_left_to_send, message="the write was still waiting to be sent")
    adds = [a for a in fakes.mem0_calls("POST", ADD) if a["status"] == 200]
    assert [a["body"]["messages"][0]["content"] for a in adds] == ["Hi, I am a war veteran."]
    assert not page.d.execute_script("return localStorage.getItem('wellness0.conversation')")


@pytest.mark.timeout(150)
def test_two_tabs_share_sessions_and_send_each_memory_write_once(page, fakes):
    page.configure(mem0_key=MEM0_KEY, user_id="tabs-e2e")
    page.one("open-settings").click()
    page.wait(page.settings_open)
    for testid in ("remember-keys", "settings-save"):  # remembered: the second tab finds the keys
        button = page.one(testid)
        page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
    page.one("settings-saved")
    page.one("settings-close").click()
    tab_a = page.d.current_window_handle
    page.d.switch_to.new_window("tab")
    page.d.get(page.site_url)
    page.wait_settled()
    tab_b = page.d.current_window_handle
    page.new_session()

    fakes.mem0_down(True)
    page.d.switch_to.window(tab_a)
    chat(page, "Written in tab A while memory is down.")
    page.d.switch_to.window(tab_b)
    # Tab A's session shows up in tab B's list without a reload.
    page.wait(lambda: "Written in tab A while memory is down." in page.session_titles())
    chat(page, "Written in tab B while memory is down.")
    page.wait(lambda: "2 memory writes waiting" in page.one("memory-pending").text, timeout=20)
    fakes.mem0_down(False)
    page.one("memory-retry-writes").click()
    page.d.switch_to.window(tab_a)
    # Tab A may already see them gone (the other tab sent them): Retry only if it is still offered.
    page.d.execute_script("document.querySelector('[data-testid=memory-retry-writes]')?.click()")
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text, timeout=30)
    page.d.switch_to.window(tab_b)
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text, timeout=30)
    # Nothing is left that could send a write again: neither tab has one waiting, the stored
    # outbox is empty, and no tab's worker holds (or waits for) the outbox lock.
    for tab in (tab_a, tab_b):
        page.d.switch_to.window(tab)
        page.wait(lambda: not page.by_testid("memory-pending"), timeout=30, message="a write still waits in a tab")
    page.wait(page.nothing_left_to_send, timeout=30, message="writes are still being sent")
    accepted = Counter(a["body"]["messages"][0]["content"]
                       for a in fakes.mem0_calls("POST", ADD) if a["status"] == 200)
    assert accepted == Counter(["Written in tab A while memory is down.", "Written in tab B while memory is down."])


def test_a_browser_that_refuses_to_store_is_announced_and_the_chat_goes_on(page, fakes):
    page.configure()
    page.d.execute_script("IDBObjectStore.prototype.put = function () {"
                          " throw new DOMException('full', 'QuotaExceededError'); };")
    chat(page, "Is anything stored?")
    page.wait(lambda: "storage for this site is full" in page.one("save-failed").text)
    assert 'You said: "Is anything stored?"' in page.reply_text(0)
