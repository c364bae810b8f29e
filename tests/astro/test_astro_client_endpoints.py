"""Every endpoint the client offers, against the sandbox Astro over real HTTP: the
contract tests, run against each wire the sandbox speaks (tests/astro/conftest.WIRES)."""
import datetime
from decimal import Decimal

import pytest

from bridge.astro import AstroClient, BusinessError, Purchase
from bridge.sandbox.server import SandboxServer
from bridge.sandbox.wire import REMOVE_COUNT_FIELDS, Wire
from tests.astro.conftest import LOGIN

KIBBLE = "012345678905"
NOT_ENROLLED = "850000000018"
TODAY = datetime.date(2024, 5, 17)


@pytest.fixture
def sandbox(wire_sandbox):
    """Every test here runs against each wire (the default shapes, the public variants,
    and a strict sandbox refusing unknown fields)."""
    return wire_sandbox


def test_customer_status_of_sally_shows_her_and_her_empty_account(client):
    status = client.customer_status("SALLY-1")
    assert (status.customer_id, status.first_name, status.last_name, status.email) == \
        ("SALLY-1", "Sally", "Pet Owner", "sally@example.com")
    assert status.astro_customer_id == "1001"
    assert status.points_balance == 0 and status.cards == ()
    assert status.raw["customerID"] == "SALLY-1"


def test_unknown_customer_is_a_business_error_carrying_astros_message(client):
    with pytest.raises(BusinessError) as info:
        client.customer_status("NOBODY")
    assert info.value.message == "No Customer Found"
    assert info.value.endpoint == "customerStatus"


def test_search_finds_by_email_or_phone_and_none_when_nobody_matches(client):
    assert client.search_customer(email="SALLY@example.com").customer_id == "SALLY-1"
    assert client.search_customer(phone="555-010-0200").astro_customer_id == "1002"
    assert client.search_customer(email="nobody@example.com") is None


def test_link_customer_links_once_then_answers_320(client):
    assert client.link_customer("POS-PAT", "1002") == "1002"
    assert client.customer_status("POS-PAT").first_name == "Pat"
    with pytest.raises(BusinessError) as info:
        client.link_customer("POS-PAT-2", "1002")
    assert (info.value.code, info.value.message) == (320, "Customer Already Linked")


def test_add_and_update_customer(client):
    astro_id = client.add_customer("POS-9", "Rex", "Owner", email="rex@example.com",
                                   phone="5550100999", city="Springfield")
    assert astro_id
    client.update_customer("POS-9", last_name="Barker")
    status = client.customer_status("POS-9")
    assert (status.astro_customer_id, status.last_name, status.email) == \
        (astro_id, "Barker", "rex@example.com")
    client.update_customer(astro_customer_id=astro_id, phone="5550100998")
    assert client.search_customer(phone="5550100998").customer_id == "POS-9"


def test_update_customer_passes_the_mailing_address_through(sandbox, client):
    client.update_customer("SALLY-1", address="2 Litter Road", city="Springfield",
                           state="IL", zip="62701")
    sally = next(c for c in sandbox.state()["customers"] if c["customerID"] == "SALLY-1")
    assert (sally["address"], sally["city"], sally["state"], sally["zip"]) == \
        ("2 Litter Road", "Springfield", "IL", "62701")
    assert (sally["first_name"], sally["email_address"]) == ("Sally", "sally@example.com")


def test_transaction_batch_gives_one_result_per_line_and_completes_a_card(client):
    results = client.add_transaction_batch("SALLY-1", [
        Purchase("S-1-1", KIBBLE, 12, TODAY, Decimal("39.99")),
        {"transactionID": "S-1-2", "item_code": NOT_ENROLLED, "item_qty": 1,
         "item_transaction_date": TODAY},
    ], sale_id="S-1")
    assert [(r.transaction_id, r.added, r.message) for r in results] == [
        ("S-1-1", True, "Transaction Added"), ("S-1-2", False, "No Item Found")]
    assert results[0].program_title == "Buy 12 Get 1 Dog Kibble"
    again = client.add_transaction_batch("SALLY-1", [Purchase("S-1-1", KIBBLE, 1, TODAY)])
    assert again[0].already_exists and not again[0].added
    card, = client.customer_status("SALLY-1").cards
    assert (card.program_id, card.status, len(card.purchases)) == ("101", "completed", 12)
    assert card.purchases[0].transaction_id == "S-1-1"
    good, = card.free_goods
    assert good.item_id == KIBBLE and good.redeemed_on is None


