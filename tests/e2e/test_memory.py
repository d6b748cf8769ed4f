"""Memory end to end: mem0 in the send pipeline, the outbox, and the live sidebar."""

import json
import time
from collections import Counter

import pytest
from harness import MEM0_KEY, http_json
from seed_script import SEED_SCRIPT

# The mem0 Platform calls the app makes (v3; see docs/memory-backends.md).
SEARCH = "/v3/memories/search/"
ADD = "/v3/memories/add/"
LIST = "/v3/memories/"


def remembering(page, user_id="veteran-e2e", **kw):
    """Sets up memory in Settings and waits for the sidebar's first list, as a person would."""
    page.configure(mem0_key=MEM0_KEY, user_id=user_id, **kw)
    if kw.get("use_memory", True):
        page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    return page


def chip(page, index):
    return page.one("memory-chip", page.reply(index)).text


def wait_saved(page, index):
    page.wait(lambda: "memory updated" in chip(page, index), message=f"turn {index} was not saved to memory")


def system_text(body):
    return body["systemInstruction"]["parts"][0]["text"]


def memory_texts(page):
    return [t.text for t in page.by_testid("memory-text")]


def test_seed_script_remembers_the_war_story_even_in_a_fresh_browser(page, fakes, open_page):
    remembering(page)
    lists_before = len(fakes.mem0_calls("POST", LIST))
    for i, message in enumerate(SEED_SCRIPT):
        page.send(message)
        page.wait_reply_state(i, "done")
        wait_saved(page, i)

    # One search per message, with the message as the query, filtered to this user.
    searches = fakes.mem0_calls("POST", SEARCH)
    assert [s["body"]["query"] for s in searches] == SEED_SCRIPT
    assert all(s["body"]["filters"] == {"AND": [{"user_id": "veteran-e2e"}]} for s in searches)
    assert all(s["headers"]["authorization"] == f"Token {MEM0_KEY}" for s in searches)
    # Each add carries only its own turn.
    adds = fakes.mem0_calls("POST", ADD)
    assert len(adds) == 3
    for add, message in zip(adds, SEED_SCRIPT):
        body = add["body"]
        assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
        assert body["messages"][0]["content"] == message
        assert body["user_id"] == "veteran-e2e"
        assert not {"async_mode", "version", "output_format"} & body.keys(), "v3 takes none of these"
        assert body["metadata"]["app"] == "wellness0"
    # No turn re-listed everything: each add's event was followed, and only what it saved fetched.
    assert len(fakes.mem0_calls("POST", LIST)) == lists_before
    events = [r for r in fakes.requests("mem0") if r["method"] == "GET" and r["path"].startswith("/v1/event/")]
    assert len({e["path"] for e in events}) == 3, "each add's own event was followed"
    fetched = [r for r in fakes.requests("mem0") if r["method"] == "GET" and r["path"].startswith("/v1/memories/")]
    assert len(fetched) == 3, "each turn's one saved memory was fetched once"
    # The third question reached Gemini with the Afghanistan memory in its context.
    third = fakes.stream_requests()[2]["body"]
    assert "Relevant memories about the user" in system_text(third)
    assert "Afghanistan" in system_text(third)
    assert "I remember:" in page.reply_text(2) and "Afghanistan" in page.reply_text(2)

    # The chip opens the memories used for that reply, with scores; the sidebar lists them.
    assert "memory used" in chip(page, 2) or "memories used" in chip(page, 2)
    page.one("memory-chip", page.reply(2)).click()
    used = page.one("memory-used")
    assert "Afghanistan" in used.text
    page.wait(lambda: any("Afghanistan" in t for t in memory_texts(page)))
    assert page.by_testid("memory-used-mark"), "the used memory is marked in the list"
    assert page.one("memory-count").text == str(len(page.by_testid("memory-item")))
    page.screenshot("memory-sidebar-desktop")
    page.phone()
    assert page.no_sideways_scroll()
    page.screenshot("memory-sidebar-phone")

    # A fresh browser profile, same user id: the memory comes from mem0, not the local buffer.
    other = open_page()
    remembering(other)
    assert not other.replies()
    other.send(SEED_SCRIPT[2])
    other.wait_reply_state(0, "done")
    request = fakes.stream_requests()[-1]["body"]
    assert len(request["contents"]) == 1
    assert "Afghanistan" in system_text(request)
    assert "Afghanistan" in other.reply_text(0)


