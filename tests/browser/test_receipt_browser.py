"""The cashier's receipt in headless Chromium, on a desktop and on a 390 x 844 phone
(issue 14): the summary, the cards punched, the points and the rewards are above the
fold (positions measured); a reward redeemed leaves the receipt, which shows the
balance left. Screenshots go to tests/browser/screenshots/receipt_browser/."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import button, click

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
KIBBLE, PUPPY, SEED = "012345678905", "072030001234", "850000000018"


def on_a_phone(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def bottoms(browser, css: str) -> list[float]:
    """Where the elements matching `css` end, from the top of the page (CSS pixels)."""
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map("
        "e => e.getBoundingClientRect().bottom + window.scrollY)", css)


def with_rewards(browser, count: int):
    """The receipt once its rewards are in (it reloads itself when Astro's read of them
    went out before the writes)."""
    return WebDriverWait(browser, 10).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "form.redeem button")) == count
        and not b.find_elements(By.ID, "checking"))


def test_the_demo_receipt_on_a_desktop_and_a_phone(bridge, browser, shot):
    base, _sandbox, _journal = bridge
    browser.get(button(base, "4001", (KIBBLE, "Acme Adult Dog Kibble 30 lb", 1),
                       (PUPPY, "Acme Puppy Kibble 15 lb", 1), subtotal="74.98"))
    assert browser.find_element(By.ID, "summary").text == "2 items punched · 74 points"
    [program] = browser.find_elements(By.CSS_SELECTOR, "section.program")
    assert program.find_element(By.CSS_SELECTOR, ".program-title").text == \
        "Buy 12 Get 1 Dog Kibble · card 2/12 (+2)"
    assert len(program.find_elements(By.CSS_SELECTOR, "li")) == 2
    shot("receipt-desktop")
    on_a_phone(browser)
    browser.refresh()
    assert browser.execute_script("return window.innerWidth") == 390
    fold = browser.execute_script("return window.innerHeight")
    assert fold == 844
    for css in ("#summary", "#status", "section.program", "#points"):
        assert all(b <= fold for b in bottoms(browser, css)), css
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shot("receipt-phone")


def test_a_busy_receipt_on_a_phone_shows_its_rewards_above_the_fold_and_redeems_one(
        bridge, browser, shot):
    base, sandbox, _journal = bridge
    on_a_phone(browser)
    # Ten bags and two of puppy food fill the card; 120 points cover "$5 off" (100); the
    # bird seed is in no program the store is enrolled in.
    browser.get(button(base, "4002", (KIBBLE, "Acme Adult Dog Kibble 30 lb", 10),
                       (PUPPY, "Acme Puppy Kibble 15 lb", 2), (SEED, "Songbird Seed", 1),
                       subtotal="120.00"))
    with_rewards(browser, 2)
    assert browser.find_element(By.ID, "summary").text == \
        "12 items punched · 120 points · 2 rewards ready"
    assert "card 12/12, complete (+12)" in browser.find_element(
        By.CSS_SELECTOR, "section.program").text
    fold = browser.execute_script("return window.innerHeight")
    for css in ("#summary", "section.program", "#points", "#rewards",
                "form.redeem button"):
        found = bottoms(browser, css)
        assert found and all(b <= fold for b in found), (css, found, fold)
    shot("busy-receipt-phone")

    click(browser, browser.find_element(By.ID, "redeem-points-501"))
    assert browser.find_element(By.ID, "redeem-message").text == \
        "Redeemed: $5 off. Take $5 off this sale."
    shot("redeemed-phone")
    click(browser, browser.find_element(By.ID, "back-to-receipt"))
    points = browser.find_element(By.ID, "points").text
    assert "Balance: 20 points" in points                  # 120 - 100
    assert browser.find_elements(By.ID, "redeem-points-501") == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "form.redeem button")) == 1  # the bag
    assert "$5 off: Redeemed" in browser.find_element(By.ID, "redeemed-here").text
    assert all(b <= browser.execute_script("return window.innerHeight")
               for b in bottoms(browser, "form.redeem button"))
    shot("reward-receipt-after-redeeming-phone")
    assert [c["points_balance"] for c in sandbox.state()["customers"]
            if c["customerID"] == "SALLY-1"] == [20]
