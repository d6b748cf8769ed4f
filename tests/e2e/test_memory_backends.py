"""The two memory services end to end: a self-hosted mem0 server (direct and through the proxy),
and the refusal of empty or wildcard user ids wherever one could reach mem0."""

import json

from harness import GEMINI_KEY, MEM0_KEY, launch_proxy, proxy_binary
from seed_script import SEED_SCRIPT

SELFHOSTED_KEY = "test-selfhosted-key"  # the fake's default admin key


def run_seed_script(page):
    for i, message in enumerate(SEED_SCRIPT):
        page.turn(i, message)
    assert "Afghanistan" in page.reply_text(2)


def selfhosted_calls(fakes):
    return [r for r in fakes.requests("selfhosted")]


def test_seed_script_on_a_self_hosted_server_called_directly(page, fakes):
    origin = page.site_url.rstrip("/")
    fakes.control("selfhosted", "POST", "cors", {"origin": origin})
    page.configure(selfhosted_url=fakes.selfhosted_url, selfhosted_key=SELFHOSTED_KEY, user_id="hosted-veteran")
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    run_seed_script(page)

    calls = selfhosted_calls(fakes)
    paths = {(r["method"], r["path"]) for r in calls}
    assert {("POST", "/search"), ("POST", "/memories"), ("GET", "/memories")} <= paths, paths
    assert all(not r["path"].endswith("/") for r in calls), "the server's paths have no trailing slash"
    assert all(r["headers"].get("x-api-key") == SELFHOSTED_KEY for r in calls)
    assert not fakes.requests("mem0"), "nothing went to the Platform"
    adds = [r for r in calls if r["method"] == "POST" and r["path"] == "/memories"]
    assert [a["body"]["messages"][0]["content"] for a in adds] == SEED_SCRIPT
    # The list was fetched once at the start, not after each turn.
    assert len([r for r in calls if r["method"] == "GET" and r["path"] == "/memories"]) == 1
    third = fakes.stream_requests()[2]["body"]["systemInstruction"]["parts"][0]["text"]
    assert "Afghanistan" in third
    # The server has no feedback: the sidebar offers none (and does not fake it).
    page.wait(lambda: any("Afghanistan" in t.text for t in page.by_testid("memory-text")))
    assert not page.by_testid("memory-useful") and not page.by_testid("memory-not-useful")
    page.screenshot("memory-selfhosted-direct")


def test_seed_script_on_a_self_hosted_server_through_the_proxy(fakes, open_page):
    fakes.reset()
    env = {"MEM0_BACKEND": "self-hosted", "MEM0_BASE_URL": fakes.selfhosted_url}
    with launch_proxy(fakes.gemini_url, fakes.selfhosted_url, gemini_key=GEMINI_KEY, mem0_key=SELFHOSTED_KEY,
                      env=env, binary=proxy_binary()) as proxy:
        page = open_page(proxy.url)
        page.wait(lambda: page.d.find_element("css selector", ".app").get_attribute("data-mode") == "proxy")
        page.one("open-settings").click()
        page.wait(lambda: "self-hosted mem0 server" in page.one("memory-service-held").text)
        page.replace_text("user-id", "proxied-hosted")
        page.one("settings-save").click()
        page.one("settings-close").click()
        run_seed_script(page)
    calls = selfhosted_calls(fakes)
    assert calls and all(r["headers"].get("x-api-key") == SELFHOSTED_KEY for r in calls)
    assert {a["body"]["user_id"] for a in calls if a["path"] == "/memories" and a["method"] == "POST"} == {
        "proxied-hosted"}
    assert not fakes.requests("mem0")


def test_a_wildcard_user_id_never_reaches_mem0(page, fakes):
    # The id can only get there by tampering with storage (Settings refuses it), or from a write
    # queued under it: both are refused before anything is sent.
    page.d.execute_script("""
        localStorage.setItem('wellness0.settings', JSON.stringify({user_id: '*', gemini_base_url: arguments[0],
            mem0_base_url: arguments[1]}));
        sessionStorage.setItem('wellness0.keys', JSON.stringify({gemini: arguments[2], mem0: arguments[3]}));
        localStorage.setItem('wellness0.outbox', JSON.stringify({next_id: 1, items: [{id: 1, reply_id: null,
            turn: {user_id: '*', messages: [{role: 'user', content: 'planted'}], metadata: {}, infer: true},
            attempts: 0, next_attempt_ms: 0, last_error: null, gave_up: false}]}));
    """, fakes.gemini_url, fakes.mem0_url, GEMINI_KEY, MEM0_KEY)
    page.d.refresh()
    page.one("transcript")
    page.send("hello")
    page.wait_reply_state(0, "done")
    chip = page.one("memory-chip", page.reply(0))
    assert "replied without memory" in chip.text
    assert "user id cannot be used" in chip.get_attribute("title")
    page.wait(lambda: "user id cannot be used" in page.one("memory-write-failed").text)
    # Settings says why, and will not take the id either.
    page.one("open-settings").click()
    page.replace_text("user-id", "*")
    page.one("settings-save").click()
    page.wait(lambda: "user id may only use" in page.one("settings-error").text)
    for bad in [r for r in fakes.requests("mem0")]:
        assert "*" not in json.dumps([bad["path"], bad.get("query"), bad.get("body")]), bad
    assert not fakes.requests("mem0"), "nothing at all was sent under that id"
