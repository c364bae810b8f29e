"""Delivering recorded sales to the sandbox Astro over real HTTP, exactly once: the
step machine (bridge.delivery.machine)."""
import datetime as dt
import time
from dataclasses import replace

from bridge.astro import AstroClient
from bridge.delivery import Worker
from bridge.journal import Journal, utcnow
from bridge.reasons import Reason
from tests.clock import wait_until
from tests.delivery.conftest import (BIRD_SEED, FAST, KIBBLE, PUPPY, customer, deliver, later,
                                     points_transactions, record)
from tests.hooks import HookedClient

def test_new_pos_customer_found_by_email_is_linked(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=POS-77&FirstName=Pat&LastName=Unlinked"
                                 f"&Email=pat@example.com&UPC1={KIBBLE}&Qty1=2&SubTotal=45.98")
    outcome = deliver(journal, client, key)
    assert outcome.status == "delivered"
    assert customer(sandbox, "POS-77")["astro_customer_id"] == "1002"
    receipt = outcome.receipt
    assert receipt["customer"] == {"id": "POS-77", "name": "Pat Unlinked",
                                   "astro_customer_id": "1002", "how": "linked"}
    assert [(ln["item_code"], ln["result"], ln["program_title"]) for ln in receipt["lines"]] == [
        (KIBBLE, "added", "Buy 12 Get 1 Dog Kibble")]
    assert receipt["cards"] == [{"program_id": "101", "program_title": "Buy 12 Get 1 Dog Kibble",
                                 "punches": 2, "required": 12, "rewards_ready": 0}]
    assert receipt["points"]["awarded"] == 45 and receipt["points"]["balance"] == 45
    assert journal.get_sale(key).receipt == receipt


def test_new_pos_customer_found_by_phone_is_linked(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=POS-78&Phone=(555)%20010-0200&UPC1={KIBBLE}")
    assert deliver(journal, client, key).receipt["customer"]["how"] == "linked"
    assert customer(sandbox, "POS-78")["astro_customer_id"] == "1002"


def test_unknown_customer_is_created_in_astro(sandbox, journal, client, store):
    key = record(journal, store, "CustomerID=NEW-1&FirstName=Nora&LastName=New"
                                 "&Email=nora@example.com&UPC1=WASH-SELF")
    outcome = deliver(journal, client, key)
    created = customer(sandbox, "NEW-1")
    assert (created["first_name"], created["email_address"]) == ("Nora", "nora@example.com")
    assert outcome.receipt["customer"]["how"] == "created"
    assert outcome.receipt["cards"][0]["program_title"] == "Buy 10 Get 1 Self-Wash"
    assert journal.known_customer("demo", "NEW-1") == created["astro_customer_id"]


def test_known_customer_is_not_looked_up_again(sandbox, journal, client, store):
    first = deliver(journal, client, record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}"))
    assert first.receipt["customer"]["how"] == "found"
    calls_before = sandbox.state()["calls"].get("customerStatus", 0)
    second = deliver(journal, client, record(journal, store, f"CustomerID=SALLY-1&UPC1={PUPPY}"))
    assert second.receipt["customer"]["how"] == "known"
    # Only the receipt's read: no lookup before sending.
    assert sandbox.state()["calls"]["customerStatus"] == calls_before + 1
    assert second.receipt["cards"][0]["punches"] == 2


def test_503_is_retried_later_and_delivered_once(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&Qty1=3&SubTotal=30.00")
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                  "fault": "status", "status": 503}]})
    first = deliver(journal, client, key)
    assert first.status == "pending" and first.retry_at is not None
    assert "503" in first.error
    sale = journal.get_sale(key)
    # The award went out with the batch (one round): it is done, the batch is left.
    assert [s.state for s in sale.steps] == ["done", "pending", "done"]
    assert sale.attempts == 1
    second = deliver(journal, client, key)
    assert second.status == "delivered"
    assert second.receipt["cards"][0]["punches"] == 3
    assert len(points_transactions(sandbox, "1001")) == 1


def test_batch_done_then_dropped_is_resent_and_counted_once(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&Qty1=2&UPC2={PUPPY}")
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1, "fault": "drop"}]})
    first = deliver(journal, client, key)
    assert first.status == "pending"
    second = deliver(journal, client, key)
    assert second.status == "delivered"
    assert [ln["result"] for ln in second.receipt["lines"]] == ["already", "already"]
    assert second.receipt["cards"][0]["punches"] == 3          # 2 + 1, not 6
    assert len(sandbox.state()["transactions"]) == 2
    assert journal.failures() == []


