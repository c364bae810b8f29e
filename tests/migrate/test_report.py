"""The readiness report's figures and verdict on prepared mixes of recorded sales."""
import datetime as dt
import json
from decimal import Decimal

from bridge.config import AstroLogin, Store
from bridge.migrate.outcome import (CUSTOMER_CREATE, CUSTOMER_FOUND, LINE_NO_ITEM,
                                    LINE_PUNCHED, LineOutcome, MigrationRecord,
                                    ShadowOutcome)
from bridge.admin.migration import render_html
from bridge.migrate.report import build_report

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)


def _store(**kw):
    return Store(id=kw.pop("id", "main"), name="Main Street Pets",
                 astro=AstroLogin("http://127.0.0.1:1/api/json", "u", None, "c"),
                 phase=kw.pop("phase", "shadow"), legacy_url="https://legacy.example/q", **kw)


def _record(n, lines, customer=CUSTOMER_FOUND, cid="SALLY-1", phase="shadow", name=None):
    """A shadowed sale; `lines` are (item_code, result[, hint_code])."""
    outcome = ShadowOutcome(customer=customer, customer_id=cid, customer_name=name,
                            lines=tuple(LineOutcome(i + 1, line[0], 1, line[1],
                                                    hint_code=(line[2:] or (None,))[0])
                                        for i, line in enumerate(lines)),
                            points_dollars=Decimal("10.00"))
    return MigrationRecord(id=f"main-{n}", store="main", phase=phase,
                           received_at=T0 + dt.timedelta(minutes=n), sale={"lines": []},
                           problem=None, outcome=outcome)


def _good(n):
    return _record(n, [("012345678905", LINE_PUNCHED)])


def test_mostly_clean_store_is_ready_and_names_the_one_failing_code():
    records = [_good(n) for n in range(97)]
    records += [_record(100 + n, [("850000000018", LINE_NO_ITEM)]) for n in range(3)]
    s = build_report(records, [_store()]).stores[0]
    assert (s.sales_seen, s.evaluated, s.would_succeed) == (100, 100, 97)
    assert s.ready
    assert s.reasons[0] == ("ready: 97% of 100 sales would fully succeed; "
                            "the 3% are one item code not in any program")
    assert [(c.item_code, c.count, c.listed_as) for c in s.failing_codes] == \
        [("850000000018", 3, None)]
    assert (s.points_sales, s.points_dollars) == (100, Decimal("1000.00"))


def test_ean_of_a_listed_upc_is_pointed_out_with_the_conversion_fix():
    records = [_good(n) for n in range(20)]
    records += [_record(50 + n, [("0012345678905", LINE_NO_ITEM, "012345678905"),
                                 ("WASH-SELF", LINE_PUNCHED)]) for n in range(5)]
    records += [_record(80, [("850000000018", LINE_NO_ITEM)], customer=CUSTOMER_CREATE,
                         cid="NEW-9", name="Bo Dog")]
    s = build_report(records, [_store(convert_upc=False)]).stores[0]
    assert not s.ready
    assert s.reasons[0].startswith("not ready: 76% of 26 sales would fully succeed (need 95%)")
    assert "one item code not in any program and one EAN/UPC mismatch" in s.reasons[0]
    assert s.reasons[1] == ("1 item code is another form of a listed UPC "
                            "(0012345678905): turn UPC-A conversion on")
    codes = {c.item_code: c for c in s.failing_codes}
    assert codes["0012345678905"].count == 5
    assert codes["0012345678905"].explain() == "EAN-13 of the listed UPC-A 012345678905"
    assert [(c.customer_id, c.name, c.sales) for c in s.new_customers] == \
        [("NEW-9", "Bo Dog", 1)]


def test_passthrough_only_store_is_not_ready_until_shadowed():
    records = [MigrationRecord(f"main-{n}", "main", "passthrough", T0, {"lines": []},
                               None, None) for n in range(4)]
    s = build_report(records, [_store(phase="passthrough")]).stores[0]
    assert (s.sales_seen, s.passthrough_sales, s.evaluated) == (4, 4, 0)
    assert s.reasons == ("not ready: 4 sales seen, none evaluated; put the store in "
                         "phase shadow to find out what REST would do",)
    assert "switching to rest never re-sends them" in s.notes[0]


def test_too_few_sales_is_not_ready_even_when_all_succeed():
    s = build_report([_good(n) for n in range(5)], [_store()]).stores[0]
    assert not s.ready
    assert s.reasons[0] == ("not ready: only 5 sales evaluated (need 20); "
                            "100% of 5 sales would fully succeed")


def test_unreadable_query_counts_as_a_failure_and_a_failed_dry_run_as_not_evaluated():
    records = [_good(n) for n in range(30)]
    records.append(MigrationRecord("unreadable-1", "main", "shadow", T0, None,
                                   "CustomerID: CustomerID is required", None))
    records.append(MigrationRecord("main-x", "main", "shadow", T0, {"lines": []}, None,
                                   ShadowOutcome.failed("NotSent from customerStatus")))
    s = build_report(records, [_store()]).stores[0]
    assert (s.sales_seen, s.evaluated, s.would_succeed, s.unreadable, s.not_evaluated) == \
        (32, 31, 30, 1, 1)
    assert s.ready
    assert "the 3% are 1 unreadable query" in s.reasons[0]


def test_store_without_sales_and_json_and_html_forms():
    records = [_good(n) for n in range(3)]
    report = build_report(records, [_store(), _store(id="north")], now=T0)
    doc = json.loads(json.dumps(report.to_dict()))
    assert [s["store"] for s in doc["stores"]] == ["main", "north"]
    assert doc["stores"][1]["verdict"] == "not ready"
    assert doc["stores"][1]["reasons"] == ["not ready: no sales seen yet"]
    assert doc["stores"][0]["share"] == 1.0
    page = render_html(report)
    assert "Migration readiness" in page and "no sales seen yet" in page
    assert "<script" not in page
