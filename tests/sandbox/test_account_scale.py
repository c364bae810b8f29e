"""The sandbox account's lookups (customer, cards, points, search, link) stay right with
many customers, cards and points transactions, and after a restart from a state file.

The answers are checked against plain scans of the account's state (what the account
did before it kept indexes), so the order of cards and transactions is checked too."""
from decimal import Decimal

import pytest

from bridge.sandbox.account import Account
from bridge.sandbox.seed import load_seed
from bridge.sandbox.server import SandboxServer
from bridge.sandbox.state_store import SQLiteStore
from bridge.sandbox.wire import AstroFailure

CUSTOMERS = 300
ITEMS = ("WASH-SELF", "012345678905", "072030001234", "041000000010")


# ----- the scans the indexes replace ----------------------------------------------------
def scan_customer(acc, customer_id):
    return next((c for c in acc.state["customers"].values()
                 if c["customerID"] == customer_id), None)


def scan_search(acc, email=None, phone=None):
    email = (email or "").strip().lower()
    phone = "".join(ch for ch in (phone or "") if ch.isdigit())
    for c in acc.state["customers"].values():
        if email and c["email_address"].lower() == email:
            return c["astro_customer_id"]
        if phone and "".join(ch for ch in c["phone"] if ch.isdigit()) == phone:
            return c["astro_customer_id"]
    return None


def scan_status(acc, customer_id):
    """What customerStatus (completed cards included) answered by scanning."""
    c = scan_customer(acc, customer_id)
    astro_id = c["astro_customer_id"]
    points = [t for t in acc.state["points_transactions"] if t["astro_customer_id"] == astro_id]
    balance = sum(t["pointsQty"] for t in points)
    return {
        **{k: c[k] for k in ("astro_customer_id", "customerID", "first_name", "last_name",
                             "email_address", "phone")},
        "astroPointsBalance": balance,
        "astroCardData": [acc.card_view(card) for card in acc.state["cards"]
                          if card["astro_customer_id"] == astro_id],
        "astroOfferRewards": [
            {k: r[k] for k in ("offer_reward_id", "offer_title", "offer_type",
                               "rebate_amount", "offer_expires")}
            for r in acc.state["offer_rewards"]
            if r["astro_customer_id"] == astro_id and not r["redeemed_on"]],
        "astroPointsTransactions": [
            {k: t[k] for k in ("astro_points_transaction_id", "pointsDescription",
                               "pointsDate", "pointsQty", "totalPoints")} for t in points],
        "astroPointsEligibleRewards": [
            {"astro_points_reward_id": r.id, "pointsRewardTitle": r.title,
             "pointsRequired": r.points, "reward_type": r.reward_type,
             "reward_value": str(r.reward_value)}
            for r in acc.seed.points_rewards if r.points <= balance],
    }


def customer_ids(acc):
    return [c["customerID"] for c in acc.state["customers"].values() if c["customerID"]]


def assert_matches_scans(acc):
    for cid in customer_ids(acc):
        assert acc.customer_status(cid, completed_cards=1) == scan_status(acc, cid), cid
        short = acc.customer_status(cid)
        assert short["astroCardData"] == [cd for cd in scan_status(acc, cid)["astroCardData"]
                                          if cd["astro_card_status"] != "redeemed"]
    for c in list(acc.state["customers"].values()):
        for email, phone in ((c["email_address"], None), (c["email_address"].upper(), None),
                             (None, c["phone"]), ("nobody@example.com", c["phone"]),
                             (c["email_address"], "000")):
            expected = scan_search(acc, email, phone)
            if expected is None:
                with pytest.raises(AstroFailure):
                    acc.search_customer(email, phone)
            else:
                assert acc.search_customer(email, phone)["astro_customer_id"] == expected
    with pytest.raises(AstroFailure):
        acc.customer("NOBODY")


