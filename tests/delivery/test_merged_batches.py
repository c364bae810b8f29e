"""Several recorded sales of one customer delivered together (bridge.delivery.machine
deliver_sales): their lines in merged addTransactionBatch calls, each sale keeping its
own steps, outcome, failures and receipt; exactly once under faults, seen in Astro."""
from bridge.delivery import deliver_sales
from tests.delivery.conftest import BIRD_SEED, FAST, KIBBLE, PUPPY, customer, record

SALES = [  # (sale id, date, lines)
    ("B1", "2025-01-05", [(KIBBLE, 2)]),
    ("B2", "2025-02-06", [(PUPPY, 1), (BIRD_SEED, 1)]),   # bird seed: in no program
    ("B3", "2025-03-07", [("WASH-SELF", 1)]),
]


def record_sales(journal, store, sales=SALES, customer_id="NEW-9", points=False):
    keys = []
    for sale_id, day, lines in sales:
        query = (f"CustomerID={customer_id}&FirstName=Nia&LastName=Nine&SaleID={sale_id}"
                 f"&Date={day}") + "".join(f"&UPC{n}={code}&Qty{n}={qty}"
                                           for n, (code, qty) in enumerate(lines, 1))
        keys.append(record(journal, store, query + ("&SubTotal=10.00" if points else "")))
    return keys


def batch_calls(sandbox) -> int:
    return sandbox.state()["calls"].get("addTransactionBatch", 0)


def test_a_customers_sales_go_in_one_call_and_each_keeps_its_own_outcome(
        sandbox, journal, client, store):
    keys = record_sales(journal, store)
    outcomes = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in outcomes] == ["delivered", "partial", "delivered"]
    state = sandbox.state()
    assert state["calls"]["addTransactionBatch"] == 1
    assert state["calls"]["customerStatus"] == 1 and state["calls"]["addCustomer"] == 1
    sent = state["transactions"]
    # Each line with its own id and its own sale's date; no saleID for several sales.
    assert {tid: (t["item_transaction_date"], t["saleID"]) for tid, t in sent.items()} == {
        "demo-B1-1": ("2025-01-05", None), "demo-B2-1": ("2025-02-06", None),
        "demo-B3-1": ("2025-03-07", None)}
    assert sum(c["punches"] for c in state["cards"]) == 2 + 1 + 1
    # Each sale its own steps and receipt; the refused line fails its own sale only.
    b2 = journal.get_sale(keys[1])
    assert [(ln["item_code"], ln["result"]) for ln in b2.receipt["lines"]] == [
        (PUPPY, "added"), (BIRD_SEED, "failed")]
    [failure] = journal.failures(kind="transaction")
    assert (failure.sale_key, failure.item_code, failure.transaction_id) == (
        "demo-B2", BIRD_SEED, "demo-B2-2")
    for key in (keys[0], keys[2]):
        sale = journal.get_sale(key)
        assert [s.state for s in sale.steps] == ["done", "done"]
        assert [ln["result"] for ln in sale.receipt["lines"]] == ["added"]
    assert outcomes[0].receipt["customer"]["how"] == "created"
    assert outcomes[1].receipt["customer"]["how"] == "known"   # resolved once


def test_a_known_customers_sales_take_three_commits_together_and_are_left_free(
        sandbox, journal, client, store):
    first = record_sales(journal, store, [("B0", "2025-01-01", [(KIBBLE, 1)])], "SALLY-1")
    deliver_sales(journal, client, first, retry=FAST)       # the customer is known now
    keys = record_sales(journal, store, customer_id="SALLY-1")
    before = journal.commits
    outcomes = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in outcomes] == ["delivered", "partial", "delivered"]
    assert sorted(sandbox.state()["transactions"]) == ["demo-B0-1", "demo-B1-1",
                                                       "demo-B2-1", "demo-B3-1"]
    # Claimed (and the cached customer's steps done); the merged call's results; the
    # leases given back: three commits however many sales, not one more a sale.
    assert journal.commits - before == 3
    assert all(journal.claim_sale(k, "someone-else") for k in keys)


def test_a_customer_astro_has_is_found_without_a_search_and_a_new_one_is_searched_then_added(
        sandbox, journal, client, store):
    # Sally is in Astro under her POS id (as a store's customers are, coming from the
    # legacy integration), not yet in this journal: customerStatus finds her, and the
    # email and phone searches (a call each) are not made.
    key = record(journal, store, "CustomerID=SALLY-1&Email=sally%40example.com"
                                 f"&Phone=5550100&SaleID=S1&Date=2025-01-05&UPC1={KIBBLE}")
    assert deliver_sales(journal, client, [key], retry=FAST)[0].status == "delivered"
    calls = sandbox.state()["calls"]
    assert (calls.get("customerStatus"), calls.get("searchCustomer", 0),
            calls.get("addTransactionBatch")) == (1, 0, 1)
    # Nia is new to Astro: customerStatus says so, then she is looked for by email (she
    # may have an account from another store) in a round of its own, then added.
    key = record(journal, store, "CustomerID=NEW-9&FirstName=Nia&LastName=Nine"
                                 "&Email=nia%40example.com&SaleID=N1&Date=2025-01-05"
                                 f"&UPC1={KIBBLE}&Qty1=1")
    assert deliver_sales(journal, client, [key], retry=FAST)[0].status == "delivered"
    log = [c["endpoint"] for c in sorted(sandbox.call_log(), key=lambda c: c["received"])]
    log = [e for e in log if e != "token"][-4:]
    assert log == ["customerStatus", "searchCustomer", "addCustomer", "addTransactionBatch"]


