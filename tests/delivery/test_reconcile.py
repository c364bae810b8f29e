"""Was a lost award applied? The pure decision (bridge.delivery.reconcile)."""
import datetime as dt
from decimal import Decimal

from bridge.astro import PointsTransaction
from bridge.delivery.reconcile import (APPLIED, NOT_APPLIED, UNDECIDED, amount_matches,
                                       points_range, reconcile_points)
from bridge.journal import PointsSnapshot

T = dt.datetime(2026, 3, 14, tzinfo=dt.timezone.utc)


def tx(i, points, description="Purchase"):
    return PointsTransaction(str(i), description, "2026-03-14", points, None)


def snapshot(*ids, balance):
    return PointsSnapshot(balance, tuple(str(i) for i in ids), T)


def decide(before, history, balance, amount="10.00", attributed=None, rates=()):
    return reconcile_points(before, balance, history, Decimal(amount), sale_key="s-A",
                            attributed=attributed or {}, rates=rates)


def test_nothing_new_means_not_applied():
    assert decide(snapshot(1, balance=5), [tx(1, 5)], 5).decision == NOT_APPLIED


def test_one_new_transaction_of_the_amount_is_this_sales_award():
    found = decide(snapshot(1, balance=5), [tx(1, 5), tx(2, 10)], 15)
    assert (found.decision, found.transaction_id, found.points) == (APPLIED, "2", 10)


def test_other_sales_awards_are_ignored():
    history = [tx(1, 5), tx(2, 20), tx(3, 10)]
    found = decide(snapshot(1, balance=5), history, 35, attributed={"2": "s-B"})
    assert (found.decision, found.transaction_id) == (APPLIED, "3")
    found = decide(snapshot(1, balance=5), history[:2], 25, attributed={"2": "s-B"})
    assert found.decision == NOT_APPLIED


def test_a_transaction_attributed_to_this_sale_is_its_award():
    found = decide(snapshot(1, balance=5), [tx(1, 5), tx(2, 10), tx(3, 7)], 22,
                   attributed={"2": "s-A"})
    assert (found.decision, found.transaction_id) == (APPLIED, "2")


def test_an_award_the_bridge_did_not_make_asks_a_person_with_the_history():
    found = decide(snapshot(1, balance=5), [tx(1, 5), tx(2, 10), tx(3, 7)], 22)
    assert found.decision == UNDECIDED
    assert [(e["id"], e["new"], e["sale"]) for e in found.evidence] == [
        ("1", False, None), ("2", True, None), ("3", True, None)]


def test_the_wrong_amount_or_sign_is_not_this_sales_award():
    rates = [(Decimal("45.98"), 45), (Decimal("10.00"), 10)]
    assert decide(snapshot(balance=0), [tx(2, 7)], 7, amount="20.00",
                  rates=rates).decision == UNDECIDED
    assert decide(snapshot(balance=0), [tx(2, -20)], -20, amount="20.00").decision == \
        UNDECIDED
    assert decide(snapshot(balance=0), [tx(2, 20)], 20, amount="20.00",
                  rates=rates).decision == APPLIED


def test_a_history_that_does_not_add_up_to_the_balance_decides_nothing():
    assert decide(snapshot(1, balance=5), [tx(1, 5), tx(2, 10)], 40).decision == UNDECIDED


def test_without_a_snapshot_nothing_is_decided():
    assert decide(None, [tx(1, 10)], 10).decision == UNDECIDED


def test_points_range_follows_the_rate_the_store_showed():
    assert points_range(Decimal("20"), []) == (0, None)                   # no rate known
    assert points_range(Decimal("20"), [(Decimal("10"), 10)]) == (20, 21)
    assert points_range(Decimal("-5.50"), [(Decimal("45.98"), 45)]) == (5, 5)
    # Contradicting rates (a promotion) bound nothing.
    assert points_range(Decimal("20"), [(Decimal("10"), 10), (Decimal("10"), 30)]) == (0, None)
    assert amount_matches(Decimal("12.99"), 12, [(Decimal("45.98"), 45)])
    assert not amount_matches(Decimal("12.99"), 25, [(Decimal("45.98"), 45)])
