"""Card rewards: eligibility (700), redemption, programs requiring email and address."""
KIBBLE, LITTER = "012345678905", "041000000010"
SHIPPING = {"customer_email_address": "sally@example.com", "customer_address": "1 Kibble Lane",
            "customer_city": "Springfield", "customer_state": "IL", "customer_zip": "62701"}


def _eligible(api, item_code):
    return api.call("checkRedemptionEligibility", {"customerID": "SALLY-1",
                                                   "item_code": item_code})


def test_not_eligible_without_a_completed_card_is_700(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 11))
    status, message, _ = _eligible(api, KIBBLE)
    assert status == 700 and message


def test_completed_card_is_eligible_and_redemption_marks_it(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 12))
    status, _, reward = _eligible(api, KIBBLE)
    assert status == 100 and reward["isEligible"] is True
    assert reward["program_type"] == "frequent_buyer"
    api.ok("addRedemption", {"customerID": "SALLY-1", "astro_reward_id":
                             reward["astro_reward_id"], "astro_item_id": KIBBLE})
    [card] = api.status(completed_cards=1)["astroCardData"]
    assert card["cardFreeGoods"][0]["redeemed_on"]
    assert _eligible(api, KIBBLE)[0] == 700
    _, message, _ = api.call("addRedemption", {"customerID": "SALLY-1", "astro_reward_id":
                                               reward["astro_reward_id"]})
    assert message == "Reward Already Redeemed"


def test_remove_redemption_makes_the_reward_available_again(api):
    api.buy("SALLY-1", ("S1-1", KIBBLE, 12))
    reward_id = _eligible(api, KIBBLE)[2]["astro_reward_id"]
    api.ok("addRedemption", {"customerID": "SALLY-1", "astro_reward_id": reward_id,
                             "astro_item_id": KIBBLE})
    api.ok("removeRedemption", {"customerID": "SALLY-1", "astro_reward_id": reward_id})
    assert _eligible(api, KIBBLE)[0] == 100
    assert [r["astro_reward_id"] for r in api.ok("customerRewardStatus",
                                                 {"customerID": "SALLY-1"})] == [reward_id]


def test_redemption_requiring_email_and_address_names_what_is_missing(api):
    api.buy("SALLY-1", ("L-1", LITTER, 8))
    reward_id = _eligible(api, LITTER)[2]["astro_reward_id"]
    status, message, _ = api.call("addRedemption", {
        "customerID": "SALLY-1", "astro_reward_id": reward_id, "astro_item_id": LITTER,
        "customer_email_address": "sally@example.com"})
    assert status != 100
    assert "customer_address" in message and "customer_zip" in message
    assert "customer_email_address" not in message
    _, message, _ = api.call("addRedemption", {"customerID": "SALLY-1",
                                               "astro_reward_id": reward_id})
    assert "customer_email_address" in message
    api.ok("addRedemption", {"customerID": "SALLY-1", "astro_reward_id": reward_id,
                             "astro_item_id": LITTER, **SHIPPING})


def test_unknown_reward_is_reward_not_found(api):
    _, message, _ = api.call("addRedemption", {"customerID": "SALLY-1",
                                               "astro_reward_id": 999})
    assert message == "Reward Not Found"


def test_reward_status_lists_unredeemed_free_goods_with_their_program(api):
    assert api.ok("customerRewardStatus", {"customerID": "SALLY-1"}) == []
    api.buy("SALLY-1", ("W-1", "WASH-SELF", 10))
    [reward] = api.ok("customerRewardStatus", {"customerID": "SALLY-1"})
    assert (reward["astro_program_id"], reward["astro_item_id"]) == ("102", "WASH-FREE")
