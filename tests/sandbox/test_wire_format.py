"""The REST wire format: token, trailing slash, jsonData only, envelope, Bearer expiry."""
import json
import time

import requests

from bridge.sandbox.wire import UNDOCUMENTED

LOGIN = {"username": "demo", "password": "demo-password", "grant_type": "password",
         "client_id": "demo-client"}


def test_token_has_bearer_type_and_string_expires_and_created(sandbox):
    before = int(time.time())
    doc = requests.post(sandbox.api_url + "/token/", data=LOGIN, timeout=5).json()
    assert doc["token_type"] == "bearer" and len(doc["access_token"]) >= 20
    assert doc["expires"] == "1800"
    assert isinstance(doc["created"], str) and before <= int(doc["created"]) <= time.time()


def test_bad_client_id_is_invalid_client_id_without_a_token(sandbox):
    answer = requests.post(sandbox.api_url + "/token/",
                           data={**LOGIN, "client_id": "someone-else"}, timeout=5)
    doc = answer.json()
    assert "access_token" not in doc
    assert doc["astro_status_message"] == "Invalid Client ID"
    assert answer.status_code == UNDOCUMENTED["invalid_client_id"].http


def test_wrong_password_gives_no_token_and_does_not_echo_it(sandbox):
    answer = requests.post(sandbox.api_url + "/token/",
                           data={**LOGIN, "password": "hunter2-wrong"}, timeout=5)
    assert "access_token" not in answer.json()
    assert "hunter2-wrong" not in answer.text


def test_success_envelope_has_status_100_message_and_return_data(api):
    doc = api.post("customerStatus", {"customerID": "SALLY-1"}).json()
    assert doc["astro_status"] == 100 and doc["astro_status_message"] == "Success"
    assert doc["returnData"]["customerID"] == "SALLY-1"


def test_path_without_trailing_slash_is_not_found(api, sandbox):
    answer = requests.post(sandbox.api_url + "/customerStatus",
                           data={"jsonData": json.dumps({"customerID": "SALLY-1"})},
                           headers={"Authorization": f"Bearer {api.token}"}, timeout=5)
    assert answer.status_code == 404
    assert requests.post(sandbox.api_url + "/token", data=LOGIN,
                         timeout=5).status_code == 404


def test_unknown_endpoint_is_not_found(api):
    assert api.post("customerTeleport", {}).status_code == 404


def test_payload_outside_json_data_is_incomplete_request(api, sandbox):
    headers = {"Authorization": f"Bearer {api.token}"}
    as_fields = requests.post(sandbox.api_url + "/customerStatus/",
                              data={"customerID": "SALLY-1"}, headers=headers, timeout=5)
    as_json = requests.post(sandbox.api_url + "/customerStatus/",
                            json={"jsonData": {"customerID": "SALLY-1"}}, headers=headers,
                            timeout=5)
    not_json = requests.post(sandbox.api_url + "/customerStatus/",
                             data={"jsonData": "customerID=SALLY-1"}, headers=headers,
                             timeout=5)
    for answer in (as_fields, as_json, not_json):
        assert answer.json()["astro_status_message"] == "Incomplete Request"
        assert answer.json()["astro_status"] != 100


def test_missing_required_field_is_incomplete_request(api):
    status, message, _ = api.call("linkCustomer", {"customerID": "X-1"})
    assert message == "Incomplete Request" and status == UNDOCUMENTED[
        "incomplete_request"].code


def test_call_without_bearer_token_is_refused(sandbox):
    answer = requests.post(sandbox.api_url + "/customerStatus/",
                           data={"jsonData": json.dumps({"customerID": "SALLY-1"})}, timeout=5)
    assert answer.status_code == UNDOCUMENTED["invalid_token"].http
    assert answer.json()["astro_status"] == UNDOCUMENTED["invalid_token"].code


def test_token_stops_working_after_its_ttl(sandbox, api):
    sandbox.set_faults({"token_ttl": 0.3})
    api.token = api.get_token()
    assert api.post("customerStatus", {"customerID": "SALLY-1"}).status_code == 200
    time.sleep(0.4)
    answer = api.post("customerStatus", {"customerID": "SALLY-1"})
    assert answer.status_code == 401
    assert answer.json()["astro_status_message"] == "Invalid or Expired Token"


def test_expire_tokens_revokes_every_token(sandbox, api):
    sandbox.expire_tokens()
    assert api.post("customerStatus", {"customerID": "SALLY-1"}).status_code == 401
    api.token = api.get_token()
    assert api.post("customerStatus", {"customerID": "SALLY-1"}).status_code == 200


def test_get_on_an_endpoint_is_not_allowed(api, sandbox):
    answer = requests.get(sandbox.api_url + "/customerStatus/", timeout=5)
    assert answer.status_code == 405


def test_every_documented_endpoint_is_served(api):
    documented = ["customerStatus", "customerRewardStatus", "searchCustomer", "linkCustomer",
                  "addCustomer", "updateCustomer", "addTransaction", "addTransactionBatch",
                  "removeTransaction", "addPointsByDollar", "customerPointsStatus",
                  "redeemPoints", "checkRedemptionEligibility", "addRedemption",
                  "removeRedemption", "listOffers", "eligiblePurchaseItems",
                  "addOfferTransaction", "removeOfferTransaction", "addOfferRedemption"]
    for endpoint in documented:
        answer = api.post(endpoint, {})
        assert answer.status_code != 404, endpoint
        assert "astro_status" in answer.json(), endpoint


def test_undocumented_codes_are_distinct_per_message():
    by_code = {}
    for key, answer in UNDOCUMENTED.items():
        assert by_code.setdefault(answer.code, answer.message) == answer.message, key
