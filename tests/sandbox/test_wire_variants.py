"""The shapes the sandbox answers in: the public fixtures' by default, the other public
forms with the public-variants wire, unknown request fields refused when strict, and the
name it reads a partial removal's count from (bridge/sandbox/wire.py)."""
import json
from dataclasses import fields

import pytest
import requests

from bridge.sandbox.server import SandboxServer
from bridge.sandbox.wire import PUBLIC_VARIANTS, SOURCES, UNDOCUMENTED, Shapes, Wire
from tests.sandbox.conftest import LOGIN, Api

KIBBLE, CHEWS = "012345678905", "012345678912"


@pytest.fixture
def wired_api(request):
    """An Api on a fresh sandbox speaking `Wire(**request.param)`."""
    with SandboxServer(control=False, wire=Wire(**request.param)) as sb:
        api = Api(sb)
        yield api
        api.http.close()


def test_every_shape_question_names_where_its_forms_were_seen():
    assert set(SOURCES) == {f.name for f in fields(Shapes)}


def test_default_answers_carry_ids_as_text_flags_as_1_and_remove_messages(api):
    line, = api.buy("SALLY-1", ("S1-1", KIBBLE, 3))
    assert (line["astro_transaction_id"], line["astro_program_id"]) == ("1", "101")
    award = api.ok("addPointsByDollar", {"customerID": "SALLY-1", "dollarAmount": 5})
    assert award["astro_points_transaction_id"] == "1"
    card, = api.status()["astroCardData"]
    assert (card["astro_card_id"], card["astro_program_id"]) == ("1", "101")
    offers = api.ok("listOffers", {})["program_list"]
    assert all(type(o["in_store_only"]) is int for o in offers)   # 1 or 0, not true/false
    assert offers[0]["astro_mfg_id"] == "11"
    removed, = api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1",
                                            "quantity": 1})
    assert removed["transaction_status_message"] == "Success"


VARIANTS = [{"variants": PUBLIC_VARIANTS}]


@pytest.mark.parametrize("wired_api", VARIANTS, indirect=True)
def test_public_variants_answer_link_and_add_customer_in_the_status_envelope(wired_api):
    added = wired_api.post("addCustomer", {"customerID": "POS-9", "first_name": "Rex",
                                           "last_name": "Owner"}).json()
    assert added == {"status": 100, "returnData": {"astro_customer_id": "2001"}}
    again = wired_api.post("linkCustomer", {"customerID": "POS-10",
                                            "astro_customer_id": "2001"}).json()
    assert again == {"status": 320, "status_messsage": "Customer Already Linked",
                     "returnData": None}


@pytest.mark.parametrize("wired_api", VARIANTS, indirect=True)
def test_public_variants_answer_the_other_forms_of_the_public_clients(wired_api):
    token = wired_api.http.post(wired_api.sandbox.api_url + "/token/", data=LOGIN).json()
    assert isinstance(token["expires"], int) and isinstance(token["created"], int)
    eligible = wired_api.post("checkRedemptionEligibility", {"customerID": "SALLY-1",
                                                             "item_code": KIBBLE}).json()
    assert (eligible["astro_status"], eligible["returnData"]) == (100, {"isEligible": False})
    offers = wired_api.post("listOffers", {}).json()["returnData"]
    assert isinstance(offers, list) and "101" in {o["astro_program_id"] for o in offers}
    one = wired_api.post("eligiblePurchaseItems", {"item_code": KIBBLE}).json()["returnData"]
    assert one["item_code"] == KIBBLE
    two = wired_api.post("eligiblePurchaseItems",
                         {"item_code_batch": [KIBBLE, "WASH-SELF"]}).json()["returnData"]
    assert [i["item_code"] for i in two] == [KIBBLE, "WASH-SELF"]
    nothing = wired_api.post("addOfferTransaction", {"customerID": "SALLY-1",
                                                     "transactionID": "O-1",
                                                     "item_code": CHEWS, "item_qty": 1}).json()
    assert nothing == {"astro_status": 100, "astro_status_message": "Success"}


@pytest.mark.parametrize("wired_api", [{"strict": True}], indirect=True)
def test_strict_refuses_a_field_it_does_not_read_naming_it_and_changes_nothing(wired_api):
    unknown = UNDOCUMENTED["unknown_field"]
    for payload, field in [
            ({"customerID": "SALLY-1", "dollarAmmount": 5}, "dollarAmmount"),
            ({"customerID": "SALLY-1", "transactions": [{
                "transactionID": "S-1", "item_code": KIBBLE, "item_qtty": 2}]},
             "transactions[].item_qtty")]:
        endpoint = "addPointsByDollar" if "dollarAmmount" in payload else "addTransactionBatch"
        answer = wired_api.post(endpoint, payload)
        assert answer.status_code == unknown.http == 400
        assert answer.json()["astro_status"] == unknown.code
        assert answer.json()["astro_status_message"] == f"Unknown Field: {field}"
    assert wired_api.status()["astroPointsBalance"] == 0
    assert wired_api.status()["astroCardData"] == []
    extra_form = requests.post(wired_api.sandbox.api_url + "/customerStatus/", timeout=5,
                               data={"jsonData": json.dumps({"customerID": "SALLY-1"}),
                                     "customerID": "SALLY-1"},
                               headers={"Authorization": f"Bearer {wired_api.token}"})
    assert extra_form.json()["astro_status_message"] == "Unknown Field: customerID"
    token = requests.post(wired_api.sandbox.api_url + "/token/", timeout=5,
                          data={**LOGIN, "scope": "all"})
    assert token.status_code == 400 and "access_token" not in token.json()
    assert token.json()["astro_status_message"] == "Unknown Field: scope"


@pytest.mark.parametrize("wired_api", [{"strict": True}], indirect=True)
def test_strict_reads_both_names_of_a_removal_count(wired_api):
    wired_api.buy("SALLY-1", ("S1-1", KIBBLE, 3))
    wired_api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1",
                                       "quantity": 1, "item_qty": 1})
    assert len(wired_api.status()["astroCardData"][0]["cardPurchases"]) == 2


@pytest.mark.parametrize("wired_api", [{"remove_count_field": "item_qty"}], indirect=True)
def test_a_sandbox_reading_item_qty_ignores_quantity_and_removes_the_whole_line(wired_api):
    wired_api.buy("SALLY-1", ("S1-1", KIBBLE, 3), ("S1-2", KIBBLE, 3))
    wired_api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1",
                                       "quantity": 1})
    wired_api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-2",
                                       "item_qty": 1})
    purchases = wired_api.status()["astroCardData"][0]["cardPurchases"]
    assert [p["imported_transaction_id"] for p in purchases] == ["S1-2", "S1-2"]
