"""Every failure the chat can meet: a clear message in place, nothing typed or received lost."""

from harness import GEMINI_KEY

HOSTILE = (
    '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>\n\n'
    "[tap here](javascript:window.__pwned=3) or [a safe link](https://example.org/help)\n\n**still bold**"
)


def test_bad_key_is_explained_and_retry_works_after_fixing_it(page, fakes):
    page.configure(key="not-a-real-key")
    page.send("hello there")
    reply = page.wait_reply_state(0, "failed")
    assert "key was not accepted" in page.one("reply-error", reply).text
    assert page.user_messages() == ["hello there"]
    assert len(fakes.stream_requests()) == 1, "a bad key is not retried automatically"
    page.configure(key=GEMINI_KEY)
    page.one("retry", page.reply(0)).click()
    page.wait_reply_state(0, "done")
    assert 'You said: "hello there"' in page.reply_text(0)


def test_missing_key_says_so(page):
    page.configure(key=None)
    page.send("hello")
    reply = page.wait_reply_state(0, "failed")
    assert "No Gemini API key" in page.one("reply-error", reply).text


def test_unknown_model_points_to_settings(page):
    page.configure(model="gemini-0.1-nonexistent")
    page.send("hello")
    reply = page.wait_reply_state(0, "failed")
    assert "Pick another model" in page.one("reply-error", reply).text


def test_rate_limit_waits_as_told_then_retries_by_itself(page, fakes):
    page.configure()
    fakes.script({"kind": "error", "status": 429, "retry_delay": "1s"})
    page.send("hello")
    waiting = page.wait_reply_state(0, "waiting")
    text = page.one("reply-waiting", waiting).text
    assert "rate limit" in text and "Trying again in" in text
    page.wait_reply_state(0, "done")
    streams = fakes.stream_requests()
    assert len(streams) == 2
    waited = streams[1]["ts_ms"] - streams[0]["ts_ms"]
    assert waited >= 950, f"told to wait 1 s, retried after {waited} ms"


def test_long_quota_wait_is_reported_not_retried(page, fakes):
    page.configure()
    fakes.script({"kind": "error", "status": 429, "retry_delay": "7200s"})
    page.send("hello")
    reply = page.wait_reply_state(0, "failed")
    assert "quota" in page.one("reply-error", reply).text
    assert len(fakes.stream_requests()) == 1


def test_server_errors_back_off_and_recover(page, fakes):
    page.configure()
    fakes.script({"kind": "error", "status": 503}, {"kind": "error", "status": 500})
    page.send("hello")
    page.wait_reply_state(0, "waiting")
    page.wait_reply_state(0, "done", timeout=20)
    streams = fakes.stream_requests()
    assert len(streams) == 3
    # Backoff: 1 s, then 2 s, each scaled down by jitter to no less than half.
    gaps = [b["ts_ms"] - a["ts_ms"] for a, b in zip(streams, streams[1:])]
    assert gaps[0] >= 450 and gaps[1] >= 950, f"retried too soon: {gaps} ms"


def test_persistent_overload_gives_up_with_a_message(page, fakes):
    page.configure()
    fakes.script(*[{"kind": "error", "status": 503}] * 3)
    page.send("hello")
    reply = page.wait_reply_state(0, "failed", timeout=20)
    assert "overloaded" in page.one("reply-error", reply).text
    assert len(fakes.stream_requests()) == 3


def test_network_down_is_explained(page):
    page.configure(base_url="http://127.0.0.1:9")
    page.send("hello")
    reply = page.wait_reply_state(0, "failed", timeout=20)
    assert "Could not reach Gemini" in page.one("reply-error", reply).text
    assert page.user_messages() == ["hello"]


def test_cut_stream_keeps_partial_text_and_retry_completes(page, fakes):
    page.configure()
    fakes.script({"kind": "cut", "text": "one two three four five six seven eight nine", "after_chunks": 2})
    page.send("hello")
    reply = page.wait_reply_state(0, "cut")
    assert page.reply_text(0).startswith("one two three")
    assert "cut off" in page.one("reply-error", reply).text
    page.one("cut-mark", reply)
    page.one("retry", reply).click()
    page.wait_reply_state(0, "done")
    assert 'You said: "hello"' in page.reply_text(0)


