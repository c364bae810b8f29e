"""Wire-format contract: a tiny client written here from ASTRO_API.md alone (plain
requests, trailing-slash paths, Bearer header, one jsonData form field) runs a whole
customer lifecycle against the sandbox, and AstroClient runs the same lifecycle. If the
two disagree, either the sandbox or the client has drifted from the documented format."""
import datetime
import json
from decimal import Decimal

import requests

from bridge.astro import AstroClient, Purchase

KIBBLE = "012345678905"
DAY = "2024-05-17"


class DocClient:
    """Only what ASTRO_API.md says, nothing from bridge.astro."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        answer = self.http.post(f"{base}/token/", data={
            "username": "demo", "password": "demo-password", "grant_type": "password",
            "client_id": "demo-client"}, timeout=5)
        doc = answer.json()
        assert doc["token_type"].lower() == "bearer"
        assert int(doc["expires"]) > 0 and int(doc["created"]) > 0
        self.token = doc["access_token"]

    def call(self, endpoint, payload):
        answer = self.http.post(
            f"{self.base}/{endpoint}/", data={"jsonData": json.dumps(payload)},
            headers={"Authorization": f"Bearer {self.token}"}, timeout=5)
        doc = answer.json()
        status = doc.get("astro_status", doc.get("status"))
        message = doc.get("astro_status_message", doc.get("status_message"))
        return int(status), message, doc.get("returnData")


def test_documented_wire_format_runs_a_customer_lifecycle(sandbox):
    api = DocClient(sandbox.api_url)
    assert api.call("addCustomer", {"customerID": "POS-77", "first_name": "Rex",
                                    "last_name": "Owner", "email_address": "rex@example.com",
                                    "phone": "5550107777"})[0] == 100
    status, _, match = api.call("searchCustomer", {"email_address": "rex@example.com"})
    assert status == 100 and match["customerID"] == "POS-77"
    assert api.call("searchCustomer", {"email_address": "ghost@example.com"})[0] == 310
    status, _, pat = api.call("searchCustomer", {"phone": "5550100200"})
    assert api.call("linkCustomer", {"customerID": "POS-78",
                                     "astro_customer_id": pat["astro_customer_id"]})[0] == 100
    assert api.call("linkCustomer", {"customerID": "POS-79",
                                     "astro_customer_id": pat["astro_customer_id"]})[0] == 320
    status, _, lines = api.call("addTransactionBatch", {
        "customerID": "POS-77", "saleID": "S-77", "transactions": [
            {"transactionID": "S-77-1", "item_code": KIBBLE, "item_qty": 12,
             "item_amount": 39.99, "item_transaction_date": DAY},
            {"transactionID": "S-77-2", "item_code": "850000000018", "item_qty": 1,
             "item_transaction_date": DAY}]})
    assert status == 100
    assert [(int(x["transaction_status"]), x["transaction_status_message"]) for x in lines] \
        == [(100, "Transaction Added"), (lines[1]["transaction_status"], "No Item Found")]
    status, _, award = api.call("addPointsByDollar", {"customerID": "POS-77",
                                                      "dollarAmount": 150.75})
    assert status == 100 and int(award["total_points"]) == 150
    status, _, customer = api.call("customerStatus", {"customerID": "POS-77"})
    assert int(customer["astroPointsBalance"]) == 150
    card, = customer["astroCardData"]
    assert len(card["cardPurchases"]) == 12 and len(card["cardFreeGoods"]) == 1
    status, _, eligible = api.call("checkRedemptionEligibility",
                                   {"customerID": "POS-77", "item_code": KIBBLE})
    assert status == 100 and eligible["isEligible"]
    assert api.call("addRedemption", {"customerID": "POS-77",
                                      "astro_reward_id": eligible["astro_reward_id"],
                                      "astro_item_id": KIBBLE})[0] == 100
    status, _, deducted = api.call("redeemPoints", {"customerID": "POS-77",
                                                    "astro_points_reward_id": 501})
    assert status == 100 and int(deducted["total_points"]) == 100
    status, _, points = api.call("customerPointsStatus", {"customerID": "POS-77"})
    assert int(points["astroPointsBalance"]) == 50


def test_payload_outside_jsondata_is_an_incomplete_request(sandbox):
    api = DocClient(sandbox.api_url)
    answer = api.http.post(f"{sandbox.api_url}/customerStatus/",
                           data={"customerID": "SALLY-1"},
                           headers={"Authorization": f"Bearer {api.token}"}, timeout=5)
    assert answer.json()["astro_status_message"] == "Incomplete Request"


def test_astro_client_runs_the_same_lifecycle(client):
    day = datetime.date(2024, 5, 17)
    astro_id = client.add_customer("POS-77", "Rex", "Owner", email="rex@example.com",
                                   phone="5550107777")
    assert client.search_customer(email="rex@example.com").astro_customer_id == astro_id
    assert client.search_customer(email="ghost@example.com") is None
    pat = client.search_customer(phone="5550100200")
    assert client.link_customer("POS-78", pat.astro_customer_id) == pat.astro_customer_id
    lines = client.add_transaction_batch("POS-77", [
        Purchase("S-77-1", KIBBLE, 12, day, Decimal("39.99")),
        Purchase("S-77-2", "850000000018", 1, day)], sale_id="S-77")
    assert [(line.added, line.message) for line in lines] == [
        (True, "Transaction Added"), (False, "No Item Found")]
    assert client.add_points_by_dollar("POS-77", Decimal("150.75")).total_points == 150
    status = client.customer_status("POS-77")
    assert status.points_balance == 150
    assert len(status.cards[0].purchases) == 12 and len(status.cards[0].free_goods) == 1
    eligibility = client.check_redemption_eligibility("POS-77", KIBBLE)
    assert eligibility.eligible
    client.add_redemption("POS-77", eligibility.reward_id, KIBBLE)
    assert client.redeem_points("POS-77", "501") == 100
    assert client.customer_points_status("POS-77").balance == 50


def test_astro_client_sends_the_documented_form(recording_astro):
    with AstroClient(recording_astro.api_url, "demo", "demo-password", "demo-client") as client:
        award = client.add_points_by_dollar("SALLY-1", Decimal("12.5"))
    assert award.total_points == 12 and award.points_transaction_id == "7"
    (token_path, _, token_form), (path, headers, form) = recording_astro.seen
    assert token_path == "/api/json/token/"
    assert token_form == {"username": ["demo"], "password": ["demo-password"],
                          "grant_type": ["password"], "client_id": ["demo-client"]}
    assert path == "/api/json/addPointsByDollar/"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Bearer tok-123"
    assert form == {"jsonData": ['{"customerID":"SALLY-1","dollarAmount":12.50}']}