@pytest.mark.timeout(180)  # many turns / a big import: longer than most tests
def test_turn_writes_do_not_grow_with_the_conversation(page, fakes):
    remembering(page, user_id="sizes-e2e")
    fakes.script(*[{"kind": "reply", "text": f"Reply number {i} to you.", "first_delay_ms": 0, "chunk_delay_ms": 0}
                   for i in range(50)])
    for i in range(50):
        page.send(f"Message number {i:02d} about my day.")
        page.wait_reply_state(i, "done")
    page.wait(lambda: len(fakes.mem0_calls("POST", ADD)) == 50, timeout=30)
    sizes = [len(json.dumps(a["body"])) for a in fakes.mem0_calls("POST", ADD)]
    print(f"\nmem0 add request bytes: turn 1 = {sizes[0]}, turn 50 = {sizes[49]}")
    assert abs(sizes[49] - sizes[0]) <= 8, f"turn 50 sent {sizes[49]} bytes, turn 1 sent {sizes[0]}"
    search_sizes = [len(json.dumps(s["body"])) for s in fakes.mem0_calls("POST", SEARCH)]
    assert abs(search_sizes[49] - search_sizes[0]) <= 8


def test_incognito_neither_searches_nor_writes(page, fakes):
    remembering(page, use_memory=False)
    page.send("Something private.")
    page.wait_reply_state(0, "done")
    assert chip(page, 0) == "memory off"
    page.one("memory-incognito")
    # A search comes before the reply, so none came; a write of this turn, were one made, would
    # go out before the next turn's (oldest first): checked below, once that one is saved.
    assert not fakes.mem0_calls("POST", SEARCH) and not fakes.mem0_calls("POST", ADD)
    # Memory back on: the next turn is searched and written, and it is the only one; a write of
    # the private turn held back (or queued) would have gone out by the time this one is saved.
    page.configure(key=None, use_memory=True)
    page.send("Something to remember.")
    page.wait_reply_state(1, "done")
    wait_saved(page, 1)
    assert [s["body"]["query"] for s in fakes.mem0_calls("POST", SEARCH)] == ["Something to remember."]
    assert [a["body"]["messages"][0]["content"] for a in fakes.mem0_calls("POST", ADD)] == ["Something to remember."]
    assert "Something private." not in json.dumps(fakes.requests("mem0"))


def test_slow_memory_search_does_not_hold_up_the_reply(page, fakes):
    remembering(page, deadline_ms=500)
    # The search would answer after 10 s; the reply must not wait for it (a busy machine may
    # take a few seconds for the reply itself, never ten).
    fakes.mem0_script({"path_prefix": SEARCH, "delay_ms": 10000, "times": 1})
    started = time.monotonic()
    page.send("hello")
    page.wait_reply_state(0, "done")
    assert time.monotonic() - started < 8, "the reply waited for the memory search"
    assert "replied without memory" in chip(page, 0)
    assert "took longer than 0.5 s" in page.one("memory-chip", page.reply(0)).get_attribute("title")


def test_mem0_down_for_five_turns_then_back_loses_nothing_and_writes_once(page, fakes):
    remembering(page, user_id="outage-e2e")
    fakes.mem0_down(True)
    messages = [f"Outage message {i}" for i in range(5)]
    for i, message in enumerate(messages):
        page.send(message)
        page.wait_reply_state(i, "done")
        assert "replied without memory" in chip(page, i)
    page.wait(lambda: "5 memory writes waiting" in page.one("memory-pending").text)
    assert page.one("memory-error").text
    # A reload while writes wait keeps them.
    page.d.refresh()
    page.wait(lambda: "5 memory writes waiting" in page.one("memory-pending").text)
    fakes.mem0_down(False)
    page.one("memory-retry-writes").click()
    page.wait(lambda: not page.by_testid("memory-pending"), timeout=20)
    for i in range(5):
        wait_saved(page, i)
    page.wait(lambda: sorted(memory_texts(page)) == sorted(messages))
    page.wait(page.nothing_left_to_send, message="writes were still waiting to be sent")
    # mem0 accepted each turn exactly once (the failed tries during the outage were 503s).
    accepted = Counter(a["body"]["messages"][0]["content"]
                       for a in fakes.mem0_calls("POST", ADD) if a["status"] == 200)
    assert accepted == Counter(messages)
    assert len(memory_texts(page)) == 5


