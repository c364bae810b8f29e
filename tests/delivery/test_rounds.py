"""A sale's calls go out in rounds over real HTTP, and the receipt is right whatever the
read sent with the writes saw (bridge.delivery.machine, bridge.delivery.overlap): the
sandbox's latency per endpoint decides which of the calls Astro does first."""
import pytest

from tests.delivery.conftest import KIBBLE, deliver, record

SALLY = "CustomerID=SALLY-1&FirstName=Sally&LastName=Pet+Owner"


def calls_of(sandbox, before):
    return {k: v - before.get(k, 0) for k, v in sandbox.state()["calls"].items()
            if v != before.get(k, 0)}


@pytest.fixture
def sally_known(sandbox, journal, client, store):
    """Sally, cached by an earlier sale: 3 punches on her kibble card, 50 points."""
    outcome = deliver(journal, client, record(
        journal, store, f"{SALLY}&SaleID=first&UPC1={KIBBLE}&Qty1=3&SubTotal=50.00"))
    assert outcome.status == "delivered" and journal.known_customer("demo", "SALLY-1")
    return outcome


def test_a_known_customers_batch_award_and_read_overlap_on_the_wire(
        sandbox, journal, client, store, sally_known):
    key = record(journal, store, f"{SALLY}&SaleID=two&UPC1={KIBBLE}&Qty1=2&SubTotal=20.00")
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.3}}})
    log_before, calls_before = len(sandbox.call_log()), sandbox.state()["calls"]
    assert deliver(journal, client, key).status == "delivered"
    calls = sorted(sandbox.call_log()[log_before:], key=lambda c: c["received"])
    first = calls[:3]
    assert sorted(c["endpoint"] for c in first) == [
        "addPointsByDollar", "addTransactionBatch", "customerStatus"]
    # One round: every call came in before any was answered.
    assert max(c["received"] for c in first) < min(c["answered"] for c in first)
    # Each write once; a second read only when the first missed the award (which point
    # rewards it makes affordable is not in a read from before it).
    made = calls_of(sandbox, calls_before)
    assert (made["addPointsByDollar"], made["addTransactionBatch"]) == (1, 1)
    assert made["customerStatus"] in (1, 2) and [c["endpoint"] for c in calls[3:]] == \
        ["customerStatus"] * (made["customerStatus"] - 1)


ORDERS = {
    "read-saw-both": {"customerStatus": {"latency": 0.4}},
    "read-saw-neither": {"addTransactionBatch": {"latency": 0.4},
                         "addPointsByDollar": {"latency": 0.4}},
    "read-saw-the-batch-only": {"addPointsByDollar": {"latency": 0.4},
                                "customerStatus": {"latency": 0.2}},
    "read-saw-the-award-only": {"addTransactionBatch": {"latency": 0.4},
                                "customerStatus": {"latency": 0.2}},
}


@pytest.mark.parametrize("order", ORDERS, ids=list(ORDERS))
def test_the_receipt_is_right_whatever_the_read_saw_of_a_card_completing_and_a_reward_earned(
        sandbox, journal, client, store, sally_known, order):
    # The ninth bag fills the card (3 + 9 = 12); 60 more points make 110: "$5 off" (100)
    # becomes ready.
    key = record(journal, store, f"{SALLY}&SaleID=big&UPC1={KIBBLE}&Qty1=9&SubTotal=60.00")
    sandbox.set_faults({"endpoints": ORDERS[order]})
    calls_before = sandbox.state()["calls"]
    outcome = deliver(journal, client, key)
    assert outcome.status == "delivered"
    receipt = outcome.receipt
    [line] = receipt["lines"]
    assert [(c["punches"], c["complete"]) for c in receipt["line_cards"][line["transaction_id"]]] \
        == [(12, True)]
    [free] = receipt["rewards_ready"]
    [good] = [g for c in sandbox.state()["cards"] for g in c["cardFreeGoods"]]
    assert (free["reward_id"], free["item_description"]) == (
        str(good["astro_reward_id"]), "Acme Adult Dog Kibble 30 lb")
    assert receipt["points"]["balance"] == 110
    assert [(r["reward_id"], r["title"]) for r in receipt["points"]["rewards"]] == [
        ("501", "$5 off")]
    assert receipt["checking"] is False
    # A read that saw both tells it all; one that missed a write is sent once more.
    reads = calls_of(sandbox, calls_before)["customerStatus"]
    assert reads == (1 if order == "read-saw-both" else 2)


def test_a_read_from_before_the_batch_tells_the_card_when_nothing_completes(
        sandbox, journal, client, store, sally_known):
    key = record(journal, store, f"{SALLY}&SaleID=one&UPC1={KIBBLE}&Qty1=1")
    sandbox.set_faults({"endpoints": {"addTransactionBatch": {"latency": 0.4}}})
    calls_before = sandbox.state()["calls"]
    receipt = deliver(journal, client, key).receipt
    [line] = receipt["lines"]
    assert receipt["line_cards"][line["transaction_id"]][0]["punches"] == 4
    assert calls_of(sandbox, calls_before) == {"addTransactionBatch": 1, "customerStatus": 1}


def test_a_new_customer_takes_three_rounds(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=NEW-3&FirstName=Nia&LastName=New"
                                 f"&Email=nia@example.com&Phone=555-0303&UPC1={KIBBLE}"
                                 f"&SubTotal=10.00")
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.2}}})
    log_before = len(sandbox.call_log())
    outcome = deliver(journal, client, key)
    assert outcome.status == "delivered" and outcome.receipt["customer"]["how"] == "created"
    calls = [c for c in sandbox.call_log()[log_before:] if c["endpoint"] != "token"]
    rounds = []
    for call in sorted(calls, key=lambda c: c["received"]):
        if rounds and call["received"] < min(c["answered"] for c in rounds[-1]):
            rounds[-1].append(call)
        else:
            rounds.append([call])
    names = [sorted(c["endpoint"] for c in r) for r in rounds]
    assert names[:3] == [["customerStatus", "searchCustomer", "searchCustomer"],
                         ["addCustomer"],
                         ["addPointsByDollar", "addTransactionBatch", "customerStatus"]]
    # A fourth only when the third's read missed the new card (its size is not in it).
    assert len(names) <= 4 and all(n == ["customerStatus"] for n in names[3:])
