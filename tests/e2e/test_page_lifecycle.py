"""What happens as the page comes and goes: a draft typed just before the page is left is there
when it comes back, and the browser is asked at start to keep the site's data."""


def test_a_draft_typed_just_before_leaving_is_kept(page):
    page.configure()
    page.send("An evening to remember.")
    page.wait_reply_state(0, "done")
    box = page.one("composer-input")
    box.send_keys("half a thought I did not send")
    # Straight away: well within the pause after typing that stores a draft otherwise.
    page.d.get(page.site_url)
    page.one("transcript")
    page.wait_settled()
    page.wait(lambda: page.one("composer-input").get_attribute("value") == "half a thought I did not send",
              message="the draft was lost when the page went away")


def test_persistent_storage_is_asked_for_at_start_not_only_in_settings(page):
    page.configure()
    closed = "return !document.querySelector('[data-testid=settings]').classList.contains('open')"
    page.close_settings()
    page.wait(lambda: page.d.execute_script(closed))
    # Count the app's requests from the very start of the next load.
    page.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__persistAsked = 0;
        const ask = navigator.storage.persist.bind(navigator.storage);
        navigator.storage.persist = () => { window.__persistAsked += 1; return ask(); };
    """})
    page.d.refresh()
    page.one("transcript")
    page.wait_settled()
    page.wait(lambda: page.d.execute_script("return window.__persistAsked") >= 1,
              message="navigator.storage.persist() was not asked at start")
    assert page.d.execute_script(closed), "Settings stayed closed: the request came from the start"
