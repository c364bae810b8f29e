"""Routine `No Item Found` lines (items in no program at all) told from the ones a person
must act on, with what the sandbox Astro lists (eligiblePurchaseItems, listOffers): asked
off the cashier's path, kept in the journal, and the sales settled once it is known."""
import dataclasses
import datetime as dt

from bridge.delivery import learn_refused_items
from bridge.delivery.programs import known_programs
from bridge.journal import utcnow
from bridge.reasons import Cause
from tests.delivery.conftest import BIRD_SEED, KIBBLE, deliver, record

LEASH, TOY = "400000000002", "400000000001"        # in no program of the sandbox's seed
SALE = ("CustomerID=SALLY-1&FirstName=Sally&LastName=Pet%20Owner&SaleID={id}"
        "&UPC1=012345678905&Description1=Kibble&UPC2={code}&Description2=Other")
LOOKUPS = ("eligiblePurchaseItems", "listOffers")


def _lookups(sandbox) -> dict:
    calls = sandbox.state()["calls"]
    return {e: calls.get(e, 0) for e in LOOKUPS}


def _learn(journal, client, now=None, **kw):
    return learn_refused_items(journal, lambda _store: client, now or utcnow(),
                               holder="test", **kw)


def _line(sale, code):
    return next(ln for ln in sale.receipt["lines"] if ln["item_code"] == code)


def test_a_sale_whose_only_refused_line_is_in_no_program_ends_delivered(
        journal, store, client, sandbox):
    key = record(journal, store, SALE.format(id=1, code=LEASH))
    first = deliver(journal, client, key)
    # Never asked about the leash yet: nothing was called to find out on the way, and
    # the line counts as a problem until Astro has been asked.
    assert first.status == "partial" and _lookups(sandbox) == dict.fromkeys(LOOKUPS, 0)
    assert _line(journal.get_sale(key), LEASH)["routine"] is False

    outcome = _learn(journal, client)
    assert (outcome.asked, outcome.settled, outcome.error) == (2, 1, None)  # leash + EAN
    sale = journal.get_sale(key)
    assert sale.status == "delivered"
    assert sale.receipt["status"] == "delivered" and _line(sale, LEASH)["routine"] is True
    assert _line(sale, KIBBLE)["routine"] is False
    # Astro's answer is kept: the line was refused and is in the failure report.
    assert _line(sale, LEASH)["result"] == "failed"
    [failure] = journal.failures()
    assert (failure.item_code, failure.reason) == (LEASH, "No Item Found")
    transactions = sandbox.state()["transactions"]
    assert set(transactions) == {f"{key}-1"}              # only the kibble reached Astro


def test_settling_many_sales_is_one_commit_and_leaves_them_free(
        journal, store, client, sandbox):
    keys = [record(journal, store, SALE.format(id=n, code=LEASH)) for n in range(1, 6)]
    for key in keys:
        assert deliver(journal, client, key).status == "partial"
    before = journal.commits
    assert _learn(journal, client).settled == 5
    # The answers kept (two commits), then the five sales settled in one: a replay of a
    # year settles thousands, and each commit waits for the disk.
    assert journal.commits - before == 3
    assert {journal.get_sale(k).status for k in keys} == {"delivered"}
    assert all(journal.claim_sale(k, "someone-else") for k in keys)   # no lease left


def test_a_known_answer_classifies_the_next_sale_without_asking_astro(
        journal, store, client, sandbox):
    deliver(journal, client, record(journal, store, SALE.format(id=1, code=LEASH)))
    _learn(journal, client)
    asked = _lookups(sandbox)
    key = record(journal, store, SALE.format(id=2, code=LEASH))
    assert deliver(journal, client, key).status == "delivered"
    assert _line(journal.get_sale(key), LEASH)["routine"] is True
    assert _lookups(sandbox) == asked                      # no call on the cashier's path
    assert _learn(journal, client).asked == 0              # nothing left to ask


def test_items_a_person_must_act_on_keep_the_sale_partial(journal, store, client, sandbox):
    # The bird seed's program is one the store is not enrolled in; 0012345678905 is the
    # EAN-13 of the kibble's UPC-A, sent as it is by a store that does not convert.
    raw = dataclasses.replace(store, convert_upc=False)
    seed = record(journal, store, SALE.format(id=1, code=BIRD_SEED))
    ean = record(journal, raw, SALE.format(id=2, code="0012345678905"))
    for key in (seed, ean):
        assert deliver(journal, client, key).status == "partial"
    _learn(journal, client)
    assert journal.get_sale(seed).status == journal.get_sale(ean).status == "partial"
    programs = known_programs(journal, "demo", [BIRD_SEED, "0012345678905"])
    assert programs.cause_of(BIRD_SEED).cause == Cause.NOT_ENROLLED
    assert [str(p) for p in programs.cause_of(BIRD_SEED).programs] == [
        "Buy 6 Get 1 Bird Seed (Songbird Feeds)"]
    other = programs.cause_of("0012345678905")
    assert (other.cause, other.listed_code) == (Cause.OTHER_FORM, KIBBLE)


def test_answers_older_than_the_age_limit_are_asked_again(journal, store, client, sandbox):
    deliver(journal, client, record(journal, store, SALE.format(id=1, code=LEASH)))
    now = utcnow()
    _learn(journal, client, now)
    asked = _lookups(sandbox)
    assert _learn(journal, client, now + dt.timedelta(hours=23)).asked == 0
    assert _lookups(sandbox) == asked
    assert _learn(journal, client, now + dt.timedelta(hours=25)).asked == 2
    assert _lookups(sandbox) == {e: n + 1 for e, n in asked.items()}


def test_astro_not_answering_leaves_the_lines_to_act_on_and_is_tried_later(
        journal, store, client, sandbox):
    key = record(journal, store, SALE.format(id=1, code=LEASH))
    deliver(journal, client, key)
    sandbox.set_faults({"next": [{"endpoint": "eligiblePurchaseItems", "count": 1,
                                  "fault": "status", "status": 503}]})
    outcome = _learn(journal, client)
    assert outcome.error and outcome.settled == 0
    assert journal.get_sale(key).status == "partial"
    assert known_programs(journal, "demo", [LEASH]).cause_of(LEASH).cause == \
        Cause.NOT_LOOKED_UP
    assert _learn(journal, client).settled == 1
    assert journal.get_sale(key).status == "delivered"


def test_a_store_enrolling_in_the_program_later_turns_the_line_into_a_retry(
        journal, store, client, sandbox):
    key = record(journal, store, SALE.format(id=1, code=BIRD_SEED))
    deliver(journal, client, key)
    now = utcnow()
    _learn(journal, client, now)
    sandbox.enrol(104)
    _learn(journal, client, now + dt.timedelta(hours=25))   # the answers, asked again
    cause = known_programs(journal, "demo", [BIRD_SEED]).cause_of(BIRD_SEED)
    assert cause.cause == Cause.ENROLLED_NOW and not cause.routine
    assert journal.get_sale(key).status == "partial"
