"""Astro's wire format as the sandbox speaks it: the response envelope, the documented
status codes and messages, and the tables of everything the API leaves undocumented:
``UNDOCUMENTED`` (codes, messages, HTTP statuses), ``SHAPES`` (the forms of answers
where public clients have seen more than one, each with its ``SOURCES``) and
``REMOVE_COUNT_FIELDS`` (the name of a partial removal's count). ``Wire`` is one
sandbox's choice among them."""
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
    # --strict only: a field the sandbox does not read (real Astro's answer is unknown;
    # it may well ignore the field, which is why a misspelt one would pass silently)
    "unknown_field": Answer(210, "Unknown Field", 400),
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


# ---- shapes ------------------------------------------------------------------------
# Where the public clients and their recorded answers show more than one form of an
# answer, the sandbox answers in the form of the public fixtures by default and in the
# other public forms with `--wire public-variants`. Each field of Shapes is one such
# question; SOURCES says where each form was seen.

DEFAULT = "default"
PUBLIC_VARIANTS = "public-variants"


@dataclass(frozen=True)
class Shapes:
    """One answer to each question of form that ASTRO_API.md leaves open."""
    ids_as_text: bool             # every *_id as a JSON string ("310645666"), not a number
    flags: tuple[Any, Any]        # in_store_only (true, false) as sent
    customer_status_key: bool     # linkCustomer/addCustomer answer with `status`, no
    #                               message on success, `status_messsage` (sic) on error
    not_eligible_answered: bool   # checkRedemptionEligibility not eligible: 100 with
    #                               {"isEligible": false}; else code 700 and no data
    offers_bare_list: bool        # listOffers: a bare list; else {"program_list": [...]}
    one_item_as_object: bool      # eligiblePurchaseItems finding one item: the object
    omit_empty_return_data: bool  # answers with nothing to say have no returnData key
    remove_message: str           # transaction_status_message of removal results
    token_times_as_text: bool     # token expires/created as strings ("1800"), else numbers


SHAPES: dict[str, Shapes] = {
    DEFAULT: Shapes(
        ids_as_text=True, flags=(1, 0),
        customer_status_key=False,
        not_eligible_answered=False, offers_bare_list=False, one_item_as_object=False,
        omit_empty_return_data=False, remove_message=SUCCESS_MESSAGE,
        token_times_as_text=True),
    PUBLIC_VARIANTS: Shapes(
        ids_as_text=True, flags=(1, 0),
        customer_status_key=True,
        not_eligible_answered=True, offers_bare_list=True, one_item_as_object=True,
        omit_empty_return_data=True, remove_message=SUCCESS_MESSAGE,
        token_times_as_text=False),
}

RUBY_SPEC = "MelianLabs/astro_loyalty spec/astro_loyalty/client_spec.rb"
RUBY_CLIENT = "MelianLabs/astro_loyalty lib/astro_loyalty/client.rb"
TS_SERVICE = "PilotHousePOS/pilothouse-pos server/astroLoyalty.ts"
SOURCES: dict[str, str] = {
    "ids_as_text": f"{RUBY_SPEC}: astro_transaction_id '310645666', astro_program_id "
                   f"'1209', astro_mfg_id '240'; {TS_SERVICE} passes every id through "
                   "String()",
    "flags": f"{RUBY_SPEC}: listOffers in_store_only 1; {TS_SERVICE} tests "
             "in_store_only === 1",
    "customer_status_key": f"{RUBY_SPEC}: linkCustomer and addCustomer answer "
                           f"{{status: 100, returnData}} without a message; {TS_SERVICE} "
                           "reads astro_status or status, and the message from "
                           "astro_status_message, status_messsage (sic) or "
                           "status_message",
    "not_eligible_answered": f"ASTRO_API.md: code 700; {RUBY_SPEC}: 100 with "
                             f"{{isEligible: false}}; {TS_SERVICE} handles both",
    "offers_bare_list": f"{RUBY_SPEC}: {{program_list: [...]}}; {TS_SERVICE} (commit "
                        "36706f18) a bare list or a single object, (commit 17ca63b4) "
                        "program_list too",
    "one_item_as_object": f"ASTRO_API.md: a list; {TS_SERVICE} (commit 17ca63b4): a "
                          "list or a single object",
    "omit_empty_return_data": f"{RUBY_SPEC}: addRedemption, removeRedemption, "
                              "addOfferTransaction and addOfferRedemption answers carry "
                              f"no returnData; {RUBY_CLIENT} maps a missing or empty "
                              "returnData to {}",
    "remove_message": f"{RUBY_SPEC}: removeTransaction results carry "
                      "transaction_status_message 'Success'",
    "token_times_as_text": f"ASTRO_API.md and {RUBY_SPEC}: expires '1800' and created "
                           f"as strings; {TS_SERVICE} types them as numbers",
}

