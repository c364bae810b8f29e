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


def test_the_failures_page_fits_a_phone_with_lines_as_cards_and_buttons_on_screen(
        bridge, browser, shot):
    import datetime as dt

    from bridge.astro import AstroClient
    from bridge.delivery import learn_refused_items
    from bridge.reasons import Reason

    base, sandbox, journal = bridge
    # Lines to act on (bird seed: a program the store is not enrolled in; an answer of
    # Astro's own), and routine ones (a leash and a toy: in no program at all).
    browser.get(button(base, "4001", ("012345678905", "Acme Adult Kibble", 1),
                       ("850000000018", "Songbird Wild Bird Seed 10 lb", 1),
                       ("400000000002", "Leash, red", 1)))
    browser.get(button(base, "4002", ("850000000018", "Songbird Wild Bird Seed 10 lb", 2),
                       ("400000000001", "Chew Toy", 1)))
    journal.record_failure("demo", "transaction", "Customer record locked by another "
                           "session (code 917): try again later", reason=Reason.REFUSED,
                           sale_key="demo-4003", customer_id="SALLY-1",
                           item_code="072030001234", description="Acme Puppy Kibble 15 lb",
                           transaction_id="demo-S2025-1-0003295-1-with-a-long-id",
                           endpoint="addTransactionBatch", status_code=410)
    with AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client") as client:
        learn_refused_items(journal, lambda _store: client,
                            dt.datetime.now(dt.timezone.utc), holder="test")

    browser.get(f"{base}/admin/")
    browser.find_element(By.ID, "username").send_keys("office")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click(browser, browser.find_element(By.ID, "login"))
    assert len(row_ids(browser, "transaction-table")) == 3
    for width, height, name in ((1400, 1000, "desktop"), (390, 844, "phone")):
        browser.set_window_size(width, height)
        browser.get(f"{base}/admin/failures")
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert viewport <= width
        assert browser.execute_script("return document.documentElement.scrollWidth") \
            <= viewport, name
        buttons = browser.find_elements(By.CSS_SELECTOR, "tr.failure button")
        assert len(buttons) == 6
        for b in buttons:                       # Retry and Hide of each line, on screen
            assert b.is_displayed() and b.rect["x"] >= 0 and \
                b.rect["x"] + b.rect["width"] <= viewport, (name, b.get_attribute("id"))
        lines = browser.find_elements(By.CSS_SELECTOR, "tr.failure")
        assert all(0 <= line.rect["x"] and line.rect["x"] + line.rect["width"] <= viewport
                   for line in lines), name
        shown = {line.value_of_css_property("display") for line in lines}
        assert shown == ({"block"} if name == "phone" else {"table-row"}), name
        routine = browser.find_element(By.ID, "routine-failures")
        assert routine.get_attribute("open") is None                 # collapsed
        assert "2 lines, 2 item codes" in routine.text
        table = browser.find_element(By.ID, "transaction-table").text
        assert "410" not in table and "Status" not in table
        # Astro's own words are shown; a message that only repeats the reason is not.
        assert "record locked" in table and table.count("No Item Found") == 2
        steps = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#guidance li")]
        assert steps and not [s for s in steps if s[:1].isdigit()]   # bullets, no numbers
        shot(f"failures-{name}")
    routine.find_element(By.TAG_NAME, "summary").click()           # open it, on the phone
    items = routine.find_elements(By.CSS_SELECTOR, "tr.routine-item")
    assert [i.find_element(By.TAG_NAME, "code").text for i in items] == [
        "400000000001", "400000000002"]
    assert {i.value_of_css_property("display") for i in items} == {"block"}
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
    shot("failures-phone-routine-open")