# ----- a busy account -------------------------------------------------------------------
def populate(acc):
    """300 customers (some sharing an email or a phone), a few sales each, returns,
    removed transactions, points, redemptions and offers."""
    for i in range(CUSTOMERS):
        acc.add_customer(f"C-{i}", {
            "first_name": f"F{i}", "last_name": f"L{i}",
            # every 10th shares an email, every 7th a phone, with an earlier customer
            "email_address": f"c{i - i % 10}@example.com" if i % 10 == 3 else f"c{i}@example.com",
            "phone": f"(555) 100-{(i - i % 7) if i % 7 == 5 else i:04d}"})
    for i in range(CUSTOMERS):
        cid = f"C-{i}"
        for sale in range(3):
            code = ITEMS[(i + sale) % len(ITEMS)]
            acc.add_transactions(cid, [
                {"transactionID": f"{cid}-{sale}-a", "item_code": code,
                 "item_qty": 1 + (i * 7 + sale) % 9, "item_transaction_date": "2026-01-15"},
                {"transactionID": f"{cid}-{sale}-b", "item_code": ITEMS[i % len(ITEMS)],
                 "item_qty": 1 + i % 4, "item_transaction_date": "2026-01-16"},
            ], f"SALE-{cid}-{sale}")
            acc.add_points_by_dollar(cid, Decimal(i * 3 + sale) + Decimal("0.99"))
        if i % 5 == 0:   # a return
            acc.add_transactions(cid, [{"transactionID": f"{cid}-ret", "item_code":
                                        ITEMS[i % len(ITEMS)], "item_qty": -2}], None)
        if i % 6 == 0:
            acc.remove_transaction(cid, f"{cid}-0-a", 1 if i % 12 else None)
        if i % 4 == 0:
            acc.add_offer_transaction(cid, f"{cid}-offer", "012345678912", 2)
        if i % 8 == 0:
            rewards = acc.offer_rewards(acc.customer(cid)["astro_customer_id"])
            acc.add_offer_redemption(cid, rewards[0]["offer_reward_id"])
        if i % 9 == 0 and acc.points_balance(acc.customer(cid)["astro_customer_id"]) >= 100:
            acc.redeem_points(cid, 501)
        goods = acc.reward_status(cid)
        if i % 3 == 0 and goods and not acc.seed.program(goods[0]["astro_program_id"]).requires:
            acc.add_redemption(cid, {"astro_reward_id": goods[0]["astro_reward_id"]})
            if i % 2:
                acc.remove_redemption(cid, goods[0]["astro_reward_id"])
    for i in range(0, CUSTOMERS, 11):   # changes of email and phone
        acc.update_customer(None, f"C-{i}", {"email_address": f"NEW{i}@Example.com",
                                             "phone": "555-999-0000" if i % 2 else None})
    # The unlinked seed customer, found by email, linked once.
    pat = acc.search_customer("pat@example.com", None)["astro_customer_id"]
    with pytest.raises(AstroFailure):
        acc.link_customer("C-1", pat)        # that POS id is taken
    acc.link_customer("POS-PAT", pat)
    with pytest.raises(AstroFailure):
        acc.link_customer("POS-PAT-2", pat)  # already linked
    with pytest.raises(AstroFailure):
        acc.add_customer("C-2", {"first_name": "X", "last_name": "Y"})


def test_lookups_match_scans_with_many_customers():
    acc = Account(load_seed())
    populate(acc)
    assert len(acc.state["cards"]) > 2 * CUSTOMERS
    assert_matches_scans(acc)
    # Search finds the first customer with the email, and the new email after a change.
    assert acc.search_customer("c0@example.com", None)["customerID"] == "C-3"
    assert acc.search_customer("new0@example.com", None)["customerID"] == "C-0"
    assert acc.search_customer(None, "5559990000")["customerID"] == "C-11"
    # A sale goes on the oldest open card of the program.
    before = {cd["astro_card_id"]: len(cd["cardPurchases"])
              for cd in acc.customer_status("C-7", completed_cards=1)["astroCardData"]}
    acc.add_transactions("C-7", [{"transactionID": "C-7-more", "item_code": "WASH-SELF",
                                  "item_qty": 1}], None)
    after = {cd["astro_card_id"]: len(cd["cardPurchases"])
             for cd in acc.customer_status("C-7", completed_cards=1)["astroCardData"]}
    assert sum(after.values()) == sum(before.values()) + 1
    assert_matches_scans(acc)
    acc.reset()
    assert customer_ids(acc) == ["SALLY-1"]
    with pytest.raises(AstroFailure):
        acc.customer("C-1")
    assert acc.search_customer("pat@example.com", None)["customerID"] is None
    assert_matches_scans(acc)


