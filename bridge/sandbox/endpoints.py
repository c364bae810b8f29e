"""The REST endpoints of the sandbox: endpoint name -> handler(account, payload, wire)
-> returnData, with the payload fields each reads. Handlers check the payload's
required fields and call the Account."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bridge.sandbox.account import CUSTOMER_FIELDS, REQUIRED_FOR, Account
from bridge.sandbox.wire import REMOVE_COUNT_FIELDS, AstroFailure, Wire

Handler = Callable[[Account, dict[str, Any], Wire], Any]
REDEMPTION_FIELDS = ("astro_reward_id", "astro_item_id",
                     *(f for fields in REQUIRED_FOR.values() for f in fields))


def _require(payload: dict[str, Any], *names: str) -> None:
    if any(payload.get(n) in (None, "") for n in names):
        raise AstroFailure("incomplete_request")


def customer_status(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.customer_status(p.get("customerID"), p.get("completed_cards", 0))


def customer_reward_status(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.reward_status(p.get("customerID"))


def search_customer(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.search_customer(p.get("email_address"), p.get("phone"))


def link_customer(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    _require(p, "customerID", "astro_customer_id")
    return acc.link_customer(str(p["customerID"]), str(p["astro_customer_id"]))


def add_customer(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    _require(p, "customerID", "first_name", "last_name")
    return acc.add_customer(str(p["customerID"]), p)


def update_customer(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    if p.get("astro_customer_id") in (None, "") and p.get("customerID") in (None, ""):
        raise AstroFailure("incomplete_request")
    return acc.update_customer(p.get("astro_customer_id"), p.get("customerID"),
                               {k: p.get(k) for k in CUSTOMER_FIELDS})


def add_transaction(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    line = {k: p.get(k) for k in ("transactionID", "item_code", "item_qty", "item_amount",
                                  "item_transaction_date")}
    return acc.add_transactions(p.get("customerID"), [line], p.get("saleID"))[0]


def add_transaction_batch(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.add_transactions(p.get("customerID"), p.get("transactions"), p.get("saleID"))


def remove_transaction(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.remove_transaction(p.get("customerID"), p.get("transactionID"),
                                  p.get(wire.remove_count_field))


def add_points_by_dollar(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    _require(p, "customerID")
    return acc.add_points_by_dollar(p.get("customerID"), p.get("dollarAmount"))


def customer_points_status(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.points_status(p.get("customerID"))


def redeem_points(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.redeem_points(p.get("customerID"), p.get("astro_points_reward_id"))


def check_redemption_eligibility(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.check_redemption(p.get("customerID"), p.get("item_code"))


def add_redemption(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.add_redemption(p.get("customerID"), p)


def remove_redemption(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.remove_redemption(p.get("customerID"), p.get("astro_reward_id"))


def list_offers(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    """The programs and offers the store is enrolled in."""
    seed = acc.seed
    programs = [{
        "astro_mfg_id": pr.mfg_id, "astro_mfg_name": pr.mfg_name,
        "astro_program_id": pr.id, "astro_program_title": pr.title,
        "astro_program_long_description": pr.description, "astro_program_image": "",
        "astro_program_type": pr.type, "in_store_only": True,
        "astro_program_start_date": "2020-01-01", "astro_program_end_date": None,
    } for pr in acc.enrolled_programs()]
    offers = [{
        "astro_mfg_id": o.mfg_id, "astro_mfg_name": o.mfg_name, "astro_program_id": o.id,
        "astro_program_title": o.title, "astro_program_long_description": o.title,
        "astro_program_image": "", "astro_program_type": "offer",
        "in_store_only": o.in_store_only, "astro_program_start_date": "2020-01-01",
        "astro_program_end_date": o.expires,
    } for o in seed.offers]
    return {"program_list": programs + offers}


def eligible_purchase_items(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    """Codes in enrolled programs, with their programs; none at all is No Item Found."""
    codes = p.get("item_code_batch")
    if codes in (None, ""):
        codes = [p.get("item_code")] if p.get("item_code") not in (None, "") else []
    if not isinstance(codes, list) or not codes:
        raise AstroFailure("incomplete_request")
    found = []
    for code in (str(c) for c in codes):
        programs = [pr for pr in acc.enrolled_programs() if pr.item(code)]
        if programs:
            found.append({
                "item_code": code, "item_description": programs[0].item(code).description,
                "astro_mfg_name": programs[0].mfg_name,
                "available_programs": [{"astro_mfg_program_id": pr.id,
                                        "astro_mfg_program_title": pr.title,
                                        "astro_mfg_program_type": pr.type}
                                       for pr in programs]})
    if not found:
        raise AstroFailure("no_item_found")
    return found


def add_offer_transaction(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.add_offer_transaction(p.get("customerID"), p.get("transactionID"),
                                     p.get("item_code"), p.get("item_qty"))


def remove_offer_transaction(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.remove_transaction(p.get("customerID"), p.get("transactionID"),
                                  p.get(wire.remove_count_field), kind="offer")


def add_offer_redemption(acc: Account, p: dict[str, Any], wire: Wire) -> Any:
    return acc.add_offer_redemption(p.get("customerID"), p.get("astro_reward_id"))


@dataclass(frozen=True)
class Endpoint:
    """A handler, the payload fields it reads (`--strict` refuses any other), and
    whether it changes the account."""
    handler: Handler
    fields: frozenset[str]
    writes: bool = False


def _endpoint(handler: Handler, fields: str, writes: bool = False) -> Endpoint:
    return Endpoint(handler, frozenset(fields.split()), writes)


CUSTOMER = " ".join(CUSTOMER_FIELDS)
LINE_FIELDS = frozenset({"transactionID", "item_code", "item_qty", "item_amount",
                         "item_transaction_date"})
COUNT = " ".join(REMOVE_COUNT_FIELDS)   # a removal may carry either name (see wire.py)

ENDPOINTS: dict[str, Endpoint] = {
    "customerStatus": _endpoint(customer_status, "customerID completed_cards"),
    "customerRewardStatus": _endpoint(customer_reward_status, "customerID"),
    "searchCustomer": _endpoint(search_customer, "email_address phone"),
    "linkCustomer": _endpoint(link_customer, "customerID astro_customer_id", True),
    "addCustomer": _endpoint(add_customer, f"customerID {CUSTOMER}", True),
    "updateCustomer": _endpoint(update_customer, f"customerID astro_customer_id {CUSTOMER}",
                                True),
    "addTransaction": _endpoint(add_transaction,
                                "customerID saleID " + " ".join(LINE_FIELDS), True),
    "addTransactionBatch": _endpoint(add_transaction_batch,
                                     "customerID saleID transactions", True),
    "removeTransaction": _endpoint(remove_transaction,
                                   f"customerID transactionID {COUNT}", True),
    "addPointsByDollar": _endpoint(add_points_by_dollar, "customerID dollarAmount", True),
    "customerPointsStatus": _endpoint(customer_points_status, "customerID"),
    "redeemPoints": _endpoint(redeem_points, "customerID astro_points_reward_id", True),
    "checkRedemptionEligibility": _endpoint(check_redemption_eligibility,
                                            "customerID item_code"),
    "addRedemption": _endpoint(add_redemption, " ".join(("customerID", *REDEMPTION_FIELDS)),
                               True),
    "removeRedemption": _endpoint(remove_redemption, "customerID astro_reward_id", True),
    "listOffers": _endpoint(list_offers, ""),
    "eligiblePurchaseItems": _endpoint(eligible_purchase_items, "item_code item_code_batch"),
    "addOfferTransaction": _endpoint(add_offer_transaction,
                                     "customerID transactionID item_code item_qty", True),
    "removeOfferTransaction": _endpoint(remove_offer_transaction,
                                        f"customerID transactionID {COUNT}", True),
    "addOfferRedemption": _endpoint(add_offer_redemption,
                                    "customerID astro_reward_id astro_item_id", True),
}

# Endpoints that change the account (tests assert none of them was called).
WRITE_ENDPOINTS = frozenset(name for name, e in ENDPOINTS.items() if e.writes)


def unknown_field(endpoint: str, payload: dict[str, Any]) -> str | None:
    """The first field of `payload` (or of one of its transaction lines) that
    `endpoint` does not read, or None."""
    for name in payload:
        if name not in ENDPOINTS[endpoint].fields:
            return name
    for line in payload.get("transactions") or []:
        for name in line if isinstance(line, dict) else ():
            if name not in LINE_FIELDS:
                return f"transactions[].{name}"
    return None
