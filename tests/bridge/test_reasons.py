"""Plain guidance for each failure reason (bridge.reasons), pure."""
from bridge.reasons import (Cause, ItemCause, ItemPrograms, Program, Reason, astro_reason,
                            guidance_for, other_gtin_form, reason_of_old_failure, upc_a_of)


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


SEED = Program("104", "Buy 6 Get 1 Bird Seed", "Songbird Feeds")
KIBBLE = Program("101", "Buy 12 Get 1 Dog Kibble", "Acme Pet Foods")
LISTED = ItemPrograms({"850000000018": (SEED,), "0850000000018": (),
                       "012345678905": (KIBBLE,), "0012345678905": (),
                       "400000000002": (), "0400000000002": (), "GROOM-BATH": ()},
                      enrolled=frozenset({"101"}))


def test_the_other_gtin_form_of_a_code():
    assert other_gtin_form("0012345678905") == "012345678905"
    assert other_gtin_form("012345678905") == "0012345678905"
    assert other_gtin_form("4006381333931") is None and other_gtin_form("WASH-SELF") is None


def test_the_cause_of_a_no_item_found_from_what_astro_lists():
    leash = LISTED.cause_of("400000000002")
    assert leash == ItemCause(Cause.IN_NO_PROGRAM) and leash.routine
    assert LISTED.cause_of("GROOM-BATH").routine                # no other form to ask
    seed = LISTED.cause_of("850000000018")
    assert (seed.cause, seed.programs, seed.routine) == (Cause.NOT_ENROLLED, (SEED,), False)
    ean = LISTED.cause_of("0012345678905")
    assert (ean.cause, ean.listed_code, ean.programs) == (Cause.OTHER_FORM, "012345678905",
                                                          (KIBBLE,))
    assert LISTED.cause_of("012345678905").cause == Cause.ENROLLED_NOW
    # Not asked yet, or only one of its two forms: nobody can say it is routine.
    assert LISTED.cause_of("400000000009").cause == Cause.NOT_LOOKED_UP
    half = ItemPrograms({"400000000002": ()})
    assert half.cause_of("400000000002").cause == Cause.NOT_LOOKED_UP
    # The store's programs unknown: a listed item is taken as not enrolled.
    assert ItemPrograms(LISTED.listed).cause_of("012345678905").cause == Cause.NOT_ENROLLED


def test_no_item_found_guidance_follows_its_cause():
    routine = text("No Item Found", cause=LISTED.cause_of("400000000002"))
    assert "nothing to do" in routine and "retry" not in routine
    seed = text("No Item Found", cause=LISTED.cause_of("850000000018"))
    assert "not enrolled" in seed and "buy 6 get 1 bird seed (songbird feeds)" in seed
    assert "enrol the store in the program in astro, then retry" in seed
    ean = text("No Item Found", item_code="0012345678905",
               cause=LISTED.cause_of("0012345678905"))
    assert "astro lists it as 012345678905" in ean and "convert_upc" in ean
    assert "retry sends the same code and fails again" in ean
    assert "retry" in text("No Item Found", cause=LISTED.cause_of("012345678905"))
    # Each step is a step of its own: no numbered list inside the bullets.
    for cause in Cause:
        steps = guidance_for("No Item Found", item_code="0012345678905",
                             cause=ItemCause(cause)).steps
        assert steps and not [s for s in steps if s[:1].isdigit()], cause


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