# The name of a partial removal's count (removeTransaction, removeOfferTransaction):
# ASTRO_API.md says `quantity`; `item_qty` is what the public clients call a count
# everywhere else (transaction lines and addOfferTransaction in RUBY_CLIENT and
# TS_SERVICE; the versions of RUBY_CLIENT read here send no count on removeTransaction
# at all). Which one real Astro reads is unknown, so the bridge sends both with the
# same value; a sandbox reads one (the first by default) and ignores the other, as
# Astro would.
REMOVE_COUNT_FIELDS = ("quantity", "item_qty")

# Answers with nothing to say, in the fixtures (see SOURCES["omit_empty_return_data"]).
EMPTY_ANSWERS = frozenset({"addRedemption", "removeRedemption", "addOfferTransaction",
                           "addOfferRedemption"})
CUSTOMER_WRITES = frozenset({"linkCustomer", "addCustomer"})
REMOVALS = frozenset({"removeTransaction", "removeOfferTransaction"})


@dataclass(frozen=True)
class Wire:
    """How one sandbox speaks: `variants` picks its SHAPES, `strict` refuses a request
    field it does not read (400 naming the field), `remove_count_field` is the name it
    reads a partial removal's count from (it ignores the other one)."""
    variants: str = DEFAULT
    strict: bool = False
    remove_count_field: str = REMOVE_COUNT_FIELDS[0]

    def __post_init__(self):
        if self.variants not in SHAPES:
            raise ValueError(f"wire variants must be one of {', '.join(SHAPES)}")
        if self.remove_count_field not in REMOVE_COUNT_FIELDS:
            raise ValueError(f"remove count field must be one of "
                             f"{', '.join(REMOVE_COUNT_FIELDS)}")

    @property
    def shapes(self) -> Shapes:
        return SHAPES[self.variants]

    def success(self, endpoint: str, data: Any) -> dict[str, Any]:
        """The answer document of a call of `endpoint` whose returnData is `data`."""
        shapes = self.shapes
        data = _values(data, shapes)
        if endpoint in REMOVALS:
            data = [{**r, "transaction_status_message": shapes.remove_message} for r in data]
        elif endpoint == "listOffers" and shapes.offers_bare_list:
            data = data["program_list"]
        elif endpoint == "eligiblePurchaseItems" and shapes.one_item_as_object \
                and len(data) == 1:
            data = data[0]
        if endpoint in CUSTOMER_WRITES and shapes.customer_status_key:
            return {"status": SUCCESS, "returnData": data}
        doc: dict[str, Any] = {"astro_status": SUCCESS, "astro_status_message": SUCCESS_MESSAGE}
        if not (endpoint in EMPTY_ANSWERS and shapes.omit_empty_return_data):
            doc["returnData"] = data
        return doc

    def failure(self, endpoint: str, failure: AstroFailure) -> tuple[int, dict[str, Any]]:
        """(HTTP status, answer document) of a call of `endpoint` that failed."""
        shapes = self.shapes
        if failure.key == "not_eligible" and shapes.not_eligible_answered:
            return 200, self.success(endpoint, {"isEligible": False})
        if endpoint in CUSTOMER_WRITES and shapes.customer_status_key:
            return failure.answer.http, {"status": failure.answer.code,
                                         "status_messsage": failure.message,
                                         "returnData": None}
        return failure.answer.http, error_envelope(failure.answer, failure.message)

    def token(self, value: str, expires_in: int, created: int) -> dict[str, Any]:
        """The token endpoint's answer."""
        text = self.shapes.token_times_as_text
        return {"access_token": value, "token_type": "bearer",
                "expires": str(expires_in) if text else expires_in,
                "created": str(created) if text else created}


def _values(doc: Any, shapes: Shapes) -> Any:
    """`doc` with its ids and flags in the form `shapes` sends them."""
    if isinstance(doc, list):
        return [_values(v, shapes) for v in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "in_store_only" and isinstance(value, bool):
            value = shapes.flags[0] if value else shapes.flags[1]
        elif (shapes.ids_as_text and key.endswith("_id") and isinstance(value, int)
              and not isinstance(value, bool)):
            value = str(value)
        else:
            value = _values(value, shapes)
        out[key] = value
    return out


def error_envelope(answer: Answer, message: str | None = None) -> dict[str, Any]:
    return {"astro_status": answer.code, "astro_status_message": message or answer.message,
            "returnData": None}


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), default=str).encode("utf-8")
