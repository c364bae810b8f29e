"""Points: per dollar rounded down, negative amounts deduct, rewards the balance covers."""


def _add(api, amount):
    return api.ok("addPointsByDollar", {"customerID": "SALLY-1", "dollarAmount": amount})


def test_points_per_dollar_are_rounded_down(api):
    award = _add(api, "123.99")
    assert award["total_points"] == 123 and award["astro_points_transaction_id"]
    assert _add(api, 0.99)["total_points"] == 0
    assert api.ok("customerPointsStatus", {"customerID": "SALLY-1"})[
        "astroPointsBalance"] == 123


def test_negative_amount_deducts_points(api):
    _add(api, "150.00")
    assert _add(api, "-40.50")["total_points"] == -40
    status = api.ok("customerPointsStatus", {"customerID": "SALLY-1"})
    assert status["astroPointsBalance"] == 110
    assert [t["pointsQty"] for t in status["astroPointsTransactions"]] == [150, -40]
    assert [t["totalPoints"] for t in status["astroPointsTransactions"]] == [150, 110]


def test_eligible_rewards_are_those_the_balance_covers(api):
    assert api.status()["astroPointsEligibleRewards"] == []
    _add(api, "100")
    assert [r["astro_points_reward_id"] for r in api.status()[
        "astroPointsEligibleRewards"]] == ["501"]
    _add(api, "100")
    rewards = api.status()["astroPointsEligibleRewards"]
    assert [(r["pointsRewardTitle"], r["pointsRequired"]) for r in rewards] == [
        ("$5 off", 100), ("$10 off", 200)]


def test_redeem_points_deducts_the_price(api):
    _add(api, "250")
    assert api.ok("redeemPoints", {"customerID": "SALLY-1",
                                   "astro_points_reward_id": 502})["total_points"] == 200
    assert api.status()["astroPointsBalance"] == 50


def test_redeem_with_too_few_points_is_refused(api):
    _add(api, "99.99")
    status, message, _ = api.call("redeemPoints", {"customerID": "SALLY-1",
                                                   "astro_points_reward_id": 501})
    assert message == "No Astro point rewards are available" and status != 100
    assert api.status()["astroPointsBalance"] == 99


def test_bad_dollar_amount_is_refused_without_points(api):
    _, message, _ = api.call("addPointsByDollar", {"customerID": "SALLY-1",
                                                    "dollarAmount": "ten"})
    assert message == "Invalid Dollar Amount"
    _, message, _ = api.call("addPointsByDollar", {"customerID": "SALLY-1"})
    assert message == "Incomplete Request"
    assert api.status()["astroPointsTransactions"] == []
