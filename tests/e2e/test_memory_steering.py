"""Memory the person can watch and steer: what each reply saved, Forget with Undo (and bringing
a deleted memory back), where a memory came from, review mode, and tidying near-duplicates."""

import json
import time
import urllib.request

from selenium.webdriver.common.keys import Keys

from harness import MEM0_KEY
from seed_script import SEED_SCRIPT

ADD = "/v3/memories/add/"
LIST = "/v3/memories/"


def remembering(page, user_id, **kw):
    page.configure(mem0_key=MEM0_KEY, user_id=user_id, **kw)
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))


def sidebar_texts(page):
    return [t.text for t in page.by_testid("memory-text")]


def deletes(fakes):
    return [r for r in fakes.requests("mem0") if r["method"] == "DELETE"]


def test_each_reply_says_what_it_saved_and_a_memory_can_be_forgotten_and_taken_back(page, fakes):
    remembering(page, "forget-e2e")
    page.turn(0, SEED_SCRIPT[0])
    line = page.one("saved-line", page.reply(0))
    assert line.text.startswith("Saved: ") and "war veteran" in line.text
    page.wait(lambda: any("war veteran" in t for t in sidebar_texts(page)))
    page.screenshot("memory-saved-line")

    # Forget, then Undo within the window: back at once, and nothing was deleted.
    page.one("forget", page.reply(0)).click()
    assert not page.by_testid("saved-memory", page.reply(0)), "gone from the reply at once"
    assert not any("war veteran" in t for t in sidebar_texts(page)), "gone from the list at once"
    assert "Forgot" in page.one("forget-note").text
    page.one("forget-undo").click()
    page.wait(lambda: page.by_testid("saved-memory", page.reply(0)))
    page.wait(lambda: any("war veteran" in t for t in sidebar_texts(page)))
    assert not deletes(fakes), "an undone forget sends nothing"

    # Forget again at once and let the window pass: deleted then, not before; then brought back,
    # verbatim. The undone forget's window ends first (its timer was set first): had it sent a
    # delete, it would show as a second delete, or as one inside this window.
    memory_id = page.one("memory-item").get_attribute("data-id")
    forgot_at = time.monotonic()
    page.one("forget", page.reply(0)).click()
    page.wait(lambda: deletes(fakes), timeout=12)
    waited = time.monotonic() - forgot_at
    assert waited >= 5.5, f"deleted after {waited:.1f} s, inside the undo window"
    assert [d["path"] for d in deletes(fakes)] == [f"/v1/memories/{memory_id}/"]
    page.wait(lambda: "Deleted “" in page.one("forget-note").text)
    adds_before = len(fakes.mem0_calls("POST", ADD))
    page.one("forget-undo").click()  # "Bring back"
    page.wait(lambda: len(fakes.mem0_calls("POST", ADD)) == adds_before + 1)
    again = fakes.mem0_calls("POST", ADD)[-1]["body"]
    assert again["infer"] is False and "war veteran" in again["messages"][0]["content"]
    assert again["metadata"]["app"] == "wellness0" and again["metadata"]["reply_message_id"]
    page.wait(lambda: any("war veteran" in t for t in sidebar_texts(page)))
    page.wait(lambda: page.by_testid("saved-memory", page.reply(0)))
    # Both windows are over, the undone one first (its timer was set first, and a delete of its
    # own would have gone out before the second forget's was answered): one delete in all.
    assert [d["path"] for d in deletes(fakes)] == [f"/v1/memories/{memory_id}/"], "an undone forget sends nothing"


def test_a_memory_links_to_the_session_and_message_it_came_from(page, fakes):
    remembering(page, "source-e2e")
    page.turn(0, "I walk my dog Rex every evening.")
    page.new_session()
    page.turn(0, "Today I feel calmer.")
    rex = next(i for i in page.by_testid("memory-item") if "Rex" in i.text)
    source = page.one("memory-source", rex)
    assert source.text.startswith("from: I walk my dog Rex every evening.")
    page.one("memory-source-open", rex).click()
    page.wait(lambda: page.user_messages() == ["I walk my dog Rex every evening."])
    marked = page.d.find_elements("css selector", "article.highlighted")
    assert len(marked) == 1 and marked[0].get_attribute("data-testid") == "message-model"
    # Once that session is deleted, the memory says so instead of linking.
    row = page.session("I walk my dog Rex every evening.")
    page.one("session-menu", row).click()
    page.one("session-delete", row).click()
    page.wait(lambda: "deleted" in page.one("memory-source", next(
        i for i in page.by_testid("memory-item") if "Rex" in i.text)).text)