def test_points_done_then_dropped_are_never_awarded_twice(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&SubTotal=120.00")
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1, "fault": "drop"}]})
    first = deliver(journal, client, key)
    assert first.status == "pending"
    assert journal.get_sale(key).steps[2].state == "uncertain"
    assert deliver(journal, client, key).status == "pending"     # Astro may still work on it
    assert len(points_transactions(sandbox, "1001")) == 1
    second = deliver(journal, client, key, now=later())
    assert second.status == "delivered"
    assert journal.get_sale(key).steps[2].result["reconciled"] is True
    assert [t["pointsQty"] for t in points_transactions(sandbox, "1001")] == [120]
    assert second.receipt["points"]["balance"] == 120
    assert [r["title"] for r in second.receipt["points"]["rewards"]] == ["$5 off"]


def test_points_lost_before_the_work_are_sent_again_once(sandbox, journal, client, store):
    key = record(journal, store, "CustomerID=SALLY-1&SubTotal=50.00")
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1,
                                  "fault": "status", "status": 500, "work": False}]})
    assert deliver(journal, client, key).status == "pending"
    assert journal.get_sale(key).steps[1].state == "uncertain"
    assert deliver(journal, client, key, now=later()).status == "delivered"
    assert [t["pointsQty"] for t in points_transactions(sandbox, "1001")] == [50]


def test_undecidable_points_go_to_a_person_not_to_astro(sandbox, journal, client, store):
    key = record(journal, store, "CustomerID=SALLY-1&SubTotal=20.00")
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1, "fault": "drop"}]})
    deliver(journal, client, key)
    client.add_points_by_dollar("SALLY-1", 7)      # another channel awards points meanwhile
    outcome = deliver(journal, client, key, now=later())
    assert outcome.status == "failed"
    assert sorted(t["pointsQty"] for t in points_transactions(sandbox, "1001")) == [7, 20]
    assert journal.get_sale(key).steps[1].state == "undecided"
    [failure] = journal.failures(kind="points")
    assert (failure.sale_key, failure.customer_id, failure.endpoint) == (key, "SALLY-1", "addPointsByDollar")
    assert failure.message.startswith("Points uncertain: ")
    assert failure.reason is Reason.POINTS_UNCERTAIN
    # Nothing sends it again on its own: it waits for a person.
    assert deliver(journal, client, key, now=later(120)).status == "failed"
    assert len(points_transactions(sandbox, "1001")) == 2


def test_no_item_found_is_a_failure_record_with_all_fields(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}"
                                 f"&UPC2={BIRD_SEED}&Description2=Bird+Seed+10lb")
    outcome = deliver(journal, client, key)
    assert outcome.status == "partial"
    assert [ln["result"] for ln in outcome.receipt["lines"]] == ["added", "failed"]
    [f] = journal.failures()
    assert (f.store_id, f.sale_key, f.customer_id, f.item_code, f.description, f.transaction_id,
            f.endpoint, f.message, f.kind, f.reason) == (
        "demo", key, "SALLY-1", BIRD_SEED, "Bird Seed 10lb", f"{key}-2",
        "addTransactionBatch", "No Item Found", "transaction", Reason.NO_ITEM_FOUND)
    assert f.status_code is not None and f.at.tzinfo is not None


def test_deadline_passed_sends_nothing_and_leaves_it_to_the_worker(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}")
    outcome = deliver(journal, client, key, deadline=time.monotonic() - 1)
    assert outcome.status == "pending" and "deadline" in outcome.error
    assert sandbox.state()["calls"] == {}
    assert journal.due_sales(utcnow(), 10) == [key]
    worker = Worker(journal, lambda store_id: client, retry=FAST)
    assert worker.run_once() == 1
    assert journal.get_sale(key).status == "delivered"


def test_sale_held_by_another_worker_is_left_alone(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}")
    assert journal.claim_sale(key, "other-worker")
    outcome = deliver(journal, client, key)
    assert not outcome.claimed and outcome.status == "pending"
    assert sandbox.state()["calls"] == {}


def test_worker_thread_retries_until_delivered_and_stops(sandbox, journal, client, store):
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&SubTotal=10.00")
    sandbox.set_faults({"next": [{"endpoint": "customerStatus", "count": 2,
                                  "fault": "status", "status": 503}]})
    worker = Worker(journal, lambda store_id: client, retry=FAST, poll_interval=0.02)
    worker.start()
    try:
        wait_until(lambda: journal.get_sale(key).status != "pending", "the worker")
    finally:
        assert worker.stop(timeout=5)
    sale = journal.get_sale(key)
    assert sale.status == "delivered" and sale.attempts == 2
    assert len(points_transactions(sandbox, "1001")) == 1


