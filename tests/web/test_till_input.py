"""What a till can send that is not an ordinary sale: amounts beyond the store's limits,
a negative total (a return), a sale without a customer (a walk-in), and a button set up
with a wrong password next to tills that are right."""
import dataclasses
import logging
from decimal import Decimal

import pytest

from tests.web.conftest import SALLY, LiveBridge


def _bridge_with(bridge_config, sandbox, **store_options):
    store = dataclasses.replace(bridge_config.stores[0], **store_options)
    return LiveBridge(dataclasses.replace(bridge_config, stores=(store,)), sandbox,
                      worker=False)


@pytest.mark.parametrize("change, param, shown", [
    ({"SubTotal": "99999999999999999999999"}, "SubTotal", "max_subtotal"),
    ({"SubTotal": "-10000.01"}, "SubTotal", "max_subtotal"),
    ({"Qty2": "1000"}, "Qty2", "max_qty"),
])
def test_a_sale_beyond_the_store_limits_is_refused_naming_the_parameter_and_not_sent(
        bridge, sandbox, change, param, shown):
    answer = bridge.click({**SALLY, **change})
    assert answer.status_code == 400
    assert f"<code>{param}</code>" in answer.text and shown in answer.text
    assert "Nothing was recorded or sent" in answer.text
    assert bridge.journal.sales() == []
    assert sandbox.state()["write_calls"] == 0


def test_the_limits_are_the_store_s_own(bridge_config, sandbox):
    live = _bridge_with(bridge_config, sandbox, max_qty=5,
                        max_subtotal=Decimal("20.00"))
    try:
        refused = live.click({**SALLY, "Qty1": "6", "SubTotal": "19.99"})
        assert refused.status_code == 400 and "between -5 and 5" in refused.text
        assert live.click({**SALLY, "SubTotal": "20.01"}).status_code == 400
        assert live.click({**SALLY, "Qty1": "5", "SubTotal": "20.00"}).status_code == 303
    finally:
        live.close()


def test_a_negative_total_without_refund_is_a_return_that_deducts_points(bridge, sandbox,
                                                                           caplog):
    bridge.click(SaleID="S-1", SubTotal="120.00")                     # 120 points first
    answer = bridge.click({**SALLY, "SubTotal": "-50.00", "SaleID": "S-2",
                           "Qty1": "-1", "UPC2": "WASH-SELF", "Qty2": "1"})
    page = bridge.receipt(answer)
    assert "Return for Sally Pet Owner" in page.text and "Sale for" not in page.text
    assert "Points deducted: 50" in page.text and "Points earned" not in page.text
    data = bridge.receipt(answer, json=True).json()
    assert data["kind"] == "return" and data["refund"] is False
    assert (data["points"]["earned"], data["points"]["text"]) == (-50, "Points deducted: 50")
    sally = next(c for c in sandbox.state()["customers"] if c["customerID"] == "SALLY-1")
    assert sally["points_balance"] == 70
    [line] = [r.sale for r in caplog.records
              if r.name == "bridge.sale" and r.sale["sale_key"] == "demo-S-2"]
    assert line["kind"] == "return"


def test_a_walk_in_is_answered_that_there_is_nothing_to_send(bridge, sandbox, caplog):
    for walk_in in ({k: v for k, v in SALLY.items() if k != "CustomerID"},
                    {**SALLY, "CustomerID": ""}):
        answer = bridge.click(walk_in)
        assert answer.status_code == 200
        assert "No customer on this sale: nothing to send to Astro" in answer.text
    assert bridge.journal.sales() == [] and sandbox.state()["write_calls"] == 0
    # Not recorded (Astro takes nothing without a customer), but each one is logged.
    lines = [r.sale for r in caplog.records if r.name == "bridge.sale"]
    assert [(s["store"], s["outcome"], s["status"]) for s in lines] == [
        ("demo", "walk-in", 200)] * 2
    # The login is still checked: a wrong one is refused as for any sale.
    wrong = {k: v for k, v in SALLY.items() if k != "CustomerID"}
    assert bridge.click({**wrong, "apipassword": "nope"}).status_code == 401


def test_a_store_may_refuse_walk_ins_naming_customer_id(bridge_config, sandbox):
    live = _bridge_with(bridge_config, sandbox, walk_in="refuse")
    try:
        answer = live.click({**SALLY, "CustomerID": ""})
        assert answer.status_code == 400 and "<code>CustomerID</code>" in answer.text
        assert "CustomerID: is required" in answer.text
        assert live.journal.sales() == []
    finally:
        live.close()


def test_a_till_with_a_wrong_password_does_not_block_the_other_tills(bridge, sandbox,
                                                                       caplog):
    caplog.set_level(logging.INFO)
    for _ in range(6):                     # beyond the test throttle's 3-guess lockout
        assert bridge.click(apipassword="set-up-wrong").status_code == 401
    right = bridge.click(SaleID="T-2")     # another till behind the same address
    assert right.status_code == 303
    assert "Sent to Astro." in bridge.receipt(right).text
    assert "demo-T-2-1" in sandbox.state()["transactions"]
    assert "set-up-wrong" not in caplog.text


def test_a_guesser_trying_passwords_is_still_locked_out(bridge):
    statuses = [bridge.click(apipassword=f"guess-{n}").status_code for n in range(8)]
    assert statuses.count(401) <= 3 and statuses[-1] == 429
    assert bridge.click().status_code == 429          # that user, from there, for a while