def test_a_memory_from_another_devices_session_says_so_instead_of_deleted(page, fakes):
    remembering(page, "elsewhere-e2e")
    page.turn(0, "I walk my dog Rex every evening.")
    # What the person's phone saved from a session this browser does not have (yet).
    body = {"messages": [{"role": "user", "content": "Sleeps better after yoga."}], "user_id": "elsewhere-e2e",
            "infer": False, "metadata": {"app": "wellness0", "session": 4242, "user_message_id": 1,
                                         "reply_message_id": 2, "device": "phone0000abcd"}}
    req = urllib.request.Request(f"{fakes.mem0_url}{ADD}", data=json.dumps(body).encode(), method="POST",
                                 headers={"authorization": f"Token {MEM0_KEY}", "content-type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()
    page.one("memory-refresh").click()
    page.wait(lambda: any("yoga" in t for t in sidebar_texts(page)), message=f"{sidebar_texts(page)}")
    yoga = next(i for i in page.by_testid("memory-item") if "yoga" in i.text)
    assert page.one("memory-source", yoga).text == "from a session on your other device"
    assert not page.by_testid("memory-source-open", yoga)
    # This device's own memory still links to its session.
    rex = next(i for i in page.by_testid("memory-item") if "Rex" in i.text)
    assert page.one("memory-source", rex).text.startswith("from: I walk my dog Rex")


def test_review_mode_keeps_new_memories_waiting_until_kept_or_forgotten(page, fakes):
    remembering(page, "review-e2e")
    review_mode(page)
    page.turn(0, "I started a new job at the library.")
    page.turn(1, "My sister visits on Sundays.")
    page.wait(lambda: len(page.by_testid("review-item")) == 2)
    assert not sidebar_texts(page), "waiting memories are not in the list yet"
    page.screenshot("memory-review-group")
    keep = next(i for i in page.by_testid("review-item") if "library" in i.text)
    page.one("review-keep", keep).click()
    page.wait(lambda: len(page.by_testid("review-item")) == 1)
    page.wait(lambda: any("library" in t for t in sidebar_texts(page)))
    put = [r for r in fakes.requests("mem0") if r["method"] == "PUT"][-1]["body"]
    assert put["metadata"]["reviewed"] is True and put["metadata"]["review"] is True
    # The review is in the memory itself: a fresh list (another device) shows it kept.
    lists = len(fakes.mem0_calls("POST", LIST))
    page.one("memory-refresh").click()
    page.wait(lambda: len(fakes.mem0_calls("POST", LIST)) > lists)
    page.wait(lambda: len(page.by_testid("review-item")) == 1 and any("library" in t for t in sidebar_texts(page)))
    page.one("review-forget").click()
    page.wait(lambda: not page.by_testid("review-item"))
    page.wait(lambda: deletes(fakes), timeout=12)


def test_tidy_up_keeps_one_of_each_group_of_near_duplicates(page, fakes, tmp_path):
    remembering(page, "tidy-e2e")
    seed = tmp_path / "memories.json"
    seed.write_text(json.dumps({"memories": [
        {"memory": "Was deployed in Afghanistan"}, {"memory": "Deployed to Afghanistan"},
        {"memory": "Likes green tea"}, {"memory": "Likes green tea in the morning"},
        {"memory": "Has a dog named Max"}, {"memory": "Has a cat named Max"},
        {"memory": "Works as a nurse"}, {"memory": "Wife works as a nurse"},
    ]}))
    page.one("memory-import-file").send_keys(str(seed))
    page.one("memory-import-confirm").click()
    page.wait(lambda: len(page.by_testid("memory-item")) == 8)
    page.one("memory-tidy").click()
    page.wait(lambda: page.by_testid("tidy-preview"))
    groups = page.by_testid("tidy-group")
    assert len(groups) == 2, [g.text for g in groups]
    afghanistan = [g for g in groups if "Afghanistan" in g.text]
    tea = [g for g in groups if "green tea" in g.text]
    assert len(afghanistan) == 1 and len(tea) == 1, [g.text for g in groups]
    page.d.execute_script("arguments[0].scrollIntoView({block: 'start'})", page.one("tidy-preview"))
    page.screenshot("memory-tidy-preview")
    # One group keeps an edited text; the other keeps its longest by default.
    kept = page.one("tidy-text", afghanistan[0])
    kept.send_keys(Keys.CONTROL, "a")
    kept.send_keys(Keys.DELETE)
    kept.send_keys("Was deployed to Afghanistan")
    assert page.one("tidy-apply").text == "Delete 2 duplicates"
    page.one("tidy-apply").click()
    page.wait(lambda: "Deleted 2 duplicates" in page.one("tidy-result").text)
    page.wait(lambda: len(page.by_testid("memory-item")) == 6)
    assert "Was deployed to Afghanistan" in sidebar_texts(page)
    assert "Likes green tea in the morning" in sidebar_texts(page) and "Likes green tea" not in sidebar_texts(page)
    assert len(deletes(fakes)) == 2
    edited = [r for r in fakes.requests("mem0") if r["method"] == "PUT"]
    assert [e["body"]["text"] for e in edited] == ["Was deployed to Afghanistan"]



def review_mode(page):
    page.settings_section("review-memories", "center").click()
    page.one("settings-save").click()
    page.one("settings-saved")
    page.close_settings()


def test_hostile_memory_text_stays_inert_in_the_saved_line_review_tidy_up_and_forget_note(page, fakes, tmp_path):
    remembering(page, "hostile-steer-e2e")
    hostile = '<img src=x onerror="window.__pwned=1"> likes tea'
    seed = tmp_path / "memories.json"
    seed.write_text(json.dumps({"memories": [{"memory": hostile}, {"memory": hostile + " in the morning"}]}))
    page.one("memory-import-file").send_keys(str(seed))
    page.one("memory-import-confirm").click()
    page.wait(lambda: len(page.by_testid("memory-item")) == 2)
    page.one("memory-tidy").click()
    page.wait(lambda: page.by_testid("tidy-group"))
    assert "<img" in page.one("tidy-group").text
    review_mode(page)
    page.turn(0, "<script>window.__pwned=1</script> I sleep badly.")
    assert "<script>" in page.one("saved-line", page.reply(0)).text
    page.wait(lambda: page.by_testid("review-item"))
    assert "<script>" in page.one("review-item").text
    page.one("review-forget").click()
    page.wait(lambda: "<script>" in page.one("forget-note").text)
    assert not page.hostile_code_ran()


STORED_FORGETS = """
const done = arguments[arguments.length - 1];
const open = indexedDB.open('wellness0');
open.onsuccess = () => {
  const get = open.result.transaction('meta').objectStore('meta').get('forgets');
  get.onsuccess = () => { open.result.close(); done(get.result ? get.result.data : '[]'); };
};
"""


def stored_forgets(page):
    """The ids of the forgets stored as waiting (no passcode here: in the clear)."""
    return [p["memory"]["id"] for p in json.loads(page.d.execute_async_script(STORED_FORGETS))]


def test_a_forget_left_waiting_by_a_reload_is_still_deleted(page, fakes):
    remembering(page, "forget-reload-e2e")
    page.turn(0, SEED_SCRIPT[0])
    page.wait(lambda: any("war veteran" in t for t in sidebar_texts(page)))
    memory_id = page.one("memory-item").get_attribute("data-id")
    page.one("forget", page.reply(0)).click()
    page.wait(lambda: memory_id in stored_forgets(page), message="the forget was never stored")
    page.d.refresh()
    page.wait_settled()
    # Back with its note and still off the list, inside the window; deleted when it ends.
    page.wait(lambda: "Forgot" in page.one("forget-note").text)
    page.wait(lambda: page.by_testid("memory-item") or page.by_testid("memory-empty"))
    assert not any("war veteran" in t for t in sidebar_texts(page)), "a fresh list does not bring it back"
    page.wait(lambda: deletes(fakes), timeout=12)
    assert [d["path"] for d in deletes(fakes)] == [f"/v1/memories/{memory_id}/"]
    page.wait(lambda: "Deleted “" in page.one("forget-note").text)
    assert not stored_forgets(page), "claimed before the delete was sent"
    page.d.refresh()
    page.wait_settled()
    # A forget still stored would be back by now (they are read before the page is ready): its
    # note shown, for the seconds of its delete and after. The fresh list comes after that.
    page.one("transcript")
    assert not page.by_testid("forget-note"), "done once, then gone"
    page.wait(lambda: page.by_testid("memory-item") or page.by_testid("memory-empty"))
    assert len(deletes(fakes)) == 1 and not page.by_testid("forget-note"), "done once, then gone"
