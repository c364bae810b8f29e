"""The admin pages and Redeem on the receipt, in headless Chromium over real HTTP.

One story, as a store would live it: two sales fail (an item of a program the store is
not enrolled in), the office logs in, hides one line, enrols the store in the program
(in the sandbox Astro, while the bridge runs), retries the other line; then Sally fills a card and the cashier redeems the free bag
from her receipt. Screenshots of each step go to tests/browser/screenshots/.
"""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORD, button, click


def row_ids(browser, table):
    return [tr.get_attribute("id") for tr in
            browser.find_elements(By.CSS_SELECTOR, f"#{table} tr.failure")]


def test_office_hides_one_failure_fixes_and_retries_another_then_cashier_redeems(
        bridge, browser, shot):
    base, sandbox, journal = bridge

    # Two sales with an item the store is not enrolled for.
    browser.get(button(base, "2001", ("012345678905", "Acme Adult Kibble", 1),
                       ("850000000018", "Songbird Seed", 1)))
    assert "/receipt/demo-2001" in browser.current_url
    assert "Songbird Seed" in browser.page_source
    shot("receipt-with-a-refused-line")
    browser.get(button(base, "2002", ("850000000018", "Songbird Seed", 2)))

    # The office logs in.
    browser.get(f"{base}/admin/")
    assert "Log in" in browser.title
    shot("login")
    browser.find_element(By.ID, "username").send_keys("office")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click(browser, browser.find_element(By.ID, "login"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Failures"
    first, second = sorted(journal.failures(), key=lambda f: f.sale_key)
    assert row_ids(browser, "transaction-table") == [f"failure-{second.id}",
                                                     f"failure-{first.id}"]   # newest first
    assert "No Item Found" in browser.find_element(By.ID, f"failure-{first.id}").text
    assert "not enrolled" in browser.find_element(By.CSS_SELECTOR, ".guidance").text
    shot("failures")

    # Hide the second sale's line.
    click(browser, browser.find_element(By.ID, f"hide-{second.id}"))
    assert "1 hidden." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert row_ids(browser, "transaction-table") == [f"failure-{first.id}"]
    shot("after-hide")

    # Retry before fixing anything: still failing, listed again as a new line.
    click(browser, browser.find_element(By.ID, f"retry-{first.id}"))
    assert "still failing" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    [again] = [f for f in journal.failures() if f.id not in journal.retried_failure_ids()
               and not f.hidden]

    # Fix the cause in Astro: the store enrols in the bird seed program.
    sandbox.enrol(104)
    browser.find_element(By.ID, f"select-{again.id}").click()          # bulk: tick + button
    click(browser, browser.find_element(By.ID, "retry-selected"))
    assert "1 retried and delivered." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert row_ids(browser, "transaction-table") == []
    assert sandbox.state()["transactions"]["demo-2001-2"]["item_code"] == "850000000018"
    shot("after-retry")

    # The customer page links the receipts; the receipt now shows the line punched.
    browser.find_element(By.ID, "logout")      # still logged in
    browser.get(f"{base}/admin/customers/demo/SALLY-1")
    links = browser.find_elements(By.CSS_SELECTOR, "a.receipt-link")
    assert len(links) == 2
    shot("customer")

    # Sally buys her twelfth bag: the receipt offers the free bag (at once, or a moment
    # later when Astro's read went out before the bag was punched: the page reloads
    # itself once it has the reward's id); the cashier redeems it.
    browser.get(button(base, "2003", ("012345678905", "Acme Adult Kibble", 11)))
    redeem_buttons = WebDriverWait(browser, 10).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "form.redeem button"))
    assert len(redeem_buttons) == 1
    shot("receipt-reward-ready")
    click(browser, redeem_buttons[0])
    assert browser.find_element(By.ID, "redeem-heading").text == "Redeemed"
    shot("redeemed")
    click(browser, browser.find_element(By.ID, "back-to-receipt"))
    assert browser.find_elements(By.CSS_SELECTOR, "form.redeem button") == []
    assert "Redeemed" in browser.find_element(By.ID, "redeemed-here").text
    shot("receipt-after-redeem")
    assert len([r for r in sandbox.state()["redemptions"] if r["kind"] == "card"]) == 1

    # Log out: the admin pages ask for the login again.
    browser.get(f"{base}/admin/failures")
    click(browser, browser.find_element(By.ID, "logout"))
    assert "You are logged out." in browser.page_source
    browser.get(f"{base}/admin/failures")
    assert "Log in" in browser.title


def test_cashier_gives_the_address_a_mailed_reward_needs_and_redeems_it(
        bridge, browser, shot):
    base, sandbox, _journal = bridge
    browser.get(button(base, "3001", ("041000000010", "Tidy Paws Litter", 8)))
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.redeem button"))
    assert browser.find_element(By.ID, "redeem-heading").text == "NOT redeemed"
    assert "mailing address" in browser.find_element(By.ID, "redeem-message").text
    shot("address-asked")
    for field, value in (("address", "2 Litter Road"), ("city", "Springfield"),
                         ("state", "IL"), ("zip", "62702")):
        browser.find_element(By.ID, field).send_keys(value)
    click(browser, browser.find_element(By.ID, "save-and-redeem"))
    assert browser.find_element(By.ID, "redeem-heading").text == "Redeemed"
    shot("address-given-redeemed")
    [redemption] = [r for r in sandbox.state()["redemptions"] if r["kind"] == "card"]
    assert redemption["shipping"]["customer_address"] == "2 Litter Road"