def test_mem0_errors_are_shown_in_the_sidebar_and_chat_goes_on(page, fakes):
    remembering(page, user_id="errors-e2e")
    page.configure(key=None, mem0_key="m0-wrong-key")
    page.send("hello")
    page.wait_reply_state(0, "done")
    page.wait(lambda: "did not accept the API key" in page.one("memory-error").text)

    page.configure(key=None, mem0_key=MEM0_KEY)
    # The turn written with the refused key was kept: with the key fixed it goes through.
    page.d.execute_script("document.querySelector('[data-testid=memory-retry-writes]')?.click()")
    wait_saved(page, 0)
    fakes.mem0_script({"method": "POST", "path_prefix": ADD, "status": 429, "times": 1, "retry_after": 3})
    page.send("rate limited write")
    page.wait_reply_state(1, "done")
    # The refusal is shown while the write waits (3 s, as mem0 said), then the write goes through.
    page.wait(lambda: "rate limit" in page.one("memory-error").text, message="the 429 was never shown")
    assert "trying again in 3 s" in page.one("memory-error").text
    wait_saved(page, 1)
    tries = [a for a in fakes.mem0_calls("POST", ADD) if a["body"]["messages"][0]["content"] == "rate limited write"]
    assert [a["status"] for a in tries] == [429, 200]
    waited = tries[1]["ts_ms"] - tries[0]["ts_ms"]
    assert waited >= 2900, f"told to wait 3 s, wrote again after {waited} ms"

    page.configure(key=None, mem0_key=MEM0_KEY, mem0_url="http://127.0.0.1:9")
    page.send("unreachable memory")
    page.wait_reply_state(2, "done")
    page.wait(lambda: "Could not reach mem0" in page.one("memory-error").text)
    assert "proxy" in page.one("memory-error").text


