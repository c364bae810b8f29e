"""Astro's wire format as the sandbox speaks it: the response envelope, the documented
status codes and messages, and ONE table of everything the API leaves undocumented."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SUCCESS = 100
SUCCESS_MESSAGE = "Success"
TRANSACTION_ADDED = "Transaction Added"


@dataclass(frozen=True)
class Answer:
    """A numeric status code, the message sent with it, and the HTTP status."""
    code: int
    message: str
    http: int = 200


# Documented by ASTRO_API.md (code and message, or message only).
INCOMPLETE_REQUEST = "Incomplete Request"
INVALID_CLIENT_ID = "Invalid Client ID"
NO_CUSTOMER_FOUND = "No Customer Found"
NO_ITEM_FOUND = "No Item Found"
TRANSACTION_ID_EXISTS = "TransactionID Already Exists"
NO_POINT_REWARDS = "No Astro point rewards are available"

# GUESSES. Everything Astro leaves undocumented is chosen here, in one place:
# numeric codes of messages whose code is unknown, the exact wording of messages that
# are only described, HTTP statuses of errors, the token failures, the expired-token
# answer and the rate-limit answer. Correct these from real traffic; nothing else in
# the sandbox hard-codes them. Codes 310, 320 and 700 are documented, their messages
# are not; every other code below is invented.
UNDOCUMENTED: dict[str, Answer] = {
    # token endpoint (answered as an OAuth-style error plus the Astro envelope fields)
    "invalid_client_id": Answer(110, INVALID_CLIENT_ID, 400),
    "invalid_login": Answer(120, "Invalid Username or Password", 400),
    # any endpoint: Bearer token missing, unknown or expired
    "invalid_token": Answer(130, "Invalid or Expired Token", 401),
    # any endpoint: required field missing, or payload not sent in jsonData
    "incomplete_request": Answer(200, INCOMPLETE_REQUEST, 200),
    # customers
    "no_customer_found": Answer(310, NO_CUSTOMER_FOUND, 200),    # 310 documented (search)
    "customer_already_linked": Answer(320, "Customer Already Linked", 200),  # 320 documented
    "customer_id_exists": Answer(330, "CustomerID Already Exists", 200),
    # transactions (also the per-line transaction_status of addTransactionBatch)
    "no_item_found": Answer(410, NO_ITEM_FOUND, 200),
    "transaction_id_exists": Answer(420, TRANSACTION_ID_EXISTS, 200),
    "transaction_not_found": Answer(430, "Transaction Not Found", 200),
    "invalid_quantity": Answer(440, "Invalid Quantity", 200),
    # points
    "no_point_rewards": Answer(510, NO_POINT_REWARDS, 200),
    "points_reward_not_found": Answer(520, "Points Reward Not Found", 200),
    "invalid_amount": Answer(530, "Invalid Dollar Amount", 200),
    # redemptions (700 documented for checkRedemptionEligibility)
    "not_eligible": Answer(700, "Customer Not Eligible For Redemption", 200),
    "reward_not_found": Answer(710, "Reward Not Found", 200),
    "reward_already_redeemed": Answer(720, "Reward Already Redeemed", 200),
    "reward_not_redeemed": Answer(730, "Reward Not Redeemed", 200),
    # prefix; the missing fields are appended: "...: customer_email_address, customer_zip"
    "missing_customer_info": Answer(740, "Missing Required Customer Information", 200),
    # offers
    "offer_not_found": Answer(810, "No Offer Found", 200),
    # transport-level answers
    "unknown_endpoint": Answer(404, "Not Found", 404),
    "method_not_allowed": Answer(405, "Method Not Allowed", 405),
    "rate_limited": Answer(429, "Rate Limit Exceeded", 429),
    "server_error": Answer(500, "Internal Server Error", 500),
    "unavailable": Answer(503, "Service Unavailable", 503),
}


class AstroFailure(Exception):
    """A business or request error answered in the envelope (key into UNDOCUMENTED)."""

    def __init__(self, key: str, detail: str | None = None):
        self.answer = UNDOCUMENTED[key]
        self.key = key
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.detail:
            return f"{self.answer.message}: {self.detail}"
        return self.answer.message


def envelope(return_data: Any) -> dict[str, Any]:
    """The success envelope around `return_data`."""
    return {"astro_status": SUCCESS, "astro_status_message": SUCCESS_MESSAGE,
            "returnData": return_data}


def error_envelope(answer: Answer, message: str | None = None) -> dict[str, Any]:
    return {"astro_status": answer.code, "astro_status_message": message or answer.message,
            "returnData": None}


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), default=str).encode("utf-8")
