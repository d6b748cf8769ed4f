"""The Content-Security-Policy (issue 13, part 3): on a plain static host the policy is the
`<meta>` scripts/csp.py writes into the build; behind the proxy it is also the proxy's header.
Either way the app does all it does — the seed conversation with memory, the drawers, the
help panel — with zero violation reports, and a script slipped into the page does not run and
is reported."""

import json

import pytest
from harness import GEMINI_KEY, MEM0_KEY, launch_proxy, proxy_binary
from seed_script import SEED_SCRIPT

# Installed over DevTools before any of the page's own code runs (DevTools scripts are not
# subject to the page's policy): every violation the browser reports is kept in the page.
WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push({
  directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
  source: e.sourceFile, line: e.lineNumber, disposition: e.disposition}));
"""


def watching(page):
    """Reloads the page with the violation listener in place from its first byte."""
    page.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    page.d.refresh()
    page.one("transcript")
    page.wait_settled()
    assert page.d.execute_script("return Array.isArray(window.__cspViolations)")
    return page


def violations(page):
    return page.d.execute_script("return window.__cspViolations")


def refused_in_console(page):
    return [e["message"] for e in page.d.get_log("browser") if "Content Security Policy" in e["message"]]


def meta_policy(page):
    return page.d.execute_script(
        "return document.querySelector('meta[http-equiv=Content-Security-Policy]')?.content ?? null")


def directives(policy):
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def use_the_app(page, fakes):
    """The seed conversation with memory, then the places a person goes."""
    for i, message in enumerate(SEED_SCRIPT):
        page.turn(i, message)
    assert "Afghanistan" in page.reply_text(2)
    page.one("memory-chip", page.reply(2)).click()
    page.one("memory-used")
    page.one("get-help").click()
    page.wait(lambda: page.one("help-panel").get_attribute("open") is not None)
    page.one("help-close").click()
    page.one("open-settings").click()
    page.wait(page.settings_open)
    page.one("settings-close").click()
    fakes.script({"kind": "error", "status": 429, "retry_delay": "7200s"})
    page.send("And tomorrow?")
    page.wait_reply_state(3, "failed")


def injected_scripts_are_blocked(page, fakes):
    """An inline script, an inline event handler and a script from another origin, put into
    the DOM as an attacker who got past the sanitiser would: none runs, each is reported."""
    before = len(violations(page))
    page.d.execute_script("""
        const inline = document.createElement('script');
        inline.textContent = 'window.__pwned = "inline script"';
        document.body.append(inline);
        const holder = document.createElement('div');
        holder.innerHTML = '<img src="icons/icon-32.png" onload="window.__pwned = \\'handler\\'">';
        document.body.append(holder);
        const remote = document.createElement('script');
        remote.src = arguments[0] + '/evil.js';
        document.body.append(remote);
    """, fakes.gemini_url)
    page.wait(lambda: len(violations(page)) >= before + 3, message=f"violations: {violations(page)}")
    reported = violations(page)[before:]
    assert {v["directive"] for v in reported} == {"script-src-elem", "script-src-attr"}, reported
    assert any(v["blocked"] == "inline" and v["directive"] == "script-src-elem" for v in reported), reported
    assert any(v["blocked"].startswith(fakes.gemini_url) for v in reported), reported
    assert all(v["disposition"] == "enforce" for v in reported)
    assert not page.hostile_code_ran()
    assert not [r for r in fakes.requests("gemini") if r["path"] == "/evil.js"], "the blocked script was not fetched"


def test_the_static_build_runs_under_its_policy_and_blocks_an_injected_script(open_page, fakes):
    fakes.reset()
    page = watching(open_page())
    policy = directives(meta_policy(page))
    assert policy["default-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    script_src = policy["script-src"]
    assert script_src[:2] == ["'self'", "'wasm-unsafe-eval'"] and all(s.startswith("'sha256-") for s in script_src[2:])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src

    page.configure(mem0_key=MEM0_KEY, user_id="csp-e2e")
    page.wait(lambda: page.by_testid("memory-empty") or page.by_testid("memory-item"))
    use_the_app(page, fakes)
    assert violations(page) == [] and refused_in_console(page) == []
    injected_scripts_are_blocked(page, fakes)


@pytest.mark.timeout(120)
def test_behind_the_proxy_the_header_policy_holds_too(fakes, open_page):
    fakes.reset()
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                      binary=proxy_binary()) as proxy:
        page = watching(open_page(proxy.url))
        page.wait(lambda: page.d.find_element("css selector", ".app").get_attribute("data-mode") == "proxy")
        # The proxy's own header: the page may talk only to its own origin.
        header = page.d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('./').then((r) => done(r.headers.get('content-security-policy')), (e) => done(String(e)));
        """)
        assert directives(header)["connect-src"] == ["'self'"] and directives(header)["frame-ancestors"] == ["'none'"]
        page.one("open-settings").click()
        page.wait(page.settings_open)
        page.replace_text("user-id", "csp-proxy-e2e")
        page.one("settings-save").click()
        page.one("settings-close").click()
        use_the_app(page, fakes)
        assert violations(page) == [] and refused_in_console(page) == [], json.dumps(violations(page))
        injected_scripts_are_blocked(page, fakes)
