"""Redemptions (bridge.redeem) against the sandbox with a real journal: rewards ready,
exactly once, asking for missing customer details, failures kept and retried."""
import threading

from bridge import redeem
from bridge.admin import actions
from bridge.reasons import Reason
from tests.admin.conftest import now, send_sale

KIBBLE = "012345678905"
LITTER = "041000000010"


def _buy(journal, config, client, sale_id, upc, qty, subtotal=None, customer="SALLY-1"):
    q = (f"CustomerID={customer}&FirstName=Sally&LastName=Pet%20Owner&Email=sally@example.com"
         f"&SaleID={sale_id}&UPC1={upc}&Qty1={qty}")
    if subtotal:
        q += f"&SubTotal={subtotal}"
    out = send_sale(journal, config, client, q)
    assert out.status == "delivered"
    return out


def _ready(client, kind=None):
    rewards = redeem.rewards_ready(client.customer_status("SALLY-1"))
    return [r for r in rewards if kind is None or r.kind == kind]


def _card_redemptions(sandbox):
    return [r for r in sandbox.state()["redemptions"] if not r.get("removed")]


def test_a_complete_card_and_covered_points_are_ready(journal, config, client):
    _buy(journal, config, client, 1, KIBBLE, 12, subtotal="150.00")
    ready = _ready(client)
    assert [(r.kind, r.item_id) for r in ready if r.kind == redeem.FREE_GOOD] == [
        (redeem.FREE_GOOD, KIBBLE)]
    assert [r.title for r in ready if r.kind == redeem.POINTS] == ["$5 off"]   # 150 < 200


def test_redeeming_twice_redeems_once(journal, config, client, sandbox):
    _buy(journal, config, client, 1, KIBBLE, 12)
    [reward] = _ready(client)
    first = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1",
                          reward=reward, sale_key="demo-1")
    assert first.status == redeem.REDEEMED and first.redeemed
    second = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1",
                           reward=reward, sale_key="demo-1")
    assert second.status == redeem.ALREADY and "not redeemed a second time" in second.message
    assert len(_card_redemptions(sandbox)) == 1
    assert _ready(client) == []


def test_simultaneous_submits_redeem_once(journal, config, client, sandbox):
    _buy(journal, config, client, 1, KIBBLE, 12, subtotal="100")
    [reward] = _ready(client, redeem.POINTS)
    # Slow redeemPoints down so the submits overlap.
    sandbox.set_faults({"endpoints": {"redeemPoints": {"latency": 0.3}}})
    outcomes = []

    def submit():
        outcomes.append(redeem.redeem(client, journal, store="demo", customer_id="SALLY-1",
                                      reward=reward, sale_key="demo-1"))
    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == [redeem.IN_PROGRESS, redeem.IN_PROGRESS,
                                                  redeem.REDEEMED]
    assert [r["kind"] for r in _card_redemptions(sandbox)] == ["points"]
    assert client.customer_points_status("SALLY-1").balance == 0


def test_a_program_that_mails_the_reward_asks_for_the_address_then_redeems(
        journal, config, client, sandbox):
    _buy(journal, config, client, 1, LITTER, 8)
    [reward] = _ready(client)
    asked = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1",
                          reward=reward, sale_key="demo-1", known_email="sally@example.com")
    assert asked.status == redeem.NEEDS_INFO and asked.needs == ("address",)
    assert "NOT redeemed" in asked.message and _card_redemptions(sandbox) == []
    info = redeem.CustomerInfo(address="2 Litter Road", city="Springfield", state="IL",
                               zip="62702")
    done = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1", reward=reward,
                         sale_key="demo-1", info=info, known_email="sally@example.com")
    assert done.status == redeem.REDEEMED
    [r] = _card_redemptions(sandbox)
    assert r["shipping"]["customer_address"] == "2 Litter Road"
    assert r["shipping"]["customer_email_address"] == "sally@example.com"
    sally = [c for c in sandbox.state()["customers"] if c["customerID"] == "SALLY-1"][0]
    assert sally["address"] == "2 Litter Road"            # updateCustomer came first


def test_a_failed_redemption_is_a_redemption_failure_and_can_be_retried(
        journal, config, client, sandbox):
    _buy(journal, config, client, 1, KIBBLE, 12)
    [reward] = _ready(client)
    sandbox.set_faults({"next": [{"endpoint": "addRedemption", "count": 1,
                                         "fault": "status", "status": 503}]})
    out = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1", reward=reward,
                        sale_key="demo-1")
    assert out.status == redeem.FAILED and not out.redeemed
    assert out.message.startswith("NOT redeemed")
    [failure] = journal.failures(kind="redemption")
    assert (failure.customer_id, failure.item_code, failure.transaction_id,
            failure.endpoint) == ("SALLY-1", KIBBLE, reward.reward_id, "addRedemption")
    assert failure.reason is out.reason
    [result] = actions.retry(journal, config, lambda store: client, [failure.id], now=now())
    assert result.ok, result.message
    assert len(_card_redemptions(sandbox)) == 1
    assert failure.id in journal.retried_failure_ids()


def test_a_lost_answer_is_checked_in_astro_before_saying_anything(
        journal, config, client, sandbox):
    _buy(journal, config, client, 1, KIBBLE, 12)
    [reward] = _ready(client)
    sandbox.set_faults({"next": [{"endpoint": "addRedemption", "count": 1,
                                         "fault": "drop"}]})        # done, answer lost
    out = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1", reward=reward,
                        sale_key="demo-1")
    assert out.status == redeem.REDEEMED
    assert len(_card_redemptions(sandbox)) == 1 and journal.failures() == []


def test_lost_points_redemption_is_uncertain_and_never_resent_by_a_submit(
        journal, config, client, sandbox):
    _buy(journal, config, client, 1, KIBBLE, 1, subtotal="100")
    [reward] = _ready(client, redeem.POINTS)
    sandbox.set_faults({"next": [{"endpoint": "redeemPoints", "count": 1,
                                         "fault": "drop"}]})
    out = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1", reward=reward,
                        sale_key="demo-1")
    assert out.status == redeem.UNCERTAIN and "Do not hand it over" in out.message
    again = redeem.redeem(client, journal, store="demo", customer_id="SALLY-1",
                          reward=reward, sale_key="demo-1")
    assert again.status == redeem.UNCERTAIN and "NOT redeemed again" in again.message
    assert len(_card_redemptions(sandbox)) == 1
    [f] = journal.failures(kind="redemption")
    from bridge.admin.report import failure_row
    assert f.reason is Reason.POINTS_UNCERTAIN
    assert failure_row(f).reason == "Points uncertain"
