"""The hosted set-up: the proxy serves the site and holds the keys; the page needs none."""

import json
import os
import pathlib
import subprocess

import pytest
from conftest import GEMINI_KEY, MEM0_KEY, ROOT, ChatPage, new_driver
from test_chat import SEED_SCRIPT


def start_proxy(fakes, gemini_key, mem0_key):
    binary = os.environ.get("PROXY_BIN", str(ROOT / "target" / "debug" / "wellness0-proxy"))
    if not os.path.exists(binary):
        subprocess.run(["cargo", "build", "-p", "wellness0-proxy"], cwd=ROOT, check=True)
    dist = pathlib.Path(os.environ.get("DIST_DIR", ROOT / "dist"))
    env = {**os.environ, "GEMINI_API_KEY": gemini_key, "MEM0_API_KEY": mem0_key}
    proc = subprocess.Popen(
        [binary, "--port", "0", "--dist", str(dist), "--gemini-upstream", fakes.gemini_url,
         "--mem0-upstream", fakes.mem0_url, "--rate-limit-per-minute", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT / "tests"),
    )
    line = proc.stdout.readline()
    assert "listening on" in line, line
    return proc, line.strip().split(" listening on ")[1] + "/"


@pytest.fixture(scope="module")
def proxy(fakes):
    proc, url = start_proxy(fakes, GEMINI_KEY, MEM0_KEY)
    yield url
    proc.terminate()
    _, logs = proc.communicate(timeout=10)
    # The proxy never logs keys or what the user said.
    assert GEMINI_KEY not in logs and MEM0_KEY not in logs
    assert "war veteran" not in logs


def test_seed_script_through_the_proxy_with_no_keys_in_the_page(proxy, fakes):
    fakes.reset()
    page = ChatPage(new_driver(), proxy, fakes)
    try:
        page.open()
        page.wait(lambda: page.d.find_element("css selector", ".app").get_attribute("data-mode") == "proxy")
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
        assert GEMINI_KEY not in page.d.page_source
        assert json.loads(storage)[0].get("wellness0.keys") is None
    finally:
        page.d.quit()


def test_a_bad_key_on_the_server_is_the_sites_problem_not_the_users(fakes):
    fakes.reset()
    proc, url = start_proxy(fakes, "wrong-gemini-key", "wrong-mem0-key")
    page = ChatPage(new_driver(), url, fakes)
    try:
        page.open()
        page.wait(lambda: page.d.find_element("css selector", ".app").get_attribute("data-mode") == "proxy")
        page.send("hello")
        reply = page.wait_reply_state(0, "failed")
        assert "This site's Gemini key was not accepted" in page.one("reply-error", reply).text
        page.wait(lambda: "this site's key" in page.one("memory-error").get_attribute("textContent"))
    finally:
        page.d.quit()
        proc.terminate()
        proc.wait(timeout=10)
