"""The hosted set-up: the proxy serves the site and holds the keys; the page needs none."""

import json

import pytest
from harness import GEMINI_KEY, MEM0_KEY, launch_proxy, proxy_binary
from seed_script import SEED_SCRIPT


@pytest.fixture(scope="module")
def proxy(fakes):
    # Debug logs (its own and its libraries'): far more than it logs by default.
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                      env={"RUST_LOG": "debug"}, binary=proxy_binary()) as running:
        yield running
    logs = running.output()
    # The proxy logs every call it forwards (so this looks at real log lines) ...
    assert "/api/gemini/" in logs and "/api/mem0/" in logs, logs
    # ... and never keys or what the user said.
    assert GEMINI_KEY not in logs and MEM0_KEY not in logs
    assert "war veteran" not in logs


def wait_proxy_mode(page):
    page.wait(lambda: page.d.find_element("css selector", ".app").get_attribute("data-mode") == "proxy")


def test_seed_script_through_the_proxy_with_no_keys_in_the_page(proxy, fakes, open_page):
    fakes.reset()
    page = open_page(proxy.url)
    wait_proxy_mode(page)
    assert not page.settings_open(), "nothing to set up: the proxy holds the keys"
    page.one("open-settings").click()
    page.wait(lambda: "proxy holds the Gemini key" in page.one("gemini-key-held").text)
    assert not page.one("gemini-key").is_displayed() and not page.one("mem0-key").is_displayed()
    page.replace_text("user-id", "proxy-veteran")
    page.one("settings-save").click()
    page.one("settings-close").click()

    for i, message in enumerate(SEED_SCRIPT):
        page.send(message)
        page.wait_reply_state(i, "done")
        page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(i)).text)
    assert "Afghanistan" in page.reply_text(2)

    streams = fakes.stream_requests()
    assert len(streams) == 3 and all(r["headers"]["x-goog-api-key"] == GEMINI_KEY for r in streams)
    third = streams[2]["body"]["systemInstruction"]["parts"][0]["text"]
    assert "Afghanistan" in third
    mem0 = [r for r in fakes.requests("mem0") if r["path"].startswith("/v")]
    assert mem0 and all(r["headers"]["authorization"] == f"Token {MEM0_KEY}" for r in mem0)
    storage = page.d.execute_script(
        "return JSON.stringify([Object.assign({}, localStorage), Object.assign({}, sessionStorage)])")
    assert GEMINI_KEY not in storage and MEM0_KEY not in storage
    assert GEMINI_KEY not in page.d.page_source and MEM0_KEY not in page.d.page_source
    assert json.loads(storage)[0].get("wellness0.keys") is None


def test_a_bad_key_on_the_server_is_the_sites_problem_not_the_users(fakes, open_page):
    fakes.reset()
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key="wrong-gemini-key", mem0_key="wrong-mem0-key",
                      binary=proxy_binary()) as proxy:
        page = open_page(proxy.url)
        wait_proxy_mode(page)
        page.send("hello")
        reply = page.wait_reply_state(0, "failed")
        assert "This site's Gemini key was not accepted" in page.one("reply-error", reply).text
        page.wait(lambda: "This site's mem0 key was not accepted"
                  in page.one("memory-error").get_attribute("textContent"))