def test_error_object_mid_stream_keeps_partial_text(page, fakes):
    page.configure()
    fakes.script({"kind": "error_mid_stream", "text": "alpha beta gamma delta epsilon zeta", "after_chunks": 1,
                  "status": 503})
    page.send("hello")
    reply = page.wait_reply_state(0, "cut")
    assert page.reply_text(0).startswith("alpha")
    assert "overloaded" in page.one("reply-error", reply).text


def test_stop_aborts_the_stream_and_keeps_what_arrived(page, fakes):
    page.configure()
    fakes.script({"kind": "hang", "text": "first words then silence forever", "after_chunks": 1})
    page.send("hello")
    page.wait(lambda: page.reply_text(0) != "")
    page.one("stop").click()
    reply = page.wait_reply_state(0, "stopped")
    assert page.reply_text(0).startswith("first")
    page.one("send")
    page.one("retry", reply).click()
    page.wait_reply_state(0, "done")


def test_empty_and_megabyte_messages_are_refused_politely(page, fakes):
    page.configure()
    box = page.one("composer-input")
    box.send_keys("\n")
    assert "Type a message first" in page.notice()
    page.d.execute_script(
        "const box = arguments[0]; box.value = 'x'.repeat(1000000);"
        "box.dispatchEvent(new Event('input', {bubbles: true}));", box)
    page.one("composer-counter")
    box.send_keys("\n")
    page.wait(lambda: "the limit is" in page.notice())
    assert page.d.execute_script("return arguments[0].value.length", box) == 1_000_000
    assert not page.replies() and not fakes.stream_requests()


def test_hostile_reply_is_shown_as_text_and_never_runs(page, fakes):
    page.configure()
    fakes.script({"kind": "reply", "text": HOSTILE})
    page.send("hello")
    reply = page.wait_reply_state(0, "done")
    html = reply.get_attribute("innerHTML")
    assert "<img" not in html and "<script" not in html
    assert 'href="javascript' not in html
    links = reply.find_elements("css selector", "a")
    assert [a.get_attribute("href") for a in links] == ["https://example.org/help"]
    assert links[0].get_attribute("rel") == "noopener noreferrer nofollow"
    assert "<img src=x" in page.reply_text(0)
    assert not page.hostile_code_ran()


def test_blocked_prompt_is_a_clear_refusal(page, fakes):
    page.configure()
    fakes.script({"kind": "blocked"})
    page.send("hello")
    reply = page.wait_reply_state(0, "failed")
    assert "declined" in page.one("reply-error", reply).text


def test_offline_browser_is_explained_and_nothing_is_lost(page, fakes):
    page.configure(mem0_key="test-mem0-key", user_id="offline-e2e")
    page.send("first, while online")
    page.wait_reply_state(0, "done")
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(0)).text)
    page.d.execute_cdp_cmd("Network.enable", {})
    page.d.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        # The browser knows it is offline: sending is refused at once, with why, and the message
        # stays in the box (nothing half-sent to retry; docs/pwa.md).
        page.wait(lambda: page.by_testid("offline-note"))
        page.send("second, while offline")
        page.wait(lambda: "offline" in page.notice())
        assert "still in the box" in page.notice()
        assert page.one("composer-input").get_attribute("value") == "second, while offline"
        assert page.user_messages() == ["first, while online"] and len(fakes.stream_requests()) == 1
    finally:
        page.d.execute_cdp_cmd("Network.emulateNetworkConditions",
                               {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.wait(lambda: not page.by_testid("offline-note"))
    page.one("send").click()
    page.wait_reply_state(1, "done")
    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(1)).text)
    assert 'You said: "second, while offline"' in page.reply_text(1)
    assert page.user_messages() == ["first, while online", "second, while offline"]


def test_reload_in_the_middle_of_a_streamed_reply_keeps_what_arrived(page, fakes):
    page.configure()
    fakes.script({"kind": "hang", "text": "the first few words and then a very long pause", "after_chunks": 2})
    page.send("tell me something")
    page.wait(lambda: len(page.reply_text(0).split()) >= 6)
    page.d.refresh()
    reply = page.wait_reply_state(0, "cut")
    assert page.reply_text(0).startswith("the first few words")
    # Either the page saw its stream end as it unloaded, or it was saved mid-stream: both say so.
    message = page.one("reply-error", reply).text
    assert "reloaded" in message or "cut off" in message
    assert page.user_messages() == ["tell me something"]
    page.one("retry", reply).click()
    page.wait_reply_state(0, "done")
    assert 'You said: "tell me something"' in page.reply_text(0)
