"""What a customerStatus sent with a sale's writes saw, told from the data itself
(bridge.delivery.overlap): pure, Astro's answers written out as it sends them."""
import datetime as dt
from decimal import Decimal

from bridge.astro import CustomerStatus
from bridge.delivery import receipt_data, status_after
from bridge.journal import SaleRecord, StepRecord
from bridge.translate import (Customer, CustomerStep, Plan, PointsStep, TransactionLine,
                              TransactionsStep)

KEY = "demo-S1"
KIBBLE, TOY = "012345678905", "400000000001"


def sale(*lines, dollars="74.98"):
    """A delivered sale of `lines` ((item code, qty, result, program id)) and an award."""
    tlines = tuple(TransactionLine(f"{KEY}-{i}", i, code, qty, code)
                   for i, (code, qty, _, _) in enumerate(lines, 1))
    plan = Plan(KEY, "demo", "SALLY-1", False, "2026-03-14", (
        CustomerStep(0, "SALLY-1", Customer(id="SALLY-1")),
        TransactionsStep(1, "SALLY-1", tlines, "2026-03-14", KEY),
        PointsStep(2, "SALLY-1", Decimal(dollars))))
    results = [{"transaction_id": ln.transaction_id, "result": result, "message": None,
                "program_id": program, "program_title": program and "Buy 12 Get 1 Dog Kibble"}
               for ln, (_, _, result, program) in zip(tlines, lines, strict=True)]
    steps = (StepRecord(0, "customer", "done", {"how": "known"}, None, 0),
             StepRecord(1, "transactions", "done", {"lines": results}, None, 0),
             StepRecord(2, "points", "done", {"total_points": 74}, None, 0))
    return SaleRecord(KEY, "demo", "S1", "delivered", "rest",
                      dt.datetime(2026, 3, 14, tzinfo=dt.timezone.utc), {}, plan, steps, 0,
                      None, None, None)


def card(punches, card_id=7, status="active", free_goods=()):
    """Program 101's card: `punches` are transactionIDs."""
    return {"astro_card_id": card_id, "astro_program_id": 101,
            "astro_program_title": "Buy 12 Get 1 Dog Kibble", "astro_card_status": status,
            "card_purchase_required_count": 12, "card_reward_count": 1,
            "cardPurchases": [{"imported_transaction_id": t, "item_code": KIBBLE}
                              for t in punches],
            "cardFreeGoods": list(free_goods)}


def read(cards, balance, history, rewards=()):
    return CustomerStatus.from_data({
        "astro_customer_id": "1001", "customerID": "SALLY-1", "astroPointsBalance": balance,
        "astroCardData": cards,
        "astroPointsTransactions": [{"astro_points_transaction_id": t, "pointsQty": q}
                                    for t, q in history],
        "astroPointsEligibleRewards": [{"astro_points_reward_id": r, "pointsRewardTitle": f"${p // 20} off",
                                        "pointsRequired": p} for r, p in rewards]})


def progress(status, the_sale):
    data = receipt_data(the_sale, status)
    return [ln["index"] for ln in data["lines"]], data["line_cards"], data


OLD = [f"old-{n}" for n in range(3)]                  # 3 punches before this sale
TWO = sale((KIBBLE, 2, "added", "101"), (TOY, 1, "failed", None))


def test_a_read_that_saw_the_lines_and_the_award_is_taken_as_it_is():
    seen = read([card(OLD + [f"{KEY}-1"] * 2)], 174, [(1, 100), (2, 74)], [(501, 100)])
    after = status_after(seen, TWO, award=("2", 74))
    assert after.status == seen and after.exact


def test_a_read_from_before_the_writes_gets_the_lines_punched_and_the_award_added():
    before = read([card(OLD)], 100, [(1, 100)], [(501, 100)])
    after = status_after(before, TWO, award=("2", -10))
    [c] = after.status.cards
    assert [p.transaction_id for p in c.purchases] == OLD + [f"{KEY}-1"] * 2
    assert after.status.points_balance == 90           # 100 - 10: no reward is lost...
    assert after.status.eligible_point_rewards == ()   # ...but the $5 off no longer covered
    assert after.exact
    _, line_cards, _ = progress(after.status, TWO)
    assert line_cards[f"{KEY}-1"][0]["punches"] == 5


def test_a_read_that_saw_the_batch_but_not_the_award_gets_the_award():
    saw_batch = read([card(OLD + [f"{KEY}-1"] * 2)], 100, [(1, 100)])
    after = status_after(saw_batch, TWO, award=("2", -20))
    assert len(after.status.cards[0].purchases) == 5          # not punched twice
    assert after.status.points_balance == 80 and after.exact


def test_a_read_that_saw_the_award_but_not_the_batch_gets_the_batch():
    saw_award = read([card(OLD)], 174, [(1, 100), (2, 74)], [(501, 100)])
    after = status_after(saw_award, TWO, award=("2", 74))
    assert len(after.status.cards[0].purchases) == 5
    assert after.status.points_balance == 174                 # not added twice
    assert after.exact


def test_an_award_the_read_did_not_see_that_raises_the_balance_leaves_the_rewards_in_doubt():
    before = read([card(OLD)], 90, [(1, 90)])
    after = status_after(before, TWO, award=("2", 74))
    assert after.status.points_balance == 164                  # the balance is known...
    assert after.cards_known and not after.point_rewards_known   # ...a new reward may not be


def test_a_card_completed_by_lines_the_read_did_not_see_rolls_over_its_free_good_unknown():
    eleven = [f"old-{n}" for n in range(11)]
    the_sale = sale((KIBBLE, 3, "added", "101"))
    after = status_after(read([card(eleven)], 0, []), the_sale, award=None)
    full, fresh = after.status.cards
    assert (len(full.purchases), full.status) == (12, "completed")
    assert [g.reward_id for g in full.free_goods] == [None]    # Astro's id is not known yet
    assert (fresh.card_id, len(fresh.purchases), fresh.status) == (None, 2, "active")
    assert after.cards_known and after.point_rewards_known      # progress is told...
    assert not after.free_goods_known and not after.exact       # ...the free good is read
    data = receipt_data(the_sale, after.status)
    assert [c["punches"] for c in data["line_cards"][f"{KEY}-1"]] == [12, 2]


def test_a_first_card_of_a_program_is_told_when_other_customers_cards_show_its_size():
    assert not status_after(read([], 0, []), TWO, award=None).cards_known
    after = status_after(read([], 0, []), TWO, award=None, card_sizes={"101": 12})
    [new] = after.status.cards
    assert (new.card_id, len(new.purchases), new.purchase_required_count) == (None, 2, 12)
    assert after.exact


def test_a_line_sent_in_an_earlier_attempt_that_the_read_does_not_show_cannot_be_told():
    again = sale((KIBBLE, 2, "already", "101"))
    assert not status_after(read([card(OLD)], 0, []), again).cards_known
