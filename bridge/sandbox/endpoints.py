"""The REST endpoints of the sandbox: endpoint name -> handler(account, payload) ->
returnData. Handlers check the payload's required fields and call the Account."""
from __future__ import annotations

from typing import Any, Callable

from bridge.sandbox.account import CUSTOMER_FIELDS, Account
from bridge.sandbox.wire import AstroFailure

Handler = Callable[[Account, dict[str, Any]], Any]


def _require(payload: dict[str, Any], *names: str) -> None:
    if any(payload.get(n) in (None, "") for n in names):
        raise AstroFailure("incomplete_request")


def customer_status(acc: Account, p: dict[str, Any]) -> Any:
    return acc.customer_status(p.get("customerID"), p.get("completed_cards", 0))


def customer_reward_status(acc: Account, p: dict[str, Any]) -> Any:
    return acc.reward_status(p.get("customerID"))


def search_customer(acc: Account, p: dict[str, Any]) -> Any:
    return acc.search_customer(p.get("email_address"), p.get("phone"))


def link_customer(acc: Account, p: dict[str, Any]) -> Any:
    _require(p, "customerID", "astro_customer_id")
    return acc.link_customer(str(p["customerID"]), str(p["astro_customer_id"]))


def add_customer(acc: Account, p: dict[str, Any]) -> Any:
    _require(p, "customerID", "first_name", "last_name")
    return acc.add_customer(str(p["customerID"]), p)


def update_customer(acc: Account, p: dict[str, Any]) -> Any:
    if p.get("astro_customer_id") in (None, "") and p.get("customerID") in (None, ""):
        raise AstroFailure("incomplete_request")
    return acc.update_customer(p.get("astro_customer_id"), p.get("customerID"),
                               {k: p.get(k) for k in CUSTOMER_FIELDS})


def add_transaction(acc: Account, p: dict[str, Any]) -> Any:
    line = {k: p.get(k) for k in ("transactionID", "item_code", "item_qty", "item_amount",
                                  "item_transaction_date")}
    return acc.add_transactions(p.get("customerID"), [line], p.get("saleID"))[0]


def add_transaction_batch(acc: Account, p: dict[str, Any]) -> Any:
    return acc.add_transactions(p.get("customerID"), p.get("transactions"), p.get("saleID"))


def remove_transaction(acc: Account, p: dict[str, Any]) -> Any:
    return acc.remove_transaction(p.get("customerID"), p.get("transactionID"),
                                  p.get("quantity"))


def add_points_by_dollar(acc: Account, p: dict[str, Any]) -> Any:
    _require(p, "customerID")
    return acc.add_points_by_dollar(p.get("customerID"), p.get("dollarAmount"))


def customer_points_status(acc: Account, p: dict[str, Any]) -> Any:
    return acc.points_status(p.get("customerID"))


def redeem_points(acc: Account, p: dict[str, Any]) -> Any:
    return acc.redeem_points(p.get("customerID"), p.get("astro_points_reward_id"))


def check_redemption_eligibility(acc: Account, p: dict[str, Any]) -> Any:
    return acc.check_redemption(p.get("customerID"), p.get("item_code"))


def add_redemption(acc: Account, p: dict[str, Any]) -> Any:
    return acc.add_redemption(p.get("customerID"), p)


def remove_redemption(acc: Account, p: dict[str, Any]) -> Any:
    return acc.remove_redemption(p.get("customerID"), p.get("astro_reward_id"))


def list_offers(acc: Account, p: dict[str, Any]) -> Any:
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


def eligible_purchase_items(acc: Account, p: dict[str, Any]) -> Any:
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


def add_offer_transaction(acc: Account, p: dict[str, Any]) -> Any:
    return acc.add_offer_transaction(p.get("customerID"), p.get("transactionID"),
                                     p.get("item_code"), p.get("item_qty"))


def remove_offer_transaction(acc: Account, p: dict[str, Any]) -> Any:
    return acc.remove_transaction(p.get("customerID"), p.get("transactionID"),
                                  p.get("quantity"), kind="offer")


def add_offer_redemption(acc: Account, p: dict[str, Any]) -> Any:
    return acc.add_offer_redemption(p.get("customerID"), p.get("astro_reward_id"))


ENDPOINTS: dict[str, Handler] = {
    "customerStatus": customer_status,
    "customerRewardStatus": customer_reward_status,
    "searchCustomer": search_customer,
    "linkCustomer": link_customer,
    "addCustomer": add_customer,
    "updateCustomer": update_customer,
    "addTransaction": add_transaction,
    "addTransactionBatch": add_transaction_batch,
    "removeTransaction": remove_transaction,
    "addPointsByDollar": add_points_by_dollar,
    "customerPointsStatus": customer_points_status,
    "redeemPoints": redeem_points,
    "checkRedemptionEligibility": check_redemption_eligibility,
    "addRedemption": add_redemption,
    "removeRedemption": remove_redemption,
    "listOffers": list_offers,
    "eligiblePurchaseItems": eligible_purchase_items,
    "addOfferTransaction": add_offer_transaction,
    "removeOfferTransaction": remove_offer_transaction,
    "addOfferRedemption": add_offer_redemption,
}

# Endpoints that change the account (tests assert none of them was called).
WRITE_ENDPOINTS = frozenset({
    "linkCustomer", "addCustomer", "updateCustomer", "addTransaction",
    "addTransactionBatch", "removeTransaction", "addPointsByDollar", "redeemPoints",
    "addRedemption", "removeRedemption", "addOfferTransaction", "removeOfferTransaction",
    "addOfferRedemption",
})
