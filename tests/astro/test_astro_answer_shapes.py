"""Answers in the shapes public clients have seen from Astro, read by AstroClient over
real HTTP into the same typed results; and answers it cannot use, which are a
ProtocolError naming what is wrong (an Ambiguous: the call was sent), never a Python
error. The shapes the sandbox itself speaks are covered by test_astro_client_endpoints,
run against each of its wires."""
import json
from decimal import Decimal

import pytest

from bridge.astro import Ambiguous, AstroClient, ProtocolError

OK = {"astro_status": 100, "astro_status_message": "Success"}
OFFER = {"astro_program_id": 18, "astro_program_title": "Buy 4 Get 1 Cat Cans",
         "astro_mfg_id": 24, "in_store_only": 1}


@pytest.fixture
def astro(recording_astro):
    """(client, answer): `answer(endpoint, returnData)` sets what the fake Astro says
    (no returnData key at all when it is left out)."""
    client = AstroClient(recording_astro.api_url, "demo", "pw", "cid", max_retries=0)

    def answer(endpoint, *return_data, doc=None):
        recording_astro.answers[endpoint] = doc or (
            {**OK, "returnData": return_data[0]} if return_data else OK)

    yield client, answer
    client.close()


def test_ids_sent_as_numbers_are_the_same_ids_as_text_and_extra_fields_are_ignored(astro):
    client, answer = astro
    answer("addTransactionBatch", [{
        "transactionID": "S-1-1", "transaction_status": "100",
        "transaction_status_message": "Transaction Added", "astro_transaction_id": 310645666,
        "astro_program_id": 1209.0, "astro_program_title": "Kibble", "a_new_field": [1]}])
    line, = client.add_transaction_batch("C-1", [{"transactionID": "S-1-1",
                                                  "item_code": "012345678905",
                                                  "item_qty": 1}])
    assert (line.added, line.astro_transaction_id, line.program_id) == \
        (True, "310645666", "1209")
    answer("customerStatus", {"customerID": "C-1", "astro_customer_id": 1001,
                              "astroCardData": {"astro_card_id": 5, "astro_program_id": 1209},
                              "astroPointsTransactions": [{"astro_points_transaction_id": 88,
                                                           "pointsQty": "12"}]})
    status = client.customer_status("C-1")
    assert status.astro_customer_id == "1001"
    assert [(c.card_id, c.program_id) for c in status.cards] == [("5", "1209")]
    assert [(t.points_transaction_id, t.points) for t in status.points_transactions] == \
        [("88", 12)]


@pytest.mark.parametrize("return_data", [
    {"program_list": [OFFER]}, [OFFER], OFFER, {"program_list": OFFER},
    {"program_list": [{**OFFER, "in_store_only": "1"}]}, [{**OFFER, "in_store_only": True}]])
def test_list_offers_reads_every_public_form(astro, return_data):
    client, answer = astro
    answer("listOffers", return_data)
    offer, = client.list_offers()
    assert (offer.program_id, offer.mfg_id, offer.title, offer.in_store_only) == \
        ("18", "24", "Buy 4 Get 1 Cat Cans", True)


@pytest.mark.parametrize("return_data", [(), (None,), ([],), ({"program_list": []},)])
def test_no_offers_in_any_form_is_an_empty_list(astro, return_data):
    client, answer = astro
    answer("listOffers", *return_data)
    assert client.list_offers() == []


def test_eligible_items_and_their_programs_may_each_be_one_object(astro):
    client, answer = astro
    answer("eligiblePurchaseItems", {"item_code": "012345678905", "item_description": "Kibble",
                                     "available_programs": {"astro_mfg_program_id": 101,
                                                            "astro_mfg_program_title": "B12G1"}})
    item, = client.eligible_purchase_items(["012345678905"])
    assert [(p.program_id, p.title) for p in item.programs] == [("101", "B12G1")]


def test_a_partial_removal_sends_its_count_under_both_names_a_whole_one_under_neither(
        astro, recording_astro):
    client, answer = astro
    answer("removeTransaction", [{"transaction_status": 100, "transactionID": "S-1-1",
                                  "transaction_status_message": "Success",
                                  "transactionDeleted": True}])
    removed, = client.remove_transaction("C-1", "S-1-1", quantity=2)
    assert (removed.deleted, removed.message) == (True, "Success")
    client.remove_transaction("C-1", "S-1-1")
    partial, whole = [json.loads(form["jsonData"][0]) for path, _, form in recording_astro.seen
                      if path.endswith("/removeTransaction/")]
    assert partial == {"customerID": "C-1", "transactionID": "S-1-1", "quantity": 2,
                       "item_qty": 2}
    assert whole == {"customerID": "C-1", "transactionID": "S-1-1"}


def _batch(client):
    return client.add_transaction_batch("C-1", [{"transactionID": "S-1-1",
                                                 "item_code": "012345678905", "item_qty": 1}])


@pytest.mark.parametrize("endpoint,call,return_data,problem", [
    ("addPointsByDollar", lambda c: c.add_points_by_dollar("C-1", Decimal("5")),
     ({"total_points": 5},), "no usable astro_points_transaction_id"),
    ("addCustomer", lambda c: c.add_customer("C-9", "Rex", "Owner"),
     ({"customerID": "C-9"},), "no usable astro_customer_id"),
    ("addCustomer", lambda c: c.add_customer("C-9", "Rex", "Owner"), (), "no returnData"),
    ("addTransactionBatch", _batch, ([],), "0 results for 1 lines"),
    ("addTransactionBatch", _batch, ([{"transactionID": "S-1-1"}],),
     "no usable transaction_status"),
    ("addTransactionBatch", _batch, ("Transaction Added",), "expected a list of objects"),
    ("removeTransaction", lambda c: c.remove_transaction("C-1", "S-1-1", 1),
     ([{"transactionID": "S-1-1", "transaction_status": "gone"}],),
     "no usable transaction_status"),
    # reads: nothing happened, but the answer is as unusable
    ("customerStatus", lambda c: c.customer_status("C-1"), ([{"customerID": "C-1"}],),
     "expected an object, got list"),
    ("customerStatus", lambda c: c.customer_status("C-1"),
     ({"customerID": "C-1", "astroCardData": "none"},), "expected a list of objects"),
    ("customerPointsStatus", lambda c: c.customer_points_status("C-1"),
     ({"astroPointsTransactions": [{"pointsQty": 5}]},),
     "no usable astro_points_transaction_id"),
    ("checkRedemptionEligibility", lambda c: c.check_redemption_eligibility("C-1", "1"), (),
     "no returnData"),
    ("searchCustomer", lambda c: c.search_customer(email="a@example.com"), (["C-1"],),
     "expected a list of objects"),
])
def test_an_answer_missing_what_the_call_needs_is_a_protocol_error_naming_it(
        astro, endpoint, call, return_data, problem):
    client, answer = astro
    answer(endpoint, *return_data)
    with pytest.raises(ProtocolError) as info:
        call(client)
    assert isinstance(info.value, Ambiguous)   # after a write, the work may have happened
    assert info.value.endpoint == endpoint
    assert problem in str(info.value)
