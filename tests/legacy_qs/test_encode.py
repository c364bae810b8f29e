"""encode(): canonical query strings that parse back to the same sale."""
import datetime as dt
from decimal import Decimal

import pytest

from legacy_qs import Customer, LegacyQSError, LegacySale, Line, encode, parse

SALLY = LegacySale(
    customer=Customer(id="C-1", first_name="Sally", last_name="Pet Owner",
                      email="sally@example.com", phone="5551234567"),
    lines=(Line(index=1, upc="012345678905", description="Dog Food 30lb", qty=2),),
    subtotal=Decimal("45.98"),
    username="demo",
    password="pw-kept-out",
)


def test_encode_writes_canonical_names_in_a_fixed_order():
    assert encode(SALLY) == (
        "apiusername=demo&CustomerID=C-1&FirstName=Sally&LastName=Pet%20Owner"
        "&Email=sally%40example.com&Phone=5551234567&SubTotal=45.98"
        "&UPC1=012345678905&Description1=Dog%20Food%2030lb&Qty1=2"
    )


def test_encode_parses_back_to_the_same_sale():
    assert parse(encode(SALLY)) == SALLY


def test_the_sales_own_password_is_never_written():
    assert "pw-kept-out" not in encode(SALLY)
    assert parse(encode(SALLY)).password is None


def test_password_is_written_only_when_passed():
    query = encode(SALLY, password="s3 cret&x")
    assert "apipassword=s3%20cret%26x" in query
    assert parse(query).password == "s3 cret&x"


def test_equality_ignores_password_and_warnings():
    assert SALLY == LegacySale(customer=SALLY.customer, lines=SALLY.lines, subtotal=SALLY.subtotal,
                               username="demo", password="other", warnings=("w",))
    assert SALLY != LegacySale(customer=SALLY.customer, lines=SALLY.lines, subtotal=SALLY.subtotal,
                               username="someone-else")


def test_extensions_round_trip():
    sale = LegacySale(
        customer=Customer(id="C 1&2", phone="+15551234567"),
        lines=(Line(2, "WASH-SELF", None, -1), Line(9, "0012345678906", "Dog \"food\" 10% off", 3)),
        sale_id="S-42",
        date=dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        refund=True,
        store="Downtown",
        extra=(("Color", "Réd"), ("x=y", "a&b")),
    )
    query = encode(sale)
    assert "Refund=1" in query and "Date=2024-05-01T10%3A30%3A00-05%3A00" in query
    back = parse(query)
    assert back == sale
    assert back.date.utcoffset() == dt.timedelta(hours=-5)
    assert back.warnings == ("UPC9: wrong check digit, kept as given",
                             "unknown parameter: Color", "unknown parameter: x=y")


def test_a_plain_date_round_trips_as_a_date():
    sale = LegacySale(customer=Customer(id="C-1"), date=dt.date(2024, 2, 29))
    assert "Date=2024-02-29" in encode(sale)
    assert type(parse(encode(sale)).date) is dt.date


def test_printable_form_round_trips_through_from_printable():
    sale = parse(encode(SALLY, password="x") + "&SaleID=7&Date=2024-05-01&Refund=yes")
    back = LegacySale.from_printable(sale.to_printable())
    assert back == sale
    assert back.warnings == sale.warnings
    assert back.password is None


@pytest.mark.parametrize("given,day", [("2024-02-03T10:00:00Z", "2024-02-03"),
                                       ("2024-02-03T23:30:00-05:00", "2024-02-03"),
                                       ("2024-02-04T00:30:00%2B09:00", "2024-02-04"),
                                       ("2024-02-03T10:00", "2024-02-03")])
def test_printable_date_is_the_day_as_given_while_encode_keeps_the_time(given, day):
    sale = parse(f"CustomerID=C-1&Date={given}")
    assert sale.to_printable()["date"] == day
    assert parse(encode(sale)).date == sale.date  # the URL still carries the full value
    assert LegacySale.from_printable(sale.to_printable()).date == dt.date.fromisoformat(day)


def test_from_printable_still_accepts_a_full_date_time():
    printable = {"customer": {"id": "C-1"}, "date": "2024-02-03T23:30:00-05:00"}
    when = LegacySale.from_printable(printable).date
    assert when == dt.datetime(2024, 2, 3, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def test_from_printable_restores_extra_when_given():
    printable = LegacySale(customer=Customer(id="C-1")).to_printable()
    printable["extra"] = [["Color", "Red"]]
    assert LegacySale.from_printable(printable).extra == (("Color", "Red"),)


@pytest.mark.parametrize("broken,key", [
    ({"lines": []}, "printable"),
    ({"customer": {"id": 5}}, "customer.id"),
    ({"customer": {"id": "C"}, "subtotal": "1.5"}, "subtotal"),
    ({"customer": {"id": "C"}, "subtotal": "NaN"}, "subtotal"),
    ({"customer": {"id": "C"}, "date": "yesterday"}, "date"),
    ({"customer": {"id": "C"}, "refund": "yes"}, "refund"),
    ({"customer": {"id": "C"}, "lines": [{"index": 1, "upc": "A", "qty": "2"}]}, "lines.qty"),
])
def test_from_printable_refuses_malformed_data_naming_the_key(broken, key):
    with pytest.raises(LegacyQSError) as info:
        LegacySale.from_printable(broken)
    assert info.value.param == key


@pytest.mark.parametrize("broken,missing", [
    ({"lines": []}, "customer"),
    ({"customer": {"first_name": "Sally"}}, "id"),
    ({"customer": {"id": "C"}, "lines": [{"index": 1, "qty": 2}]}, "upc"),
])
def test_from_printable_names_a_missing_key(broken, missing):
    with pytest.raises(LegacyQSError) as info:
        LegacySale.from_printable(broken)
    assert str(info.value) == f"printable: missing key {missing!r}"
