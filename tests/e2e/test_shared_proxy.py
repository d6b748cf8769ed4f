"""A proxy shared by a family: two people signed in at once run the seed script; each sees only
their own memories, and every attempt to reach the other's is refused without reaching mem0."""

import json
import urllib.request

import pytest
import harness
from harness import GEMINI_KEY, MEM0_KEY, ChatPage, launch_proxy, new_driver, proxy_binary, quit_driver, sign_in
from seed_script import SEED_SCRIPT

PEOPLE = {"ann": "ann-correct-horse-1", "bob": "bob-battery-staple-2"}


def add_user(data_dir, name, password):
    harness.add_user({"WELLNESS0_DATA_DIR": str(data_dir)}, name, password)


def own_memory_ids(fakes, user):
    req = urllib.request.Request(f"{fakes.mem0_url}/v1/memories/?user_id={user}",
                                 headers={"authorization": f"Token {MEM0_KEY}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return [m["id"] for m in json.loads(resp.read())]


@pytest.mark.timeout(240)
def test_two_people_each_see_only_their_own_memories(fakes, tmp_path):
    fakes.reset()
    data = tmp_path / "state"
    for name, password in PEOPLE.items():
        add_user(data, name, password)
    drivers = {}
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                      env={"WELLNESS0_DATA_DIR": str(data)}, binary=proxy_binary()) as proxy:
        try:
            pages = {}
            for name, password in PEOPLE.items():
                drivers[name] = new_driver()
                sign_in(drivers[name], proxy.url, name, password)
                page = ChatPage(drivers[name], proxy.url, fakes)
                page.one("transcript")
                page.wait_settled()
                pages[name] = page
            # Both at once: the seed script, turn by turn in both browsers.
            for i, message in enumerate(SEED_SCRIPT):
                for page in pages.values():
                    page.send(message)
                for page in pages.values():
                    page.wait_reply_state(i, "done")
                    page.wait(lambda: "memory updated" in page.one("memory-chip", page.reply(i)).text, timeout=20,
                              message=f"not saved: {page.one('memory-chip', page.reply(i)).text} "
                                      f"{[(r['method'], r['path'], r['status']) for r in fakes.requests('mem0')][-6:]}")
            for name, page in pages.items():
                assert "Afghanistan" in page.reply_text(2)
                page.one("open-settings").click()
                page.wait(page.settings_open)
                page.wait(lambda: name in page.one("signed-in").text)
                assert not page.by_testid("user-id"), "the proxy binds the id: nothing to change"
                page.screenshot(f"shared-proxy-settings-{name}")
                page.d.execute_script("arguments[0].click()", page.one("settings-close"))
                page.wait(lambda: len(page.by_testid("memory-item")) == 3)
            # Every memory write went under the id the proxy binds to the person.
            bound = {name: page.d.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch('api/health').then(r => r.json()).then(h => done(h.auth.user.user_id))")
                for name, page in pages.items()}
            assert bound["ann"] != bound["bob"]
            adds = [r for r in fakes.requests("mem0") if r["path"] == "/v3/memories/add/"]
            assert sorted(a["body"]["user_id"] for a in adds) == sorted([bound["ann"]] * 3 + [bound["bob"]] * 3)
            # Ann, signed in, tries to reach Bob's memories every way the API allows.
            bob = bound["bob"]
            bob_ids = own_memory_ids(fakes, bob)
            assert len(bob_ids) == 3
            before = len(fakes.requests("mem0"))
            # Each is refused as it must be: a call naming someone else's id (or `*`) is 403 before
            # anything is sent; one on a memory of Bob's is 404 after the proxy's ownership
            # look-up, as if it did not exist (nothing says it is someone else's).
            attempts = pages["ann"].d.execute_async_script("""
                const [bobId, bob, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
                const call = (name, method, path, body) => fetch('api/mem0' + path, {method,
                    headers: body ? {'content-type': 'application/json'} : {},
                    body: body ? JSON.stringify(body) : undefined}).then(r => [name, r.status]);
                // One after the other: the look-ups mem0 sees are then in this order.
                (async () => {
                  const out = [];
                  out.push(await call('search Bob', 'POST', '/v3/memories/search/',
                                      {query: 'war', filters: {AND: [{user_id: bob}]}}));
                  out.push(await call('list everyone', 'POST', '/v3/memories/?page=1&page_size=200',
                                      {filters: {AND: [{user_id: '*'}]}}));
                  out.push(await call('delete all of Bob', 'DELETE', '/v1/memories/?user_id=' + bob));
                  out.push(await call('delete all of everyone', 'DELETE', '/v1/memories/?user_id=*'));
                  out.push(await call("read Bob's memory", 'GET', '/v1/memories/' + bobId + '/'));
                  out.push(await call("change Bob's memory", 'PUT', '/v1/memories/' + bobId + '/', {text: 'planted'}));
                  out.push(await call("delete Bob's memory", 'DELETE', '/v1/memories/' + bobId + '/'));
                  return out;
                })().then(done);
            """, bob_ids[0], bob)
            assert dict(attempts) == {
                "search Bob": 403, "list everyone": 403, "delete all of Bob": 403, "delete all of everyone": 403,
                "read Bob's memory": 404, "change Bob's memory": 404, "delete Bob's memory": 404}, attempts
            # Nothing of that reached mem0 but the three ownership look-ups (with the server's key),
            # and Bob's memories are intact.
            after = fakes.requests("mem0")[before:]
            about_bob = [r for r in after if bob_ids[0] in r["path"] or bob in json.dumps([r["query"], r["body"]])]
            assert [(r["method"], r["path"]) for r in about_bob] == [("GET", f"/v1/memories/{bob_ids[0]}/")] * 3, after
            assert all(r["headers"].get("authorization") == f"Token {MEM0_KEY}" for r in about_bob)
            assert all(r["method"] == "GET" for r in after), after
            assert sorted(own_memory_ids(fakes, bob)) == sorted(bob_ids)
            # Signing out goes back to the sign-in page; the app's calls are refused from then on.
            ann = pages["ann"]
            ann.one("open-settings").click()
            ann.wait(ann.settings_open)
            button = ann.one("sign-out")
            ann.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
            ann.wait(lambda: ann.d.find_elements("id", "password"))
            status = ann.d.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch('api/mem0/v3/memories/search/', {method: 'POST', headers: {'content-type': 'application/json'},"
                " body: JSON.stringify({query: 'x', filters: {AND: [{user_id: 'ann'}]}})}).then(r => done(r.status))")
            assert status == 401
        finally:
            for driver in drivers.values():
                quit_driver(driver)


@pytest.mark.timeout(180)
def test_a_person_signs_another_device_out_from_settings(fakes, tmp_path):
    """Ann on a laptop and on a phone: the laptop's Settings lists both devices and signs the phone
    out; the phone's next step lands on the sign-in page, and its old cookie opens nothing."""
    fakes.reset()
    data = tmp_path / "state"
    add_user(data, "ann", PEOPLE["ann"])
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                      env={"WELLNESS0_DATA_DIR": str(data)}, binary=proxy_binary()) as proxy:
        laptop, phone = new_driver(), new_driver(width=390, height=844)
        try:
            pages = {}
            for name, driver in (("laptop", laptop), ("phone", phone)):
                sign_in(driver, proxy.url, "ann", PEOPLE["ann"])
                pages[name] = ChatPage(driver, proxy.url, fakes)
                pages[name].one("transcript")
            page = pages["laptop"]
            page.one("open-settings").click()
            page.wait(page.settings_open)
            page.wait(lambda: len(page.by_testid("device")) == 2, message="both devices listed")
            rows = [r.text for r in page.by_testid("device")]
            assert "This device" in rows[0] and "used just now" in rows[0], rows
            assert "Chrome on Linux" in rows[1], rows
            button = page.one("device-sign-out")
            assert button.get_attribute("aria-label") == "Sign out Chrome on Linux"
            page.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            page.screenshot("shared-proxy-devices")
            button.click()
            page.wait(lambda: len(page.by_testid("device")) == 1, message="the phone left the list")
            assert "Signed out." in page.one("devices-note").text
            # The phone: refused at once, and sent to the sign-in page by its next call.
            status = phone.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch('api/account/devices').then(r => done(r.status))")
            assert status == 401
            phone.refresh()
            pages["phone"].wait(lambda: phone.find_elements("id", "password"), message="the sign-in page")
        finally:
            quit_driver(laptop)
            quit_driver(phone)


# Computed apart with Python's hashlib and hmac (PBKDF2-SHA256, 600,000 rounds; HKDF by RFC 5869);
# the proxy's native twin (proxy/src/auth/kdf.rs) is pinned to the same vector.
VECTOR = {"password": "correct horse battery staple", "salt": "AAECAwQFBgcICQoLDA0ODw",
          "secret": "D7OuVyxd-R5R6zhLXnQP3BZkJdGeUdHmGzaPGjU5yjE",
          "wrap": "oTCsb5UCpArKPXros4XEXkmw7monBhB8vTvzUzxF6uQ"}


def posted_bodies(driver, entries, path_end):
    """The bodies of the page's POSTs whose URL ends with `path_end`, from the DevTools log's
    `entries` (read once: reading the log empties it)."""
    bodies = []
    for entry in entries:
        event = json.loads(entry["message"])["message"]
        if event["method"] != "Network.requestWillBeSent":
            continue
        request = event["params"]["request"]
        if request["method"] == "POST" and request["url"].endswith(path_end):
            body = request.get("postData")
            if body is None and request.get("hasPostData"):
                body = driver.execute_cdp_cmd("Network.getRequestPostData",
                                              {"requestId": event["params"]["requestId"]})["postData"]
            bodies.append(body or "")
    return bodies


@pytest.mark.timeout(180)
def test_the_password_never_leaves_the_browser(fakes, tmp_path):
    """The sign-in page turns the password into a secret on the device (the same derivation as the
    proxy's, pinned to one vector); only that secret is posted, a wrong password is refused with
    the usual words, and the app receives the wrapping key in the tab for the data key."""
    fakes.reset()
    data = tmp_path / "state"
    add_user(data, "ann", PEOPLE["ann"])
    with launch_proxy(fakes.gemini_url, fakes.mem0_url, gemini_key=GEMINI_KEY, mem0_key=MEM0_KEY,
                      env={"WELLNESS0_DATA_DIR": str(data)}, binary=proxy_binary()) as proxy:
        driver = new_driver(width=390, height=844, performance_log=True)
        try:
            driver.get(proxy.url)
            page = ChatPage(driver, proxy.url, fakes)
            page.wait(lambda: driver.find_elements("id", "password"), message="the sign-in page")
            derived = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "derive(arguments[0], arguments[1], 600000).then(done, e => done(String(e)))",
                VECTOR["password"], VECTOR["salt"])
            assert derived == {"secret": VECTOR["secret"], "wrap": VECTOR["wrap"]}, derived
            sign_in(driver, proxy.url, "ann", "not ann's password at all")
            page.wait(lambda: "do not match" in driver.find_element("css selector", "[role=alert]").text,
                      message="a wrong password is refused")
            assert driver.execute_script("return sessionStorage.length") == 0, "no key of a refused password stays"
            page.screenshot("sign-in-refused-phone")
            driver.find_element("id", "password").send_keys(PEOPLE["ann"])
            driver.find_element("css selector", "button[type=submit]").click()
            page.one("transcript")
            page.wait_settled()
            entries = driver.get_log("performance")
            bodies = posted_bodies(driver, entries, "/auth/signin")
            assert len(bodies) == 2, bodies
            for body in bodies:
                assert "secret=" in body and "password" not in body, body
                assert PEOPLE["ann"] not in body and "not+ann" not in body, body
            params = posted_bodies(driver, entries, "/auth/params")
            assert params == ["name=ann", "name=ann"], params
            # The app took the wrapping key at once (none stays in the tab's storage) and made the
            # sync key with it: the first device shows the recovery code.
            page.one("recovery-code")
            assert driver.execute_script("return sessionStorage.getItem('wellness0.signin-wrap')") is None
            kept = json.loads(driver.execute_script("return localStorage.getItem('wellness0.sync-key')"))
            assert kept["name"] == "ann" and len(kept["key"]) == 43, kept
        finally:
            quit_driver(driver)
