"""A sandbox with a state file keeps its account across restarts, even kill -9."""
import json
import signal
import sys
from pathlib import Path

import requests

from bridge.sandbox.server import SandboxServer

LOGIN = {"username": "demo", "password": "demo-password", "grant_type": "password",
         "client_id": "demo-client"}


def _call(api_url, endpoint, payload):
    token = requests.post(api_url + "/token/", data=LOGIN, timeout=5).json()["access_token"]
    return requests.post(f"{api_url}/{endpoint}/", data={"jsonData": json.dumps(payload)},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5).json()


def test_state_file_survives_a_restart(tmp_path):
    db = tmp_path / "sandbox.db"
    with SandboxServer(state_path=db) as sb:
        _call(sb.api_url, "addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
            {"transactionID": "S1-1", "item_code": "WASH-SELF", "item_qty": 4}]})
        _call(sb.api_url, "addCustomer", {"customerID": "NEW-1", "first_name": "Nia",
                                          "last_name": "New"})
    with SandboxServer(state_path=db) as sb:
        state = sb.state()
        assert [c["punches"] for c in state["cards"]] == [4]
        assert "S1-1" in state["transactions"]
        again = _call(sb.api_url, "addTransactionBatch", {"customerID": "SALLY-1",
                      "transactions": [{"transactionID": "S1-1", "item_code": "WASH-SELF",
                                        "item_qty": 1}]})
        assert again["returnData"][0]["transaction_status_message"] == \
            "TransactionID Already Exists"
        assert _call(sb.api_url, "customerStatus", {"customerID": "NEW-1"})[
            "astro_status"] == 100


def test_reset_also_resets_the_state_file(tmp_path):
    db = tmp_path / "sandbox.db"
    with SandboxServer(state_path=db) as sb:
        _call(sb.api_url, "addPointsByDollar", {"customerID": "SALLY-1", "dollarAmount": 5})
        sb.reset()
    with SandboxServer(state_path=db) as sb:
        assert sb.state()["points_transactions"] == []


def test_answered_write_survives_kill_9(tmp_path, processes):
    db = tmp_path / "sandbox.db"
    cli = Path(sys.executable).with_name("astro-bridge")
    proc = processes([cli, "sandbox", "--port", "0", "--state", db])
    api_url = proc.wait_line("Astro sandbox: ")
    answer = _call(api_url, "addPointsByDollar", {"customerID": "SALLY-1",
                                                  "dollarAmount": "42.00"})
    assert answer["returnData"]["total_points"] == 42
    proc.stop(signal.SIGKILL)   # no chance to flush anything
    with SandboxServer(state_path=db) as sb:
        assert [t["pointsQty"] for t in sb.state()["points_transactions"]] == [42]


def test_every_kind_of_change_is_in_the_state_file(tmp_path):
    db = tmp_path / "sandbox.db"
    steps = [
        ("addCustomer", {"customerID": "NEW-1", "first_name": "Nia", "last_name": "New"}),
        ("linkCustomer", {"customerID": "POS-PAT", "astro_customer_id": "1002"}),
        ("updateCustomer", {"customerID": "SALLY-1", "phone": "5550100999"}),
        ("addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
            {"transactionID": f"S-{n}", "item_code": code, "item_qty": qty}
            for n, (code, qty) in enumerate([("WASH-SELF", 11), ("041000000010", 8),
                                             ("012345678905", 3), ("012345678905", -1)])]}),
        ("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S-2"}),
        ("addRedemption", {"customerID": "SALLY-1", "astro_reward_id": 1}),
        ("addRedemption", {"customerID": "SALLY-1", "astro_reward_id": 2,
                           "customer_email_address": "s@example.com",
                           "customer_address": "1 Lane", "customer_city": "X",
                           "customer_state": "IL", "customer_zip": "62701"}),
        ("removeRedemption", {"customerID": "SALLY-1", "astro_reward_id": 2}),
        ("addPointsByDollar", {"customerID": "SALLY-1", "dollarAmount": "250.00"}),
        ("redeemPoints", {"customerID": "SALLY-1", "astro_points_reward_id": 501}),
        ("addOfferTransaction", {"customerID": "SALLY-1", "transactionID": "O-1",
                                 "item_code": "012345678912", "item_qty": 2}),
        ("removeOfferTransaction", {"customerID": "SALLY-1", "transactionID": "O-1",
                                    "quantity": 1}),
        ("addOfferRedemption", {"customerID": "SALLY-1", "astro_reward_id": 1}),
    ]
    with SandboxServer(state_path=db) as sb:
        for endpoint, payload in steps:
            assert _call(sb.api_url, endpoint, payload)["astro_status"] == 100, endpoint
        before = sb.state()
    with SandboxServer(state_path=db) as sb:
        after = sb.state()
    for section in ("customers", "cards", "transactions", "points_transactions",
                    "redemptions", "offer_rewards"):
        assert after[section] == before[section], section
    assert before["redemptions"] and before["offer_rewards"] and len(before["cards"]) == 3
