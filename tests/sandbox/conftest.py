"""Plain-requests access to the sandbox Astro, written from ASTRO_API.md."""
import json

import pytest
import requests

LOGIN = {"username": "demo", "password": "demo-password", "grant_type": "password",
         "client_id": "demo-client"}


class Api:
    """A token and one function per call shape; answers are the raw JSON documents."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.http = requests.Session()
        self.token = self.get_token()

    def get_token(self, **overrides):
        answer = self.http.post(self.sandbox.api_url + "/token/", data={**LOGIN, **overrides},
                                timeout=5)
        return answer.json().get("access_token")

    def post(self, endpoint, payload, timeout=5, **kwargs):
        """The raw requests.Response of one call."""
        return self.http.post(f"{self.sandbox.api_url}/{endpoint}/",
                              data={"jsonData": json.dumps(payload)},
                              headers={"Authorization": f"Bearer {self.token}"},
                              timeout=timeout, **kwargs)

    def call(self, endpoint, payload):
        """(astro_status, astro_status_message, returnData) of one call."""
        doc = self.post(endpoint, payload).json()
        return doc["astro_status"], doc["astro_status_message"], doc["returnData"]

    def ok(self, endpoint, payload):
        """returnData of a call that must succeed."""
        status, message, data = self.call(endpoint, payload)
        assert (status, message) == (100, "Success")
        return data

    def buy(self, customer_id, *lines, sale_id=None):
        """addTransactionBatch of (transactionID, item_code, qty) lines; per-line results."""
        return self.ok("addTransactionBatch", {
            "customerID": customer_id, "saleID": sale_id, "transactions": [
                {"transactionID": t, "item_code": c, "item_qty": q,
                 "item_transaction_date": "2026-01-15"} for t, c, q in lines]})

    def status(self, customer_id="SALLY-1", **extra):
        return self.ok("customerStatus", {"customerID": customer_id, **extra})


@pytest.fixture
def api(sandbox):
    session = Api(sandbox)
    yield session
    session.http.close()