def test_remove_transaction_takes_the_punches_back(client):
    client.add_transaction_batch("SALLY-1", [Purchase("S-2-1", KIBBLE, 3, TODAY)])
    removed, = client.remove_transaction("SALLY-1", "S-2-1", quantity=1)
    assert removed.transaction_id == "S-2-1" and removed.deleted
    assert len(client.customer_status("SALLY-1").cards[0].purchases) == 2


@pytest.mark.parametrize("count_field", REMOVE_COUNT_FIELDS)
def test_partial_removal_takes_off_only_its_count_whichever_name_astro_reads(count_field):
    with SandboxServer(control=False, wire=Wire(remove_count_field=count_field)) as sb, \
            AstroClient(sb.api_url, LOGIN["username"], LOGIN["password"],
                        LOGIN["client_id"]) as client:
        client.add_transaction_batch("SALLY-1", [Purchase("S-5-1", KIBBLE, 3, TODAY)])
        client.remove_transaction("SALLY-1", "S-5-1", quantity=1)
        cards = client.customer_status("SALLY-1").cards
        assert sum(len(card.purchases) for card in cards) == 2


def test_points_by_dollar_and_points_status(client):
    award = client.add_points_by_dollar("SALLY-1", Decimal("150.75"))
    assert award.total_points == 150 and award.points_transaction_id
    deduction = client.add_points_by_dollar("SALLY-1", Decimal("-20.00"))
    assert deduction.total_points == -20
    points = client.customer_points_status("SALLY-1")
    assert points.balance == 130
    assert [t.points for t in points.transactions] == [150, -20]
    assert [(r.reward_id, r.points_required, r.reward_value) for r in points.eligible_rewards] \
        == [("501", 100, Decimal("5.00"))]


def test_redeem_points_deducts_the_price_or_refuses_when_too_few(client):
    with pytest.raises(BusinessError) as info:
        client.redeem_points("SALLY-1", "501")
    assert info.value.message == "No Astro point rewards are available"
    client.add_points_by_dollar("SALLY-1", Decimal("100"))
    assert client.redeem_points("SALLY-1", "501") == 100
    assert client.customer_points_status("SALLY-1").balance == 0


def test_redemption_eligibility_redeem_and_undo(client):
    assert client.check_redemption_eligibility("SALLY-1", KIBBLE).eligible is False
    client.add_transaction_batch("SALLY-1", [Purchase("S-3-1", KIBBLE, 12, TODAY)])
    eligibility = client.check_redemption_eligibility("SALLY-1", KIBBLE)
    assert eligibility.eligible and eligibility.reward_id
    client.add_redemption("SALLY-1", eligibility.reward_id, KIBBLE)
    status = client.customer_status("SALLY-1", completed_cards=True)
    assert status.cards[0].free_goods[0].redeemed_on
    assert client.customer_status("SALLY-1").cards == ()  # redeemed cards are hidden
    client.remove_redemption("SALLY-1", eligibility.reward_id)
    assert client.check_redemption_eligibility("SALLY-1", KIBBLE).eligible


def test_eligible_purchase_items_for_one_code_or_a_batch(client):
    item, = client.eligible_purchase_items(KIBBLE)
    assert item.item_code == KIBBLE and [p.program_id for p in item.programs] == ["101"]
    items = client.eligible_purchase_items(["WASH-SELF", KIBBLE])
    assert {i.item_code for i in items} == {"WASH-SELF", KIBBLE}


def test_list_offers(client):
    offers = client.list_offers()
    assert offers and all(o.program_id and o.title for o in offers)
    kibble = next(o for o in offers if o.program_id == "101")
    assert (kibble.title, kibble.mfg_id, kibble.in_store_only) == \
        ("Buy 12 Get 1 Dog Kibble", "11", True)


def test_raw_call_returns_return_data(client):
    data = client.call("customerRewardStatus", {"customerID": "SALLY-1"})
    assert data == [] or isinstance(data, (list, dict))