def test_worker_gives_up_old_sales_and_reports_them(sandbox, journal, client, store):
    old = utcnow() - dt.timedelta(hours=73)
    key = record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&Description1=Kibble",
                 received_at=old)
    assert Worker(journal, lambda store_id: client, retry=FAST).run_once() == 1
    assert journal.get_sale(key).status == "given_up"
    assert {(f.kind, f.item_code, f.reason) for f in journal.failures()} == {
        ("customer", None, Reason.GIVEN_UP), ("transaction", KIBBLE, Reason.GIVEN_UP)}
    assert sandbox.state()["calls"] == {}


def test_refund_takes_the_original_items_off_the_cards(sandbox, journal, client, store):
    store = replace(store, refund_remove_items=True)
    sale_key = record(journal, store, f"CustomerID=SALLY-1&SaleID=900&UPC1={KIBBLE}&Qty1=3&SubTotal=60.00")
    assert deliver(journal, client, sale_key).receipt["cards"][0]["punches"] == 3
    refund_key = record(journal, store, f"CustomerID=SALLY-1&SaleID=900&Refund=1"
                                        f"&UPC1={KIBBLE}&Qty1=1&SubTotal=20.00")
    assert refund_key == "demo-900-R"
    outcome = deliver(journal, client, refund_key)
    assert outcome.status == "delivered"
    assert outcome.receipt["cards"][0]["punches"] == 2
    assert outcome.receipt["removed"] == [{"transaction_id": "demo-900-1", "item_code": KIBBLE,
                                           "quantity": 1, "state": "done"}]
    assert outcome.receipt["points"]["balance"] == 40


def test_astro_password_never_reaches_the_journal(sandbox, tmp_path, client, store):
    path = tmp_path / "secrets.db"
    with Journal(path) as journal:
        key = record(journal, store, f"CustomerID=SALLY-1&UPC1={BIRD_SEED}&SubTotal=5.00"
                                     "&apiusername=demo&apipassword=button-Pw-771")
        sandbox.set_faults({"next": [
            {"endpoint": "customerStatus", "count": 1, "fault": "status", "status": 503},
            {"endpoint": "addPointsByDollar", "count": 1, "fault": "drop"}]})
        for attempt in range(5):
            if deliver(journal, client, key, now=later(60 * attempt)).finished:
                break
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        assert journal.get_sale(key).status == "partial"
    assert b"No Item Found" in stored
    assert b"demo-password" not in stored and b"button-Pw-771" not in stored


def test_email_of_another_linked_customer_is_not_taken_for_a_link(sandbox, journal, client, store):
    # Sally (1001) is linked as SALLY-1; the sandbox's addCustomer accepts a second
    # account with the same email, so DUP-1 gets an account of its own.
    key = record(journal, store, f"CustomerID=DUP-1&FirstName=Dee&LastName=Dup"
                                 f"&Email=sally@example.com&UPC1={KIBBLE}")
    outcome = deliver(journal, client, key)
    assert outcome.status == "delivered"
    dup = customer(sandbox, "DUP-1")
    assert dup["astro_customer_id"] != "1001" and dup["first_name"] == "Dee"
    assert customer(sandbox, "SALLY-1")["astro_customer_id"] == "1001"
    assert outcome.receipt["customer"]["how"] == "created"
    assert sandbox.state()["transactions"][f"{key}-1"]["astro_customer_id"] == \
        dup["astro_customer_id"]
    assert journal.known_customer("demo", "DUP-1") == dup["astro_customer_id"]


def _client_racing(sandbox, other_register, before):
    """The bridge's client, with `other_register(client)` (another register's own real
    client) acting after the bridge's lookup round (customerStatus and searchCustomer)
    was answered, just before its `before` call (linkCustomer or addCustomer) is sent:
    exactly the window a real race would hit."""
    def act():
        with AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client") as other:
            other_register(other)
    return HookedClient(sandbox.api_url, "demo", "demo-password", "demo-client",
                        connect_timeout=1.0, read_timeout=2.0, max_retries=0, backoff=0.01,
                        before={before: act})


def test_link_answered_320_for_this_customer_counts_as_linked(sandbox, journal, store):
    key = record(journal, store, f"CustomerID=POS-RACE&Email=pat@example.com&UPC1={KIBBLE}")
    with _client_racing(sandbox, lambda other: other.link_customer("POS-RACE", "1002"),
                        "linkCustomer") as client:
        outcome = deliver(journal, client, key)
    assert sandbox.state()["calls"]["linkCustomer"] == 2     # the other register's, ours
    assert outcome.status == "delivered"
    assert outcome.receipt["customer"]["how"] == "linked"
    assert sandbox.state()["transactions"][f"{key}-1"]["astro_customer_id"] == "1002"
    assert journal.known_customer("demo", "POS-RACE") == "1002"


