"""Pure translation of a legacy sale into a delivery plan."""
import datetime as dt
from dataclasses import replace
from decimal import Decimal

from bridge.config import AstroLogin, Store
import pytest

from bridge.translate import (CUSTOMER, POINTS, REMOVE_TRANSACTION, TRANSACTIONS, Plan,
                              PointsStep, TransactionsStep, fingerprint, original_sale_key,
                              plan_sale, sale_key_for)
from legacy_qs import parse

STORE = Store(id="main", name="Main", astro=AstroLogin("http://127.0.0.1:9/api/json", "u", None, "c"),
              timezone="America/New_York")
TODAY = dt.date(2026, 3, 14)

SALE_QS = ("CustomerID=C-1&FirstName=Sally&LastName=Pet+Owner&Email=sally@example.com"
           "&UPC1=012345678905&Description1=Kibble&Qty1=2&UPC3=WASH-SELF&SubTotal=45.98")


def plan(query, store=STORE, key="main-B1", **kw):
    return plan_sale(parse(query, convert_upc=store.convert_upc), store, key, today=TODAY, **kw)


def kinds(p):
    return [s.kind for s in p.steps]


def test_sale_plans_customer_then_transactions_then_points():
    p = plan(SALE_QS)
    assert kinds(p) == [CUSTOMER, TRANSACTIONS, POINTS]
    assert [s.n for s in p.steps] == [0, 1, 2]
    customer = p.steps[0].customer
    assert (customer.id, customer.first_name, customer.email) == ("C-1", "Sally", "sally@example.com")
    assert p.steps[2].dollar_amount == Decimal("45.98")


def test_transaction_ids_are_sale_key_and_line_index():
    batch = plan(SALE_QS).steps[1]
    assert [(ln.transaction_id, ln.item_code, ln.qty) for ln in batch.lines] == [
        ("main-B1-1", "012345678905", 2), ("main-B1-3", "WASH-SELF", 1)]
    assert batch.sale_id == "main-B1"


def test_same_sale_gives_the_same_plan():
    assert plan(SALE_QS) == plan(SALE_QS)
    assert Plan.from_dict(plan(SALE_QS).to_dict()) == plan(SALE_QS)


def test_a_step_asked_for_by_kind_is_that_step_or_a_clear_error():
    p = plan(SALE_QS)
    assert p.customer_step().customer.id == "C-1"
    assert p.step_of(1, TransactionsStep).sale_id == "main-B1"
    with pytest.raises(TypeError, match="expected a points step, got a transactions step"):
        p.step_of(1, PointsStep)


def test_sale_without_date_is_dated_today():
    assert plan(SALE_QS).steps[1].transaction_date == "2026-03-14"


def test_aware_datetime_is_dated_in_the_store_time_zone():
    # 02:30 UTC on the 15th is still the evening of the 14th in New York.
    p = plan(SALE_QS + "&Date=2026-03-15T02:30:00Z")
    assert p.steps[1].transaction_date == "2026-03-14"
    tokyo = replace(STORE, timezone="Asia/Tokyo")
    assert plan(SALE_QS + "&Date=2026-03-14T20:00:00%2B00:00", store=tokyo).transaction_date == "2026-03-15"


def test_naive_datetime_and_plain_date_are_store_local():
    assert plan(SALE_QS + "&Date=2026-01-02T23:59:00").transaction_date == "2026-01-02"
    assert plan(SALE_QS + "&Date=2025-12-31").transaction_date == "2025-12-31"


def test_points_off_means_no_points_step():
    p = plan(SALE_QS, store=replace(STORE, points=False))
    assert kinds(p) == [CUSTOMER, TRANSACTIONS]


def test_no_subtotal_means_no_points_step():
    assert kinds(plan("CustomerID=C-1&UPC1=012345678905")) == [CUSTOMER, TRANSACTIONS]
    assert kinds(plan("CustomerID=C-1&UPC1=012345678905&SubTotal=0.00")) == [CUSTOMER, TRANSACTIONS]


def test_ean13_with_leading_zero_is_sent_as_upc_a():
    assert plan("CustomerID=C-1&UPC1=0012345678905").steps[1].lines[0].item_code == "012345678905"
    as_given = replace(STORE, convert_upc=False)
    assert plan("CustomerID=C-1&UPC1=0012345678905", store=as_given).steps[1].lines[0].item_code == \
        "0012345678905"


def test_refund_deducts_points_and_lists_lines_for_staff():
    p = plan("CustomerID=C-1&UPC1=012345678905&Qty1=2&Description1=Kibble&SubTotal=45.98&Refund=1")
    assert kinds(p) == [CUSTOMER, POINTS]
    assert p.refund
    assert p.steps[1].dollar_amount == Decimal("-45.98")
    assert [(m.item_code, m.qty, m.description) for m in p.manual_removals] == [
        ("012345678905", 2, "Kibble")]


def test_refund_with_negative_subtotal_still_deducts():
    p = plan("CustomerID=C-1&UPC1=012345678905&Qty1=-1&SubTotal=-12.50&Refund=yes")
    assert p.steps[1].dollar_amount == Decimal("-12.50")
    assert p.manual_removals[0].qty == 1