def test_sidebar_search_edit_history_feedback_delete_export_import(page, fakes, tmp_path):
    remembering(page, user_id="sidebar-e2e")
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"memories": [
        {"memory": "Likes green tea in the morning"}, {"memory": "Walks the dog every evening"},
        {"memory": "<img src=x onerror=\"window.__pwned=1\"> loves <b>bold</b> text"}, {"text": ""},
    ]}))
    page.one("memory-import-file").send_keys(str(seed))
    assert "3 new memories to import" in page.one("memory-import-preview").text
    page.one("memory-import-confirm").click()
    page.wait(lambda: "Imported 3" in page.one("memory-import-result").text)
    page.wait(lambda: len(page.by_testid("memory-item")) == 3)
    imports = fakes.mem0_calls("POST", ADD)
    assert all(a["body"].get("infer") is False for a in imports)

    # Hostile memory text is shown as text.
    sidebar = page.one("memory-sidebar")
    assert not sidebar.find_elements("css selector", "img, b")
    assert any("<img src=x" in t for t in memory_texts(page))
    assert not page.hostile_code_ran()

    # Filter as you type.
    page.one("memory-search").send_keys("tea")
    page.wait(lambda: memory_texts(page) == ["Likes green tea in the morning"])

    # Edit in place, then see it in the history.
    item = page.one("memory-item")
    page.one("memory-edit", item).click()
    page.replace_text("memory-edit-input", "Likes green tea and oat biscuits")
    page.one("memory-edit-save").click()
    page.wait(lambda: memory_texts(page) == ["Likes green tea and oat biscuits"])
    assert fakes.mem0_calls("PUT", f"/v1/memories/{page.one('memory-item').get_attribute('data-id')}/")
    page.one("memory-history", page.one("memory-item")).click()
    page.wait(lambda: "Likes green tea in the morning → Likes green tea and oat biscuits"
              in page.one("memory-history-list").text)

    # Feedback.
    page.one("memory-useful", page.one("memory-item")).click()
    page.one("memory-feedback-sent")
    feedback = fakes.mem0_calls("POST", "/v1/feedback/")
    assert feedback[0]["body"]["feedback"] == "POSITIVE"

    # Delete one (after confirming).
    page.replace_text("memory-search", "dog")
    page.wait(lambda: memory_texts(page) == ["Walks the dog every evening"])
    dog = page.one("memory-item").get_attribute("data-id")
    page.one("memory-delete", page.one("memory-item")).click()
    page.one("memory-delete-confirm").click()
    page.wait(lambda: not memory_texts(page))
    assert [d["status"] for d in fakes.mem0_calls("DELETE", f"/v1/memories/{dog}/")] == [200]
    page.replace_text("memory-search", "")
    page.wait(lambda: len(memory_texts(page)) == 2)

    # Export, then re-import: nothing new.
    page.one("memory-export").click()
    exported_file = page.downloaded(".json")
    exported = json.load(open(exported_file))
    assert exported["format"] == "wellness0.memories" and exported["user_id"] == "sidebar-e2e"
    assert sorted(m["memory"] for m in exported["memories"]) == sorted(memory_texts(page))
    page.one("memory-import-file").send_keys(exported_file)
    assert "0 new memories to import; 2 already there" in page.one("memory-import-preview").text

    # Delete all needs the user id typed in.
    page.one("memory-delete-all").click()
    confirm = page.one("memory-delete-all-confirm")
    assert not confirm.is_enabled()
    page.one("memory-delete-all-input").send_keys("sidebar-e2e")
    confirm.click()
    page.wait(lambda: not page.by_testid("memory-item"))
    assert [d["query"] for d in fakes.mem0_calls("DELETE", "/v1/memories/")] == [{"user_id": "sidebar-e2e"}]
    left = http_json("GET", f"{fakes.mem0_url}/v1/memories/?user_id=sidebar-e2e",
                     headers={"authorization": f"Token {MEM0_KEY}"})
    assert not left, f"mem0 still holds {left}"


def test_memory_drawer_on_a_phone(page, fakes):
    page.phone()
    remembering(page, user_id="phone-e2e")
    sidebar = page.one("memory-sidebar")
    page.wait(lambda: not sidebar.is_displayed() or sidebar.rect["x"] >= 375)
    page.send("I slept badly.")
    page.wait_reply_state(0, "done")
    page.one("memory-chip", page.reply(0)).click()
    page.wait(lambda: sidebar.is_displayed() and sidebar.rect["x"] == 0 and sidebar.rect["width"] == 375)
    assert page.no_sideways_scroll()
    page.screenshot("memory-drawer-phone")
    page.one("memory-close").click()
    page.wait(lambda: not sidebar.is_displayed() or sidebar.rect["x"] >= 375)
    page.one("open-settings").click()
    page.wait(lambda: page.one("settings").rect["x"] == 0)
    assert page.no_sideways_scroll()
    page.screenshot("settings-phone")


@pytest.mark.timeout(180)  # many turns / a big import: longer than most tests
def test_long_memory_lists_are_shown_a_page_at_a_time(page, fakes, tmp_path):
    remembering(page, user_id="many-e2e")
    seed = tmp_path / "many.json"
    seed.write_text(json.dumps([f"Memory number {i:03d}" for i in range(130)]))
    page.one("memory-import-file").send_keys(str(seed))
    page.one("memory-import-confirm").click()
    page.wait(lambda: any("Imported 130" in r.text for r in page.by_testid("memory-import-result")), timeout=60)
    page.wait(lambda: len(page.by_testid("memory-item")) == 100)
    assert page.one("memory-count").text == "130"
    more = page.one("memory-show-more")
    assert "30 not shown" in more.text
    more.click()
    page.wait(lambda: len(page.by_testid("memory-item")) == 130)
    assert not page.by_testid("memory-show-more")