def test_state_file_restart_rebuilds_the_indexes(tmp_path):
    db = tmp_path / "sandbox.db"
    acc = Account(load_seed(), SQLiteStore(db))
    populate(acc)
    statuses = {cid: acc.customer_status(cid, completed_cards=1) for cid in customer_ids(acc)}
    acc.store.close()

    again = Account(load_seed(), SQLiteStore(db))
    try:
        assert {cid: again.customer_status(cid, completed_cards=1)
                for cid in customer_ids(again)} == statuses
        assert_matches_scans(again)
        with pytest.raises(AstroFailure):
            again.link_customer("POS-PAT", "1001")
        again.add_customer("LATE-1", {"first_name": "L", "last_name": "Ate",
                                      "email_address": "late@example.com"})
        again.add_transactions("C-1", [{"transactionID": "C-1-late", "item_code": "WASH-SELF",
                                        "item_qty": 3}], None)
        again.add_points_by_dollar("C-1", 10)
        assert again.search_customer("LATE@example.com", None)["customerID"] == "LATE-1"
        assert_matches_scans(again)
    finally:
        again.store.close()


def test_many_customers_over_http_with_a_state_file(tmp_path):
    """The real API: 300 customers x 2 sales and points, then lookups, then a restart."""
    import json

    import requests

    def call(sb, http, token, endpoint, payload):
        doc = http.post(f"{sb.api_url}/{endpoint}/", data={"jsonData": json.dumps(payload)},
                        headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        return doc["astro_status"], doc["returnData"]

    def login(sb, http):
        return http.post(sb.api_url + "/token/", data={
            "username": "demo", "password": "demo-password", "grant_type": "password",
            "client_id": "demo-client"}, timeout=5).json()["access_token"]

    def check(sb, http, token):
        for i in range(0, CUSTOMERS, 13):
            status, data = call(sb, http, token, "customerStatus",
                                {"customerID": f"H-{i}", "completed_cards": 1})
            assert status == 100
            punches = [len(cd["cardPurchases"]) for cd in data["astroCardData"]]
            total = 2 * (1 + i % 7)
            assert punches == [10] * (total // 10) + ([total % 10] if total % 10 else [])
            assert data["astroPointsBalance"] == 2 * i * sb_seed.points_per_dollar
            assert [t["pointsQty"] for t in data["astroPointsTransactions"]] == \
                [i * sb_seed.points_per_dollar] * 2
            for query in ({"email_address": f"H{i}@EXAMPLE.com"},
                          {"phone": f"555-200-{i:04d}"}):
                status, found = call(sb, http, token, "searchCustomer", query)
                assert (status, found["customerID"]) == (100, f"H-{i}")
        status, _ = call(sb, http, token, "linkCustomer",
                         {"customerID": "H-1", "astro_customer_id": "1002"})
        assert status != 100    # that POS id is taken

    sb_seed = load_seed()
    db = tmp_path / "sandbox.db"
    with SandboxServer(state_path=db) as sb, requests.Session() as http:
        token = login(sb, http)
        for i in range(CUSTOMERS):
            cid = f"H-{i}"
            assert call(sb, http, token, "addCustomer", {
                "customerID": cid, "first_name": "H", "last_name": str(i),
                "email_address": f"h{i}@example.com", "phone": f"555200{i:04d}"})[0] == 100
            for sale in range(2):
                call(sb, http, token, "addTransactionBatch", {
                    "customerID": cid, "saleID": f"{cid}-{sale}", "transactions": [
                        {"transactionID": f"{cid}-{sale}", "item_code": "WASH-SELF",
                         "item_qty": 1 + i % 7, "item_transaction_date": "2026-01-15"}]})
                call(sb, http, token, "addPointsByDollar",
                     {"customerID": cid, "dollarAmount": str(i)})
        check(sb, http, token)
    with SandboxServer(state_path=db) as sb, requests.Session() as http:
        check(sb, http, login(sb, http))
