"""Passthrough and shadow against the sandbox: the redirect, the redacted record, the
dry run that writes nothing, and the switch to rest that re-sends nothing."""
import datetime as dt

import requests

import legacy_qs
from bridge import intake
from bridge.delivery import Worker

from bridge.migrate.phases import answer_legacy
from bridge.migrate.report import readiness

WRITE_ENDPOINTS = ("addCustomer", "linkCustomer", "updateCustomer", "addTransaction",
                   "addTransactionBatch", "removeTransaction", "addPointsByDollar",
                   "redeemPoints", "addRedemption", "removeRedemption",
                   "addOfferTransaction", "removeOfferTransaction", "addOfferRedemption")


def _account(state):
    """What the sandbox account holds, without the counters."""
    return {k: state[k] for k in ("customers", "cards", "transactions",
                                  "points_transactions", "redemptions")}


def test_passthrough_redirects_to_legacy_url_with_query_and_records_no_password(
        make_config, journal, sandbox, sale_query, journal_text):
    store = make_config("passthrough").stores[0]
    answer = answer_legacy(store, sale_query, journal)
    assert answer.status == 302
    assert answer.location == sandbox.legacy_url + "?" + sale_query

    page = requests.get(answer.location, timeout=5)   # the browser follows the redirect
    assert page.status_code == 200
    state = sandbox.state()
    assert len([t for t in state["transactions"].values()
                if t["customerID"] == "SALLY-1"]) == 1      # the sale applied once
    assert state["calls"].get("legacy") == 1

    record = journal.get_sale(answer.sale_key)
    assert (record.phase, record.status) == ("passthrough", "passthrough")
    assert record.sale["lines"][0]["upc"] == "012345678905"
    assert journal.due_sales(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=9)) == []
    assert "demo-password" not in journal_text()


def test_posted_button_form_is_redirected_with_303_and_the_body_as_query(
        make_config, journal, sandbox, sale_query):
    store = make_config("passthrough").stores[0]
    answer = answer_legacy(store, sale_query, journal, method="POST")
    assert (answer.status, answer.location) == (303, sandbox.legacy_url + "?" + sale_query)


def test_unreadable_query_is_still_redirected_and_recorded_without_the_password(
        make_config, journal, sandbox, journal_text):
    store = make_config("passthrough").stores[0]
    query = "apiusername=demo&apipassword=demo-password&UPC1=012345678905"  # no CustomerID
    answer = answer_legacy(store, query, journal)
    assert answer.location == sandbox.legacy_url + "?" + query
    assert answer.sale_key is None
    [row] = journal.migration_sales()
    assert row["sale"] is None and "CustomerID" in row["problem"]
    assert "demo-password" not in journal_text()


def test_shadow_finds_out_what_rest_would_do_and_writes_nothing_to_astro(
        make_config, journal, sandbox, shadow, sale_query):
    config = make_config("shadow", convert_upc=False)
    store = config.stores[0]
    before = sandbox.state()
    new_customer = ("apiusername=demo&apipassword=demo-password&CustomerID=NEW-9"
                    "&FirstName=Bo&LastName=Dog&UPC1=0012345678905&UPC2=850000000018"
                    "&UPC3=WASH-SELF&Qty3=2&SubTotal=20.00")
    answers = [answer_legacy(store, q, journal, shadow=shadow) for q in (sale_query, new_customer)]
    assert all(a.status == 302 for a in answers)
    assert shadow.drain(10)

    after = sandbox.state()
    assert _account(after) == _account(before)
    assert after["write_calls"] == before["write_calls"] == 0
    assert not any(after["calls"].get(e) for e in WRITE_ENDPOINTS)
    assert after["calls"]["eligiblePurchaseItems"] >= 2

    rows = {r["id"]: r for r in journal.migration_sales()}
    good, new = (rows[a.sale_key]["outcome"] for a in answers)
    assert good["customer"] == "found"
    assert [ln["result"] for ln in good["lines"]] == ["punched"]
    assert new["customer"] == "would_create"
    assert [(ln["item_code"], ln["result"], ln["hint_code"]) for ln in new["lines"]] == [
        ("0012345678905", "No Item Found", "012345678905"),
        ("850000000018", "No Item Found", None),
        ("WASH-SELF", "punched", None)]
    assert new["points_dollars"] == "20.00"

    report = readiness(config, journal).stores[0]
    assert (report.sales_seen, report.evaluated, report.would_succeed) == (2, 2, 1)
    assert {c.item_code: c.listed_as for c in report.failing_codes} == {
        "0012345678905": "012345678905", "850000000018": None}
    assert [c.customer_id for c in report.new_customers] == ["NEW-9"]
    assert report.verdict == "not ready"
    assert any("turn UPC-A conversion on" in r for r in report.reasons)


def test_switching_to_rest_never_resends_sales_recorded_under_passthrough_or_shadow(
        make_config, journal, sandbox, shadow, sale_query, client_for):
    passthrough = make_config("passthrough").stores[0]
    shadowed = make_config("shadow").stores[0]
    first = answer_legacy(passthrough, sale_query, journal)
    second = answer_legacy(shadowed, sale_query.replace("SaleID=1001", "SaleID=1002"), journal,
                           shadow=shadow)
    assert shadow.drain(10)
    calls_before = sandbox.state()["calls"]

    rest = make_config("rest").stores[0]
    # Nothing of theirs is due for the delivery worker, now or ever...
    far = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    assert journal.due_sales(far, limit=100) == []
    assert Worker(journal, lambda store_id: client_for(rest)).run_once(now=far) == 0
    assert journal.pending_steps(first.sale_key) == ()
    assert journal.pending_steps(second.sale_key) == ()
    # ...and the same sale clicked again under rest is the sale already recorded.
    again = intake.take_in(journal, rest, legacy_qs.parse(sale_query),
                           now=dt.datetime.now(dt.timezone.utc))
    assert (again.sale_key, again.created) == (first.sale_key, False)
    assert journal.get_sale(first.sale_key).status == "passthrough"
    assert sandbox.state()["calls"] == calls_before
