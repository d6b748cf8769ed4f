"""Versions: ask again for a reply, edit and resend a message, step between the versions (each
with its own continuation), and the prompt carrying only the branch shown; every version comes
back after a reload, and goes out and back in through export and import."""

import json

import pytest
from harness import MEM0_KEY
from selenium.webdriver.common.keys import Keys


@pytest.fixture(autouse=True)
def never_panics(page):
    """Versions make and drop rows while bubbles are on screen: a signal read after it was
    freed would stop the app (a wasm trap, logged as an error)."""
    yield
    traps = [e["message"] for e in page.d.get_log("browser")
             if e["level"] == "SEVERE" and ("RuntimeError" in e["message"] or "panicked" in e["message"])]
    assert traps == []


def reply(text):
    return {"kind": "reply", "text": text}


def shown(page):
    """The transcript as (who, text) pairs."""
    return [tuple(pair) for pair in page.d.execute_script(
        "return [...document.querySelectorAll('[data-testid=transcript] article')].map(a => ["
        " a.dataset.testid === 'message-user' ? 'you' : 'bot',"
        " a.querySelector('[data-testid=message-text]')?.innerText ?? '']);")]


def version(page, article):
    found = page.by_testid("version", article)
    return found[0].text if found else None


def article(page, testid, index):
    page.wait(lambda: len(page.by_testid(testid)) > index, message=f"no {testid} #{index}")
    return page.by_testid(testid)[index]


def prompt_texts(fakes):
    """The texts of the contents of the newest request to Gemini, as (role, text)."""
    body = fakes.stream_requests()[-1]["body"]
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


def settle(page, pairs):
    page.wait(lambda: shown(page) == pairs and all(
        r.get_attribute("data-state") == "done" for r in page.replies()),
        message=f"the transcript never became {pairs}: {shown(page)}")


def asked_twice(page, fakes, message, first, second):
    """Sends `message`, gets `first`, asks again and waits until `second` shows in its place."""
    page.configure()
    fakes.script(reply(first), reply(second))
    page.send(message)
    page.wait_reply_state(0, "done")
    page.one("regenerate", article(page, "message-model", 0)).click()
    settle(page, [("you", message), ("bot", second)])


def test_ask_again_edit_step_reload(page, fakes):
    page.configure()
    fakes.script(reply("First answer."), reply("Second answer."))
    page.send("Hello one")
    page.wait_reply_state(0, "done")
    page.send("Hello two")
    page.wait_reply_state(1, "done")
    settle(page, [("you", "Hello one"), ("bot", "First answer."), ("you", "Hello two"), ("bot", "Second answer.")])
    assert not page.by_testid("version"), "one version: no stepper"

    # Ask again for the FIRST reply (not only the last): a new version, streamed in its place;
    # what followed belongs to the version it followed.
    fakes.script(reply("Another first answer."))
    page.one("regenerate", article(page, "message-model", 0)).click()
    settle(page, [("you", "Hello one"), ("bot", "Another first answer.")])
    assert version(page, article(page, "message-model", 0)) == "2 / 2"
    assert prompt_texts(fakes) == [("user", "Hello one")], "the prompt carries the branch, nothing after it"

    # Back to version 1: its continuation comes back with it.
    page.one("version-previous", article(page, "message-model", 0)).click()
    settle(page, [("you", "Hello one"), ("bot", "First answer."), ("you", "Hello two"), ("bot", "Second answer.")])
    assert version(page, article(page, "message-model", 0)) == "1 / 2"

    # Edit the second message and send it again: a new branch with a new reply.
    page.one("edit", article(page, "message-user", 1)).click()
    box = page.one("edit-input")
    assert box.get_attribute("value") == "Hello two"
    assert page.d.switch_to.active_element == box, "the edit box takes the keyboard"
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("Hello two, said better")
    fakes.script(reply("A better answer."))
    box.send_keys(Keys.ENTER)
    settle(page, [("you", "Hello one"), ("bot", "First answer."), ("you", "Hello two, said better"),
                  ("bot", "A better answer.")])
    assert version(page, article(page, "message-user", 1)) == "2 / 2"
    assert prompt_texts(fakes) == [("user", "Hello one"), ("model", "First answer."),
                                   ("user", "Hello two, said better")]
    page.screenshot("versions-desktop")

    # ↑ in the empty composer edits the last message; Esc leaves it as it was.
    composer = page.one("composer-input")
    composer.click()
    composer.send_keys(Keys.ARROW_UP)
    page.wait(lambda: page.by_testid("edit-box"))
    page.one("edit-input").send_keys(" and more")
    page.one("edit-input").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.by_testid("edit-box"))
    assert shown(page)[2] == ("you", "Hello two, said better")
    assert page.d.switch_to.active_element == page.one("composer-input"), "the keyboard is back in the composer"
    assert len(fakes.stream_requests()) == 4, "nothing was sent"

    # A reload shows the same branch, and every version is still there.
    page.d.refresh()
    page.wait_settled()
    settle(page, [("you", "Hello one"), ("bot", "First answer."), ("you", "Hello two, said better"),
                  ("bot", "A better answer.")])
    page.one("version-previous", article(page, "message-user", 1)).click()
    settle(page, [("you", "Hello one"), ("bot", "First answer."), ("you", "Hello two"), ("bot", "Second answer.")])
    page.one("version-next", article(page, "message-model", 0)).click()
    settle(page, [("you", "Hello one"), ("bot", "Another first answer.")])
    page.phone()
    page.screenshot("versions-phone")