def test_a_lost_answer_in_the_searched_then_added_resolution_makes_one_customer(
        sandbox, journal, client, store):
    key = record(journal, store, "CustomerID=NEW-9&FirstName=Nia&LastName=Nine"
                                 "&Email=nia%40example.com&SaleID=N1&Date=2025-01-05"
                                 f"&UPC1={KIBBLE}&Qty1=1")
    sandbox.set_faults({"next": [{"endpoint": "addCustomer", "fault": "drop"}]})
    assert deliver_sales(journal, client, [key], retry=FAST)[0].status == "pending"
    assert deliver_sales(journal, client, [key], retry=FAST)[0].status == "delivered"
    state = sandbox.state()
    assert [c["customerID"] for c in state["customers"]].count("NEW-9") == 1
    assert list(state["transactions"]) == ["demo-N1-1"]


def test_calls_hold_at_most_max_lines_and_never_split_a_sale(sandbox, journal, client, store):
    sales = [(f"M{n}", f"2025-01-{n:02d}", [(KIBBLE, 1)] * size)
             for n, size in enumerate((2, 2, 3, 5, 1), 1)]
    keys = record_sales(journal, store, sales, customer_id="SALLY-1")
    outcomes = deliver_sales(journal, client, keys, max_lines=4, retry=FAST)
    assert {o.status for o in outcomes} == {"delivered"}
    # [2, 2] [3] [5: more than 4, alone] [1]
    assert batch_calls(sandbox) == 4
    assert len(sandbox.state()["transactions"]) == 13


def test_a_call_astro_did_not_take_leaves_every_sale_pending_and_no_more_is_sent(
        sandbox, journal, client, store):
    keys = record_sales(journal, store, customer_id="SALLY-1")
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "fault": "status",
                                  "status": 503}]})
    outcomes = deliver_sales(journal, client, keys, max_lines=2, retry=FAST)
    assert [o.status for o in outcomes] == ["pending"] * 3
    assert all(o.retry_at is not None and "503" in o.error for o in outcomes)
    assert batch_calls(sandbox) == 1          # the second call was not tried
    assert sandbox.state()["transactions"] == {}
    again = deliver_sales(journal, client, keys, max_lines=2, retry=FAST)
    assert [o.status for o in again] == ["delivered", "partial", "delivered"]
    assert sorted(sandbox.state()["transactions"]) == ["demo-B1-1", "demo-B2-1", "demo-B3-1"]


def test_a_call_whose_answer_is_lost_is_delivered_by_transaction_id_already_exists(
        sandbox, journal, client, store):
    keys = record_sales(journal, store, customer_id="SALLY-1")
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "fault": "drop"}]})
    lost = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in lost] == ["pending"] * 3
    assert len(sandbox.state()["transactions"]) == 3        # Astro did the work
    again = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in again] == ["delivered", "partial", "delivered"]
    assert [ln["result"] for o in again for ln in o.receipt["lines"]] == [
        "already", "already", "failed", "already"]
    assert sum(c["punches"] for c in sandbox.state()["cards"]
               if c["customerID"] == "SALLY-1") == 2 + 1 + 1     # each line once
    assert journal.failures(kind="transaction")[0].item_code == BIRD_SEED


def test_a_call_refused_as_a_whole_is_sent_again_sale_by_sale(sandbox, journal, client, store):
    keys = record_sales(journal, store, customer_id="SALLY-1")
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "fault": "answer",
                                  "status": 200,
                                  "body": '{"astro_status": 400, "astro_status_message": '
                                          '"Incomplete Request", "returnData": null}'}]})
    outcomes = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in outcomes] == ["delivered", "partial", "delivered"]
    assert batch_calls(sandbox) == 1 + 3
    assert sandbox.state()["transactions"]["demo-B1-1"]["saleID"] == "demo-B1"


def test_points_go_sale_by_sale_in_order_after_the_merged_lines(sandbox, journal, client,
                                                                   store):
    from dataclasses import replace
    keys = record_sales(journal, replace(store, points=True), customer_id="SALLY-1",
                        points=True)
    before = customer(sandbox, "SALLY-1")["points_balance"]
    outcomes = deliver_sales(journal, client, keys, retry=FAST)
    assert [o.status for o in outcomes] == ["delivered", "partial", "delivered"]
    assert batch_calls(sandbox) == 1
    assert customer(sandbox, "SALLY-1")["points_balance"] == before + 30
    awarded = [journal.get_sale(k).steps[-1].result["points_transaction_id"] for k in keys]
    assert awarded == sorted(awarded)                        # in sale order
