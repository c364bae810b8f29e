"""Plain guidance for each failure reason (bridge.reasons), pure."""
from bridge.reasons import failure_reason, guidance_for, reason_of, upc_a_of


def text(reason, **kw):
    g = guidance_for(reason, **kw)
    return (g.title + " " + " ".join(g.steps)).lower()


def test_the_upc_a_of_an_ean_13_that_is_one():
    assert upc_a_of("0012345678905") == "012345678905"
    assert upc_a_of("0012345678904") is None          # wrong check digit
    assert upc_a_of("4006381333931") is None          # a real EAN-13, no UPC-A
    assert upc_a_of("012345678905") is None and upc_a_of("WASH-SELF") is None


def test_no_item_found_names_the_three_causes_and_the_upc_when_it_helps():
    t = text("No Item Found", item_code="0012345678905")
    assert "not enrolled" in t and "exception" in t and "its upc-a is 012345678905" in t
    assert "upc-a is" not in text("No Item Found", item_code="850000000018")
    assert "custom program" in text("No Item Found", item_code="WASH-SELF")


def test_reasons_from_astro_and_bridge_messages():
    assert reason_of("No Item Found") == "No Item Found"
    assert reason_of("transactionid already exists") == "TransactionID Already Exists"
    assert reason_of("Missing Required Customer Information: customer_email_address") \
        == "Missing email"
    assert reason_of("Missing Required Customer Information: customer_address, "
                     "customer_zip") == "Missing address"
    assert reason_of("Points uncertain: redeemPoints: no complete answer") == \
        "Points uncertain"
    assert reason_of("anything", uncertain=True) == "Points uncertain"
    assert reason_of("Some New Astro Message") == "Some New Astro Message"
    assert reason_of("SaleID 77 was already used for a different sale; this sale was NOT "
                     "sent") == "SaleID reused"


def test_each_reason_says_what_to_do():
    dup = text("TransactionID Already Exists")
    assert "duplicate" in dup and "to check" in dup
    assert "not redeemed" in text("Missing email") and "email address" in text("Missing email")
    assert "mailing address" in text("Missing address")
    assert "points were awarded" in text("Points uncertain") and "twice" in text("Points uncertain")
    assert "never sends them" in text("Points uncertain")
    assert "retry" in text("Some New Astro Message")
    reused = text("SaleID reused")
    assert "not sent" in reused and "new sale number" in reused


def test_a_points_failure_that_may_or_may_not_have_happened_is_points_uncertain():
    assert failure_reason("points", "Astro may or may not have recorded the points") == \
        "Points uncertain"
    assert failure_reason("transaction", "may or may not") == "may or may not"
    assert failure_reason("transaction", "No Item Found") == "No Item Found"
