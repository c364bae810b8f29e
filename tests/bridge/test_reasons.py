"""Plain guidance for each failure reason (bridge.reasons), pure."""
from bridge.reasons import (Reason, astro_reason, guidance_for, reason_of_old_failure,
                            upc_a_of)


def text(reason, **kw):
    g = guidance_for(reason, **kw)
    return (g.title + " " + " ".join(g.steps)).lower()


def test_the_upc_a_of_an_ean_13_that_is_one():
    assert upc_a_of("0012345678905") == "012345678905"
    assert upc_a_of("0012345678904") is None          # wrong check digit
    assert upc_a_of("4006381333931") is None          # a real EAN-13, no UPC-A
    assert upc_a_of("012345678905") is None and upc_a_of("WASH-SELF") is None


def test_an_item_code_of_digits_beyond_ascii_is_a_store_item_number_not_a_gtin():
    code = "0" + "\u00b2" * 12           # "²" is a digit to str.isdigit(), not to int()
    assert upc_a_of(code) is None
    assert "custom program" in text("No Item Found", item_code=code)


def test_no_item_found_names_the_three_causes_and_the_upc_when_it_helps():
    t = text("No Item Found", item_code="0012345678905")
    assert "not enrolled" in t and "exception" in t and "its upc-a is 012345678905" in t
    assert "upc-a is" not in text("No Item Found", item_code="850000000018")
    assert "custom program" in text("No Item Found", item_code="WASH-SELF")


def test_reason_of_a_refusal_from_astros_message():
    assert astro_reason("No Item Found") is Reason.NO_ITEM_FOUND
    assert astro_reason("transactionid already exists") is Reason.ALREADY_EXISTS
    assert astro_reason("Missing Required Customer Information: customer_email_address") \
        is Reason.MISSING_EMAIL
    assert astro_reason("Missing Required Customer Information: customer_address, "
                        "customer_zip") is Reason.MISSING_ADDRESS
    assert astro_reason("No Astro point rewards are available") is Reason.NO_POINT_REWARDS
    assert astro_reason("Some New Astro Message") is Reason.REFUSED
    assert astro_reason(None, otherwise=Reason.CUSTOMER_REFUSED) is Reason.CUSTOMER_REFUSED


def test_each_reason_says_what_to_do():
    dup = text(Reason.ALREADY_EXISTS)
    assert "duplicate" in dup and "to check" in dup
    assert "not redeemed" in text("Missing email") and "email address" in text("Missing email")
    assert "mailing address" in text(Reason.MISSING_ADDRESS)
    assert "points were awarded" in text(Reason.POINTS_UNCERTAIN)
    assert "twice" in text(Reason.POINTS_UNCERTAIN)
    assert "never sends them" in text(Reason.POINTS_UNCERTAIN)
    assert "retry" in text(Reason.REFUSED)
    reused = text(Reason.SALE_ID_REUSED)
    assert "not sent" in reused and "new sale number" in reused
    assert "not delivered" in text(Reason.GIVEN_UP) and "retry" in text(Reason.GIVEN_UP)
    assert "customer" in text(Reason.CUSTOMER_REFUSED)
    assert {guidance_for(r).reason for r in Reason} == set(Reason)


def test_failures_of_older_journals_get_the_reason_their_message_gave():
    old = reason_of_old_failure
    assert old("points", "Astro may or may not have recorded the points") \
        is Reason.POINTS_UNCERTAIN
    assert old("redemption", "Points uncertain: redeemPoints: no complete answer") \
        is Reason.POINTS_UNCERTAIN
    assert old("redemption", "Redemption uncertain: addRedemption: HTTP 500") \
        is Reason.REDEMPTION_UNCERTAIN
    assert old("transaction", "SaleID 77 was already used for a different sale; this "
                              "sale was NOT sent") is Reason.SALE_ID_REUSED
    assert old("transaction", "gave up after 72 hours: addTransactionBatch: HTTP 503") \
        is Reason.GIVEN_UP
    assert old("customer", "Astro refused to add POS customer C1: Duplicate") \
        is Reason.CUSTOMER_REFUSED
    assert old("transaction", "may or may not") is Reason.REFUSED
    assert old("transaction", "No Item Found") is Reason.NO_ITEM_FOUND