def test_every_version_goes_out_and_back_in(page, fakes):
    asked_twice(page, fakes, "Export my versions", "Answer one.", "Answer two.")

    row = page.session("Export my versions")
    page.one("session-menu", row).click()
    page.one("session-export-md", row).click()
    page.one("session-menu", row).click()
    page.one("session-export-json", row).click()
    markdown = open(page.downloaded(".md")).read()
    assert "Answer two." in markdown and "Answer one." not in markdown, "Markdown: the branch shown"
    assert "1 other version is in the JSON export" in markdown
    exported = page.downloaded(".json")
    doc = json.load(open(exported))
    assert sorted(m["text"] for m in doc["messages"]) == ["Answer one.", "Answer two.", "Export my versions"]

    page.one("session-import-file").send_keys(exported)
    page.wait(lambda: "Imported 1 session" in page.one("session-import-result").text)
    settle(page, [("you", "Export my versions"), ("bot", "Answer two.")])
    assert version(page, article(page, "message-model", 0)) == "2 / 2"
    page.one("version-previous", article(page, "message-model", 0)).click()
    settle(page, [("you", "Export my versions"), ("bot", "Answer one.")])


def test_a_search_hit_in_another_version_opens_that_version(page, fakes):
    asked_twice(page, fakes, "Tell me something", "The old wording about lighthouses.", "The new wording.")
    page.new_session()
    page.replace_text("session-search", "lighthouses")
    page.wait(lambda: page.by_testid("session-hit"))
    page.one("session-hit").click()
    settle(page, [("you", "Tell me something"), ("bot", "The old wording about lighthouses.")])
    assert version(page, article(page, "message-model", 0)) == "1 / 2"


def test_a_replaced_turn_waiting_for_memory_is_not_written(page, fakes):
    """mem0 is down when the first reply finishes, so its turn waits in the outbox; asking again
    withdraws it, and only the new version's turn is written, once."""
    page.configure(mem0_key=MEM0_KEY, user_id="versions-e2e")
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    fakes.script(reply("A reply whose turn must not be kept."), reply("The reply to keep."))
    fakes.mem0_down(True)
    page.send("I moved to Lisbon last spring.")
    page.wait_reply_state(0, "done")
    page.wait(lambda: "saving" in page.one("memory-chip", page.reply(0)).text)
    page.one("regenerate", article(page, "message-model", 0)).click()
    # The new version's lookup fails too (mem0 is down) and the reply goes ahead without memory.
    settle(page, [("you", "I moved to Lisbon last spring."), ("bot", "The reply to keep.")])
    fakes.mem0_down(False)
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text, timeout=90,
              message="the new version's turn was never written")
    adds = [c for c in fakes.requests("mem0") if c["method"] == "POST" and c["path"] == "/v3/memories/add/"
            and c["status"] < 300]
    assert len(adds) == 1, adds
    assert "The reply to keep." in json.dumps(adds[0]["body"])
    page.one("version-previous", article(page, "message-model", 0)).click()
    page.wait(lambda: "replaced, not saved" in page.one("memory-chip", page.reply(0)).text)


def test_what_a_replaced_version_saved_is_offered_to_forget(page, fakes):
    page.configure(mem0_key=MEM0_KEY, user_id="versions-forget-e2e")
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    fakes.script(reply("Lisbon sounds lovely."), reply("Tell me about the move."))
    page.turn(0, "I moved to Lisbon last spring.")
    page.wait(lambda: page.by_testid("saved-memory", page.reply(0)), message="nothing saved from the first version")
    saved = page.by_testid("saved-memory", page.reply(0))[0].text
    page.one("regenerate", article(page, "message-model", 0)).click()
    page.wait_reply_state(0, "done")
    line = page.one("saved-line-replaced", page.reply(0))
    assert line.text.startswith("Saved by the version this replaces:") and saved.split(" Forget")[0] in line.text
    items_before = len(page.by_testid("memory-item"))
    page.one("forget", line).click()
    page.wait(lambda: not page.by_testid("saved-line-replaced", page.reply(0)),
              message="the forgotten memory is still offered")
    page.wait(lambda: len(page.by_testid("memory-item")) < items_before, message="the sidebar still lists it")


def test_the_version_chosen_is_the_one_a_session_reopens_with(page, fakes):
    asked_twice(page, fakes, "Which one?", "Version one.", "Version two.")
    page.one("version-previous", article(page, "message-model", 0)).click()
    settle(page, [("you", "Which one?"), ("bot", "Version one.")])
    page.new_session()
    page.one("session-open", page.session("Which one?")).click()
    settle(page, [("you", "Which one?"), ("bot", "Version one.")])
    assert version(page, article(page, "message-model", 0)) == "1 / 2"
