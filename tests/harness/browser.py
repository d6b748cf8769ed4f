"""Headless Chromium over WebDriver (chromedriver), one fresh profile per browser."""

import contextlib
import os
import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
# this closed network refuses; every test must stay on loopback anyway.
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage"]


def new_driver(width=1280, height=900, performance_log=False):
    """A new headless Chromium with its own profile and downloads folder (`_w0_profile`, `_w0_downloads`).

    Browser console messages are kept (`get_log("browser")`); with `performance_log`, the page's
    DevTools network events too (`get_log("performance")`). Quit it with `quit_driver`.
    """
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BIN", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="w0-profile-")
    for flag in [*CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    logs = {"browser": "ALL", **({"performance": "ALL"} if performance_log else {})}
    options.set_capability("goog:loggingPrefs", logs)
    downloads = os.path.join(profile, "downloads")
    os.makedirs(downloads)
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:  # a test timeout too (not an Exception): chromedriver must not be left running
        service.stop()
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver._w0_profile = profile
    driver._w0_downloads = downloads
    return driver


def quit_driver(driver):
    """Quits the browser and removes its profile."""
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver._w0_profile, ignore_errors=True)


@contextlib.contextmanager
def open_driver(**kwargs):
    """`new_driver` for a `with` block: the browser is quit on the way out, whatever happens."""
    driver = new_driver(**kwargs)
    try:
        yield driver
    finally:
        quit_driver(driver)
