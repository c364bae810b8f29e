"""Offers and items: listOffers, eligiblePurchaseItems, offer transactions/redemptions."""
KIBBLE, CHEWS, BIRD_SEED = "012345678905", "012345678912", "850000000018"


def test_list_offers_shows_enrolled_programs_and_offers_only(api):
    programs = api.ok("listOffers", {})["program_list"]
    ids = {p["astro_program_id"] for p in programs}
    assert {"101", "102", "103", "301"} == ids   # 104 (bird seed) is not enrolled
    kibble = next(p for p in programs if p["astro_program_id"] == "101")
    assert kibble["astro_mfg_name"] == "Acme Pet Foods"


def test_eligible_purchase_items_single_and_batch(api):
    [item] = api.ok("eligiblePurchaseItems", {"item_code": KIBBLE})
    assert item["available_programs"][0]["astro_mfg_program_id"] == "101"
    found = api.ok("eligiblePurchaseItems", {"item_code_batch": [KIBBLE, BIRD_SEED,
                                                                   "WASH-SELF"]})
    assert [i["item_code"] for i in found] == [KIBBLE, "WASH-SELF"]
    _, message, _ = api.call("eligiblePurchaseItems", {"item_code": BIRD_SEED})
    assert message == "No Item Found"


def test_offer_transaction_earns_a_rebate_that_can_be_redeemed(api):
    api.ok("addOfferTransaction", {"customerID": "SALLY-1", "transactionID": "O-1",
                                   "item_code": CHEWS, "item_qty": 1})
    [reward] = api.status()["astroOfferRewards"]
    assert (reward["offer_title"], reward["rebate_amount"]) == ("$3 off Acme Dental Chews",
                                                                "3.00")
    api.ok("addOfferRedemption", {"customerID": "SALLY-1",
                                  "astro_reward_id": reward["offer_reward_id"],
                                  "astro_item_id": CHEWS})
    assert api.status()["astroOfferRewards"] == []


def test_removed_offer_transaction_takes_its_unredeemed_rebate_back(api):
    api.ok("addOfferTransaction", {"customerID": "SALLY-1", "transactionID": "O-1",
                                   "item_code": CHEWS, "item_qty": 1})
    [removed] = api.ok("removeOfferTransaction", {"customerID": "SALLY-1",
                                                  "transactionID": "O-1"})
    assert removed["transactionDeleted"] is True
    assert api.status()["astroOfferRewards"] == []


def test_offer_transaction_for_an_item_in_no_offer_is_no_item_found(api):
    _, message, _ = api.call("addOfferTransaction", {"customerID": "SALLY-1",
                                                     "transactionID": "O-1",
                                                     "item_code": KIBBLE, "item_qty": 1})
    assert message == "No Item Found"
