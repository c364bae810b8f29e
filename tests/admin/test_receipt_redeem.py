"""Redeem from the cashier's receipt page, through the main web app (webtest)."""
import pytest
import webtest

from tests.admin.conftest import ADMIN_PASSWORD
from tests.clock import wait_until

BUTTON = "apiusername=demo&apipassword=demo-button"


@pytest.fixture
def main_app(config, journal):
    from bridge.app import create_app
    from bridge.webbase.throttle import LoginThrottle

    app = create_app(config, journal, throttle=LoginThrottle(journal))
    yield webtest.TestApp(app)
    app.config["bridge.web"].clients.close()


def _click(app, sale_id, upc, qty, extra=""):
    r = app.get(f"/?{BUTTON}&CustomerID=SALLY-1&FirstName=Sally&LastName=Pet%20Owner"
                f"&Email=sally@example.com&SaleID={sale_id}&UPC1={upc}&Qty1={qty}{extra}",
                status=303)
    receipt = r.follow()
    # A card the click completes may be confirmed by a read in the background (the
    # round's read answered before the batch): the page reloads itself until it is.
    return wait_until(lambda: (lambda page: None if 'id="checking"' in page.text else page)(
        app.get(receipt.request.path_qs)), "the receipt's background read")


def _redemptions(sandbox):
    return [r for r in sandbox.state()["redemptions"] if not r.get("removed")]


def test_receipt_offers_the_complete_card_and_redeems_it_once(main_app, sandbox):
    receipt = _click(main_app, 1, "012345678905", 12)
    forms = [f for f in receipt.forms.values() if f.action.endswith("/redeem")]
    assert len(forms) == 1 and "Acme Adult Dog Kibble" in receipt.text
    done = forms[0].submit(status=200)
    assert done.html.find(id="redeem-heading").text == "Redeemed"
    again = forms[0].submit(status=200)                       # the same form, again
    assert "Already redeemed" in again.text and "not redeemed a second time" in again.text
    assert len(_redemptions(sandbox)) == 1
    back = done.click(linkid="back-to-receipt")
    assert not [f for f in back.forms.values() if f.action.endswith("/redeem")]
    assert "Redeemed" in back.html.find(id="redeemed-here").text


def test_redeem_without_the_csrf_token_redeems_nothing(main_app, sandbox):
    receipt = _click(main_app, 1, "012345678905", 12)
    form = [f for f in receipt.forms.values() if f.action.endswith("/redeem")][0]
    form["csrf"] = "forged"
    r = form.submit(status=403)
    assert "NOT redeemed" in r.text and _redemptions(sandbox) == []


def test_a_program_needing_the_address_asks_for_it_then_redeems(main_app, sandbox):
    receipt = _click(main_app, 1, "041000000010", 8)
    form = [f for f in receipt.forms.values() if f.action.endswith("/redeem")][0]
    asked = form.submit(status=200)
    assert asked.html.find(id="redeem-heading").text == "NOT redeemed"
    info = asked.forms["customer-info"]
    info["address"], info["city"], info["state"], info["zip"] = (
        "2 Litter Road", "Springfield", "IL", "62702")
    done = info.submit(status=200)
    assert done.html.find(id="redeem-heading").text == "Redeemed"
    [r] = _redemptions(sandbox)
    assert r["shipping"]["customer_zip"] == "62702"


def test_a_failed_redemption_says_not_redeemed_and_reaches_the_failure_report(
        main_app, sandbox):
    receipt = _click(main_app, 1, "012345678905", 12)
    form = [f for f in receipt.forms.values() if f.action.endswith("/redeem")][0]
    # 503 on every try (the store's client retries a NotSent call once).
    sandbox.set_faults({"next": [{"endpoint": "addRedemption", "count": 3,
                                         "fault": "status", "status": 503}]})
    failed = form.submit(status=409)
    assert failed.html.find(id="redeem-heading").text == "NOT redeemed"
    assert "Do not hand this reward over as redeemed" in failed.text
    assert _redemptions(sandbox) == []
    login = main_app.get("/admin/failures", status=303).follow()
    login.forms[0]["username"], login.forms[0]["password"] = "admin", ADMIN_PASSWORD
    report = login.forms[0].submit(status=303).follow()
    rows = report.html.select("#redemption-table tr.failure")
    assert len(rows) == 1 and "SALLY-1" in rows[0].text and "addRedemption" in rows[0].text