def test_refund_of_a_subtotal_beyond_28_digits_deducts_it_exactly():
    p = plan(f"CustomerID=C-1&UPC1=012345678905&SubTotal={'9' * 40}.99&Refund=1")
    assert p.steps[1].dollar_amount == Decimal("-" + "9" * 40 + ".99")


def test_returned_item_in_an_ordinary_sale_is_not_sent():
    p = plan("CustomerID=C-1&UPC1=012345678905&Qty1=-1&UPC2=072030001234")
    assert [ln.item_code for ln in p.steps[1].lines] == ["072030001234"]
    assert [(m.item_code, m.qty) for m in p.manual_removals] == [("012345678905", 1)]


def test_refund_removes_matching_items_of_the_original_sale_when_enabled():
    store = replace(STORE, refund_remove_items=True)
    original = plan("CustomerID=C-1&SaleID=100&UPC1=012345678905&Qty1=3&UPC2=WASH-SELF",
                    store=store, key="main-100")
    refund_qs = "CustomerID=C-1&SaleID=100&Refund=1&UPC1=012345678905&Qty1=1&UPC2=850000000018&SubTotal=10.00"
    sale = parse(refund_qs)
    assert sale_key_for(store, sale) == "main-100-R"
    assert original_sale_key(store, sale) == "main-100"
    p = plan_sale(sale, store, "main-100-R", today=TODAY, original=original)
    assert kinds(p) == [CUSTOMER, REMOVE_TRANSACTION, POINTS]
    removal = p.steps[1]
    assert (removal.transaction_id, removal.quantity, removal.item_code) == ("main-100-1", 1, "012345678905")
    assert [m.item_code for m in p.manual_removals] == ["850000000018"]
    assert p.original_sale_key == "main-100"


def test_refund_of_a_whole_line_removes_it_without_quantity():
    store = replace(STORE, refund_remove_items=True)
    original = plan("CustomerID=C-1&UPC1=WASH-SELF&Qty1=2", store=store, key="main-7")
    p = plan("CustomerID=C-1&Refund=1&OriginalSaleID=7&UPC1=WASH-SELF&Qty1=2", store=store,
             key="main-B9", original=original)
    assert [(s.transaction_id, s.quantity) for s in p.steps if s.kind == REMOVE_TRANSACTION] == [
        ("main-7-1", None)]
    assert p.manual_removals == ()


def test_refund_removal_needs_the_store_option_and_the_same_customer():
    original = plan("CustomerID=C-1&UPC1=WASH-SELF", key="main-7")
    refund = "CustomerID=C-1&Refund=1&OriginalSaleID=7&UPC1=WASH-SELF"
    assert original_sale_key(STORE, parse(refund)) is None
    assert kinds(plan(refund, original=original)) == [CUSTOMER]
    store = replace(STORE, refund_remove_items=True)
    other = plan("CustomerID=C-2&UPC1=WASH-SELF", store=store, key="main-7")
    assert kinds(plan(refund, store=store, original=other)) == [CUSTOMER]


def test_sale_key_uses_the_pos_sale_id():
    assert sale_key_for(STORE, parse("CustomerID=C-1&SaleID=A-77")) == "main-A-77"
    assert sale_key_for(STORE, parse("CustomerID=C-1")) is None


def test_fingerprint_ignores_who_clicked_but_not_what_was_sold():
    one = parse("CustomerID=C-1&UPC1=012345678905&apiusername=a&apipassword=x")
    same = parse("CustomerID=C-1&UPC1=012345678905&apiusername=b&apipassword=y")
    other = parse("CustomerID=C-1&UPC1=012345678905&Qty1=2")
    assert fingerprint(one, STORE) == fingerprint(same, STORE)
    assert fingerprint(one, STORE) != fingerprint(other, STORE)
    assert fingerprint(one, STORE) != fingerprint(one, replace(STORE, id="east"))


def test_fingerprint_is_what_was_sold_not_how_it_was_described():
    """A click and a POS export of one sale describe it differently; the sale is the same
    (a SaleID seen again with these is not a conflict), but another day, customer, item,
    quantity or subtotal is another sale."""
    today = dt.date(2026, 3, 14)
    click = parse("CustomerID=C-1&FirstName=Sal&Email=a@example.com&UPC1=012345678905"
                  "&Description1=Kibble&SubTotal=9.99&SaleID=7")
    export = parse("CustomerID=C-1&FirstName=Sally&Email=b@example.com&UPC1=0012345678905"
                   "&Description1=Dog+kibble+30lb&SubTotal=9.99&SaleID=7&Date=2026-03-14")
    assert fingerprint(click, STORE, today=today) == fingerprint(export, STORE, today=today)
    for other in ("CustomerID=C-2&UPC1=012345678905&SubTotal=9.99",
                  "CustomerID=C-1&UPC1=072030001234&SubTotal=9.99",
                  "CustomerID=C-1&UPC1=012345678905&Qty1=2&SubTotal=9.99",
                  "CustomerID=C-1&UPC1=012345678905&SubTotal=19.99",
                  "CustomerID=C-1&UPC1=012345678905&SubTotal=9.99&Date=2026-03-13"):
        assert fingerprint(parse(other), STORE, today=today) != fingerprint(
            click, STORE, today=today), other

