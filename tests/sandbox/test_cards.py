"""Buy X Get Y cards: punches, completion, enrolment, transaction ids, returns, removal."""
KIBBLE, PUPPY_KIBBLE, WASH, BIRD_SEED = "012345678905", "072030001234", "WASH-SELF", \
    "850000000018"


def _cards(api, program_id, **extra):
    return [c for c in api.status(**extra)["astroCardData"]
            if c["astro_program_id"] == str(program_id)]   # ids are text on the wire


def test_a_line_of_quantity_q_punches_q_times(api):
    [line] = api.buy("SALLY-1", ("S1-1", KIBBLE, 3))
    assert line["transaction_status"] == 100
    assert line["transaction_status_message"] == "Transaction Added"
    assert (line["astro_program_id"], line["astro_program_title"]) == (
        "101", "Buy 12 Get 1 Dog Kibble")
    [card] = _cards(api, 101)
    assert card["astro_card_status"] == "active"
    assert [p["imported_transaction_id"] for p in card["cardPurchases"]] == ["S1-1"] * 3
    assert card["cardPurchases"][0]["purchase_date"] == "2026-01-15"
    assert card["cardFreeGoods"] == []


def test_twelve_punches_complete_the_card_and_earn_the_free_good(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 7), ("S1-2", PUPPY_KIBBLE, 5))
    [card] = _cards(api, 101)
    assert card["astro_card_status"] == "completed"
    assert len(card["cardPurchases"]) == 12 == card["card_purchase_required_count"]
    [good] = card["cardFreeGoods"]
    assert good["free_qty"] == 1 and good["redeemed_on"] is None
    assert good["astro_item_id"] == KIBBLE


def test_punches_past_the_twelfth_open_a_new_card(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 14))
    first, second = _cards(api, 101)
    assert len(first["cardPurchases"]) == 12 and len(first["cardFreeGoods"]) == 1
    assert len(second["cardPurchases"]) == 2 and second["cardFreeGoods"] == []
    assert second["astro_card_status"] == "active"


def test_custom_program_punches_the_store_item_number(api):
    [line] = api.buy("SALLY-1", ("W-1", WASH, 10))
    assert line["astro_program_title"] == "Buy 10 Get 1 Self-Wash"
    [card] = _cards(api, 102)
    assert card["cardFreeGoods"][0]["astro_item_id"] == "WASH-FREE"


def test_item_outside_enrolled_programs_is_no_item_found_per_line(api):
    lines = api.buy("SALLY-1", ("S1-1", BIRD_SEED, 1), ("S1-2", "0" + KIBBLE, 1),
                    ("S1-3", KIBBLE, 1))
    assert [ln["transaction_status_message"] for ln in lines] == [
        "No Item Found", "No Item Found", "Transaction Added"]  # EAN-13 is not UPC-A
    assert lines[0]["transaction_status"] != 100
    assert lines[0]["astro_transaction_id"] is None


def test_transaction_id_is_used_once_per_account(api):
    api.ok("addCustomer", {"customerID": "BOB-1", "first_name": "Bob", "last_name": "B"})
    api.buy("SALLY-1", ("S1-1", KIBBLE, 1))
    again = api.buy("SALLY-1", ("S1-1", KIBBLE, 1))
    elsewhere = api.buy("BOB-1", ("S1-1", WASH, 1))
    same_batch = api.buy("SALLY-1", ("S2-1", KIBBLE, 1), ("S2-1", KIBBLE, 1))
    for line in (again[0], elsewhere[0], same_batch[1]):
        assert line["transaction_status_message"] == "TransactionID Already Exists"
    assert len(_cards(api, 101)[0]["cardPurchases"]) == 2


def test_a_failed_line_does_not_use_up_its_transaction_id(api):
    api.buy("SALLY-1", ("S1-1", BIRD_SEED, 1))
    [line] = api.buy("SALLY-1", ("S1-1", KIBBLE, 1))
    assert line["transaction_status"] == 100


def test_batch_for_unknown_customer_is_no_customer_found(api):
    status, message, _ = api.call("addTransactionBatch", {
        "customerID": "NOBODY", "transactions": [
            {"transactionID": "X-1", "item_code": KIBBLE, "item_qty": 1}]})
    assert message == "No Customer Found" and status != 100