def test_link_answered_320_for_another_customer_falls_back_to_add(sandbox, journal, store):
    key = record(journal, store, f"CustomerID=POS-LATE&FirstName=Lee&LastName=Late"
                                 f"&Email=pat@example.com&UPC1={KIBBLE}")
    with _client_racing(sandbox, lambda other: other.link_customer("POS-FIRST", "1002"),
                        "linkCustomer") as client:
        outcome = deliver(journal, client, key)
    assert outcome.status == "delivered"
    assert outcome.receipt["customer"]["how"] == "created"
    late = customer(sandbox, "POS-LATE")
    assert late["astro_customer_id"] != "1002"
    assert customer(sandbox, "POS-FIRST")["astro_customer_id"] == "1002"
    assert sandbox.state()["transactions"][f"{key}-1"]["astro_customer_id"] == \
        late["astro_customer_id"]


def test_add_refused_is_a_customer_failure_that_says_why(sandbox, journal, client, store):
    # The email's account is Sally's (skipped), and Astro refuses to add DUP-2.
    key = record(journal, store, f"CustomerID=DUP-2&Email=sally@example.com&UPC1={KIBBLE}")
    sandbox.set_faults({"next": [{"endpoint": "addCustomer", "fault": "answer", "status": 200,
                                  "body": '{"astro_status": 400, "astro_status_message": '
                                          '"Incomplete Request", "returnData": null}'}]})
    outcome = deliver(journal, client, key)
    assert outcome.status == "failed"
    [failure] = journal.failures(kind="customer")
    assert (failure.customer_id, failure.reason) == ("DUP-2", Reason.CUSTOMER_REFUSED)
    assert failure.message.startswith("Astro refused to add POS customer DUP-2: "
                                      "Incomplete Request")
    assert "belongs to Astro customer 1001, linked to POS customer SALLY-1" in failure.message
    assert journal.known_customer("demo", "DUP-2") is None


def test_customer_added_meanwhile_by_another_register_is_used(sandbox, journal, store):
    # Between the bridge's lookup and its addCustomer, another register adds DUP-2 itself:
    # the bridge's addCustomer is refused, and DUP-2 is linked now: the sale goes to it.
    key = record(journal, store, f"CustomerID=DUP-2&Email=sally@example.com&UPC1={KIBBLE}")
    with _client_racing(sandbox, lambda other: other.add_customer("DUP-2", "Dee", "Two"),
                        "addCustomer") as client:
        outcome = deliver(journal, client, key)
    assert outcome.status == "delivered" and journal.failures() == []
    dup = customer(sandbox, "DUP-2")
    assert sandbox.state()["transactions"][f"{key}-1"]["astro_customer_id"] == \
        dup["astro_customer_id"]
    assert journal.known_customer("demo", "DUP-2") == dup["astro_customer_id"]


def test_cached_customer_unknown_to_astro_is_resolved_again(sandbox, journal, client, store):
    journal.remember_customer("demo", "GHOST-1", "9999")    # a link Astro does not have
    key = record(journal, store, f"CustomerID=GHOST-1&FirstName=Gus&LastName=Ghost"
                                 f"&Email=gus@example.com&UPC1={KIBBLE}&SubTotal=45.98")
    outcome = deliver(journal, client, key)
    assert outcome.status == "delivered"
    ghost = customer(sandbox, "GHOST-1")
    assert outcome.receipt["customer"]["how"] == "created"
    assert sandbox.state()["transactions"][f"{key}-1"]["astro_customer_id"] == \
        ghost["astro_customer_id"]
    assert len(points_transactions(sandbox, ghost["astro_customer_id"])) == 1
    assert journal.known_customer("demo", "GHOST-1") == ghost["astro_customer_id"]
    assert journal.failures() == []


def test_customer_gone_after_a_reset_is_resolved_again(sandbox, journal, client, store):
    query = f"CustomerID=NEW-9&FirstName=Nia&LastName=Nine&UPC1={KIBBLE}"
    assert deliver(journal, client, record(journal, store, query + "&SaleID=A")).status \
        == "delivered"
    sandbox.reset()                       # the account forgets NEW-9; the cache does not
    outcome = deliver(journal, client, record(journal, store, query + "&SaleID=B"))
    assert outcome.status == "delivered"
    assert outcome.receipt["customer"]["how"] == "created"
    assert "demo-B-1" in sandbox.state()["transactions"]
