"""Headless Chromium for the browser tests (Debian's chromium + chromium-driver).

`browser` is a selenium WebDriver on a fresh profile; `shot(name)` saves a screenshot
under tests/browser/screenshots/ (gitignored) for people to look at after a run;
`bridge` is the bridge (with /admin) on a sandbox Astro over HTTP, `button(...)` a button
URL of Sally's, `click(browser, element)` a click that loads a page. The
tests are skipped, with the reason, only when chromium or chromedriver is not installed,
and never in CI (CI=true), where .ci/run installs them: there a missing browser fails.
"""
import base64
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

PASSWORD = "office password"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture
def browser():
    """A headless Chromium driven by selenium, closed after the test."""
    reason = _missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="astro-bridge-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def shot(browser, request):
    """shot(name): save the current page as
    tests/browser/screenshots/<test module>/<first words of the test>-<nn>-<name>.png."""
    folder = SCREENSHOTS / request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    folder.mkdir(parents=True, exist_ok=True)
    counter = [0]

    def save(name: str) -> Path:
        counter[0] += 1
        story = "_".join(request.node.name.removeprefix("test_").split("_")[:3])
        path = folder / f"{story}-{counter[0]:02d}-{name}.png"
        # The whole page, not just the window (Chromium's DevTools screenshot).
        size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        image = browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        path.write_bytes(base64.b64decode(image["data"]))
        return path

    return save


@pytest.fixture
def bridge(tmp_path):
    """The bridge (main app with /admin) over HTTP on a free port, on a sandbox Astro."""
    from bridge.app import create_app
    from bridge.config import AdminUser
    from bridge.journal import Journal
    from bridge.passwords import hash_password
    from bridge.sandbox.server import SandboxServer
    from bridge.web.serving import BridgeServer
    from tests.conftest import TEST_HASH_N, demo_config_for_tests

    sandbox = SandboxServer().start()
    config = dataclasses.replace(
        demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db")),
        admins=(AdminUser("office", hash_password(PASSWORD, n=TEST_HASH_N)),))
    journal = Journal(config.journal_path)
    app = create_app(config, journal)
    server = BridgeServer(app, "127.0.0.1", 0).start()
    try:
        yield server.url, sandbox, journal
    finally:
        server.stop(drain=2)
        app.config["bridge.web"].clients.close()
        journal.close()
        sandbox.stop()


def button(base, sale_id, *lines, subtotal=None):
    """Sally's button URL with `lines` ((UPC, description, qty)) and a SubTotal."""
    params = [("apiusername", "demo"), ("apipassword", "demo-button"),
              ("CustomerID", "SALLY-1"), ("FirstName", "Sally"), ("LastName", "Pet Owner"),
              ("Email", "sally@example.com"), ("SaleID", sale_id)]
    for n, (upc, description, qty) in enumerate(lines, 1):
        params += [(f"UPC{n}", upc), (f"Description{n}", description), (f"Qty{n}", qty)]
    if subtotal is not None:
        params.append(("SubTotal", subtotal))
    return f"{base}/?{urlencode(params)}"


def click(browser, element):
    """Click something that loads a new page, and wait until it has loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        try:
            old.is_enabled()
            return False
        except WebDriverException:     # stale, or "does not belong to the document"
            return True
    WebDriverWait(browser, 10).until(replaced)
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.readyState") == "complete")