def test_zero_or_fractional_quantity_is_invalid_quantity(api):
    lines = api.buy("SALLY-1", ("S1-1", KIBBLE, 0), ("S1-2", KIBBLE, 1.5))
    assert [ln["transaction_status_message"] for ln in lines] == ["Invalid Quantity"] * 2


def test_negative_quantity_returns_take_the_newest_punches_off(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 5))
    [line] = api.buy("SALLY-1", ("R1-1", KIBBLE, -2))
    assert line["transaction_status_message"] == "Transaction Added"
    [card] = _cards(api, 101)
    assert len(card["cardPurchases"]) == 3


def test_return_below_twelve_takes_back_an_unredeemed_free_good(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 12))
    api.buy("SALLY-1", ("R1-1", KIBBLE, -1))
    [card] = _cards(api, 101)
    assert card["astro_card_status"] == "active" and card["cardFreeGoods"] == []


def test_single_add_transaction_answers_one_line(api):
    line = api.ok("addTransaction", {"customerID": "SALLY-1", "transactionID": "T-1",
                                     "saleID": "S", "item_code": WASH, "item_qty": 1,
                                     "item_transaction_date": "2026-01-15"})
    assert line["transaction_status"] == 100 and line["transactionID"] == "T-1"


def test_remove_transaction_takes_its_punches_off(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 3), ("S1-2", KIBBLE, 2))
    [removed] = api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1"})
    assert removed["transactionDeleted"] is True and removed["transactionID"] == "S1-1"
    [card] = _cards(api, 101)
    assert [p["imported_transaction_id"] for p in card["cardPurchases"]] == ["S1-2"] * 2


def test_remove_transaction_with_quantity_takes_only_that_many(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 3))
    api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1",
                                 "quantity": 1})
    assert len(_cards(api, 101)[0]["cardPurchases"]) == 2


def test_removed_transaction_id_stays_used_and_cannot_be_removed_twice(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 1))
    api.ok("removeTransaction", {"customerID": "SALLY-1", "transactionID": "S1-1"})
    _, message, _ = api.call("removeTransaction", {"customerID": "SALLY-1",
                                                   "transactionID": "S1-1"})
    assert message == "Transaction Not Found"
    assert api.buy("SALLY-1", ("S1-1", KIBBLE, 1))[0]["transaction_status_message"] == \
        "TransactionID Already Exists"


def test_completed_cards_flag_shows_fully_redeemed_cards(api):
    api.buy("SALLY-1", ("W-1", WASH, 10))
    reward = api.ok("checkRedemptionEligibility", {"customerID": "SALLY-1",
                                                   "item_code": "WASH-FREE"})
    api.ok("addRedemption", {"customerID": "SALLY-1",
                             "astro_reward_id": reward["astro_reward_id"],
                             "astro_item_id": "WASH-FREE"})
    assert _cards(api, 102) == []
    [card] = _cards(api, 102, completed_cards=1)
    assert card["astro_card_status"] == "redeemed"


def test_item_amount_is_kept_as_the_exact_decimal_sent(api, sandbox):
    api.post("addTransactionBatch", {"customerID": "SALLY-1", "saleID": 77, "transactions": [
        {"transactionID": "S1-1", "item_code": KIBBLE, "item_qty": 1, "item_amount": 0.1}]})
    tx = sandbox.state()["transactions"]["S1-1"]
    assert (tx["item_amount"], tx["saleID"]) == ("0.1", "77")


def test_concurrent_batches_lose_no_punch(api, sandbox):
    from concurrent.futures import ThreadPoolExecutor

    def buy(n):
        return api.buy("SALLY-1", *[(f"C{n}-{i}", WASH, 1) for i in range(5)])

    with ThreadPoolExecutor(8) as pool:
        results = [line for lines in pool.map(buy, range(16)) for line in lines]
    assert all(line["transaction_status"] == 100 for line in results)
    cards = sandbox.state()["cards"]
    assert sum(c["punches"] for c in cards) == 80 and len(cards) == 8
    assert len({t["astro_transaction_id"] for t in sandbox.state()[
        "transactions"].values()}) == 80
