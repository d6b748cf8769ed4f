"""End-to-end fixtures: the built site (dist/), the fake Gemini and mem0 servers, and headless
Chromium driven over WebDriver, used the way a person uses the app. The machinery lives in the
shared harness (tests/harness/); this file only turns it into pytest fixtures."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # tests/: the shared harness

from harness import ChatPage, StaticSite, dist_dir, fakes_binary, launch_fakes, new_driver, proxy_binary  # noqa: E402
from harness import quit_driver  # noqa: E402
from harness.page import ARTIFACTS  # noqa: E402

E2E = pathlib.Path(__file__).resolve().parent
# Every e2e test fails after this long instead of hanging (tests that need longer say so with
# @pytest.mark.timeout). It covers the test's fixtures too: starting a browser, the fakes, the site.
TIMEOUT_S = 90


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("the e2e tests need pytest-timeout (tests/requirements.txt): bash scripts/setup.sh")


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if E2E in item.path.parents]
    for item in e2e:
        if not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(TIMEOUT_S))
    # Build missing binaries now, before any test's timeout starts.
    if e2e and not config.option.collectonly:
        fakes_binary()
        if any(item.path.name == "test_proxy.py" for item in e2e):
            proxy_binary()


@pytest.fixture(scope="session")
def fakes():
    launched, handle = launch_fakes("--chunk-ms", 40, "--first-token-ms", 100, binary=fakes_binary(),
                                    services=("gemini", "mem0", "selfhosted"))
    with launched:
        yield handle


@pytest.fixture(scope="session")
def site():
    with StaticSite(dist_dir()) as server:
        yield server.url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def open_page(request, site, fakes):
    """Opens the app in a new browser (default: the test site; `driver_options` go to `new_driver`);
    each is quit after the test, with a screenshot in tests/e2e/artifacts/ if the test failed."""
    drivers = []

    def open_one(url=None, **driver_options):
        driver = new_driver(**driver_options)
        drivers.append(driver)
        return ChatPage(driver, url or site, fakes).open()

    yield open_one
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, driver in enumerate(drivers):
        try:
            if failed:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(ARTIFACTS / f"{request.node.name}-failed{'-' + str(i) if i else ''}.png"))
        finally:
            quit_driver(driver)


@pytest.fixture
def page(open_page, fakes):
    fakes.reset()
    return open_page()
