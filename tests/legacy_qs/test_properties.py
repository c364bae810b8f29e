"""Properties of the legacy format: round trip, totality, and no password leaks."""
import datetime as dt
import json
import re
import time
from decimal import Decimal
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from legacy_qs import Customer, LegacyQSError, LegacySale, Line, encode, parse

MODERATE = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --- Strategies for sales as parse returns them (clean, canonical values) --------------

chars = st.characters(blacklist_categories=("Cc", "Cs"))
clean_text = st.text(chars, min_size=1, max_size=30).map(str.strip).filter(bool)
optional_text = st.none() | clean_text


def _gtin_ok(digits: str) -> bool:
    body, last = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == last


def _converts(digits: str) -> bool:
    surplus = len(digits) - 12
    return surplus in (1, 2) and digits.startswith("0" * surplus) and _gtin_ok(digits)


digit_codes = st.from_regex(r"[0-9]{1,20}", fullmatch=True).filter(lambda d: not _converts(d))
store_codes = clean_text.filter(lambda t: not re.fullmatch(r"[0-9 -]+", t))
descriptions = st.none() | st.text(chars, min_size=1, max_size=200).map(str.strip).filter(bool)
quantities = st.integers(-9999, 9999).filter(bool)


@st.composite
def lines(draw):
    numbers = sorted(draw(st.lists(st.integers(1, 10**6), unique=True, max_size=8)))
    return tuple(
        Line(index=n, upc=draw(digit_codes | store_codes), description=draw(descriptions),
             qty=draw(quantities))
        for n in numbers
    )


@st.composite
def amounts(draw):
    cents = draw(st.integers(-10**14, 10**14))
    sign = "-" if cents < 0 else ""
    return Decimal(f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}")


offsets = st.integers(-23 * 60 + 1, 23 * 60 - 1).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
# The years a sale date may have (legacy_qs.dates.MIN_YEAR..MAX_YEAR).
# Naive bounds, as hypothesis wants them: the zones are drawn by `timezones`.
FIRST, LAST = dt.datetime(1000, 1, 1), dt.datetime(9998, 12, 31, 23, 59, 59)  # noqa: DTZ001
dates = (st.none() | st.dates(FIRST.date(), LAST.date())
         | st.datetimes(FIRST, LAST, timezones=st.none() | offsets))

_KNOWN = re.compile(
    r"apiusername|apipassword|customerid|firstname|lastname|email|phone|subtotal|saleid"
    r"|transactionid|date|refund|store|login|(upc|description|qty)[0-9]+"
)
extra_names = clean_text.filter(lambda n: not _KNOWN.fullmatch(n.lower()))
extra_values = st.text(chars, max_size=30).map(str.strip)
extras = st.lists(st.tuples(extra_names, extra_values), max_size=4,
                  unique_by=lambda pair: pair[0].lower()).map(tuple)

customers = st.builds(
    Customer,
    id=clean_text,
    first_name=optional_text,
    last_name=optional_text,
    email=st.none() | st.from_regex(r"[a-z0-9._%+-]{1,10}@([a-z0-9-]{1,10}\.){1,2}[a-z]{2,6}",
                                    fullmatch=True),
    phone=st.none() | st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True),
)

sales = st.builds(
    LegacySale,
    customer=customers,
    lines=lines(),
    subtotal=st.none() | amounts(),
    username=optional_text,
    sale_id=optional_text,
    date=dates,
    refund=st.booleans(),
    store=optional_text,
    extra=extras,
)


# --- Round trip ----------------------------------------------------------------------

@MODERATE
@given(sales)
def test_encode_then_parse_gives_the_same_sale(sale):
    back = parse(encode(sale))
    assert back == sale
    assert back.to_printable() == {**sale.to_printable(), "warnings": list(back.warnings)}


@MODERATE
@given(sales)
def test_printable_form_is_json_and_round_trips(sale):
    printable = json.loads(json.dumps(sale.to_printable()))
    # The printable form keeps the day of a date-time (as given), not its time.
    day = sale.date.date() if isinstance(sale.date, dt.datetime) else sale.date
    assert LegacySale.from_printable(printable) == (
        LegacySale(**{**sale.__dict__, "extra": (), "date": day})
    )
    assert printable["date"] is None or re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", printable["date"])


@MODERATE
@given(sales, st.sampled_from(["full URL", "bytes", "pairs"]))
def test_every_input_form_gives_the_same_sale(sale, form):
    query = encode(sale)
    if form == "full URL":
        given_as = "https://astro.example/query.php?" + query
    elif form == "bytes":
        given_as = query.encode("ascii")
    else:  # a form carries decoded values
        given_as = [tuple(unquote(part) for part in p.split("=", 1)) for p in query.split("&")]
    assert parse(given_as) == sale


# --- Totality ------------------------------------------------------------------------

def _parse_total(query, **options):
    try:
        return parse(query, **options)
    except LegacyQSError as e:
        assert "\n" not in str(e)
        return e


@MODERATE
@given(st.text())
def test_arbitrary_text_gives_a_sale_or_a_legacy_qs_error(text):
    _parse_total(text)


@MODERATE
@given(st.binary())
def test_arbitrary_bytes_give_a_sale_or_a_legacy_qs_error(raw):
    _parse_total(raw)


NAMES = ["CustomerID", "customerid", "UPC1", "upc01", "UPC2", "Description1", "Qty1", "qty2",
         "Description3", "SubTotal", "Date", "Refund", "Email", "Phone", "login", "apiusername",
         "apipassword", "SaleID", "TransactionID", "Store", "UPC0", "x", ""]
VALUES = st.sampled_from(["", "1", "0", "-3", "2.5", "abc", "0012345678905", "$1,234.5",
                          "2024-05-01", "2024-05-01T10:00+02:00", "u~p", "~", "a@b.co",
                          "%", "%zz", "%E9", "+", " "]) | st.text(max_size=12)


@MODERATE
@given(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=12),
       st.integers(1, 3), st.booleans())
def test_parameter_soup_gives_a_sale_or_a_legacy_qs_error(pairs, max_lines, convert):
    query = "&".join(f"{n}={v}" for n, v in pairs)
    _parse_total(query, max_lines=max_lines, convert_upc=convert)
    _parse_total([(n, v) for n, v in pairs], max_lines=max_lines, convert_upc=convert)


def test_a_one_megabyte_value_is_handled_quickly():
    start = time.perf_counter()
    sale = parse("CustomerID=C-1&UPC1=A&Description1=" + "%E9" * 350_000)
    assert len(sale.lines[0].description) == 200
    err = _parse_total("CustomerID=C-1&UPC1=A&Qty1=" + "9" * 1_000_000)
    assert err.param == "Qty1"
    assert _parse_total(b"\xff" * 1_000_000).param == "CustomerID"
    assert time.perf_counter() - start < 5


def test_ten_thousand_parameters_are_handled_quickly():
    start = time.perf_counter()
    many_lines = "CustomerID=C-1" + "".join(f"&UPC{n}=0012345678905&Qty{n}=2" for n in range(1, 10_001))
    assert _parse_total(many_lines).param == "UPC501"
    assert len(parse(many_lines, max_lines=10_000).lines) == 10_000
    unknown = "CustomerID=C-1" + "".join(f"&p{n}=v" for n in range(10_000))
    assert len(parse(unknown).extra) == 10_000
    assert time.perf_counter() - start < 5


# --- Secrets -------------------------------------------------------------------------

passwords = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e) | st.sampled_from("éß€"),
                    min_size=6, max_size=16).map(lambda t: "Pw#" + t)


@MODERATE
@given(sales, passwords, st.booleans())
def test_a_given_password_is_absent_from_printable_repr_and_str(sale, password, as_login):
    assume(password not in repr(sale) and password not in json.dumps(sale.to_printable(), ensure_ascii=False))
    if as_login:
        assume(sale.username is not None and "~" not in sale.username)
        query = encode(LegacySale(**{**sale.__dict__, "username": None}))
        query += f"&login={quote(sale.username, safe='')}~{quote(password, safe='')}"
    else:
        query = encode(sale, password=password)
    parsed = parse(query)
    assert parsed.password == password
    for text in (repr(parsed), str(parsed), json.dumps(parsed.to_printable(), ensure_ascii=False),
                 json.dumps(parsed.to_printable())):
        assert password not in text


@MODERATE
@given(passwords, st.booleans(),
       st.lists(st.tuples(st.sampled_from(NAMES + ["PWNAME"]), VALUES, st.booleans()), max_size=6))
def test_a_given_password_is_absent_from_every_error(password, as_login, pairs):
    given_pairs = [("login", "demo~" + password) if as_login else ("apipassword", password)]
    for name, value, inject in pairs:
        # The password is planted in values, and even used as a parameter name.
        name = password if name == "PWNAME" else name
        given_pairs.append((name, value + password if inject else value))
    query = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in given_pairs)
    result = _parse_total(query)
    if isinstance(result, LegacyQSError):
        for text in (str(result), repr(result), result.param, result.problem, *map(str, result.args)):
            assert password not in text


@pytest.mark.parametrize("bad", ["Qty1", "SubTotal", "Date", "Refund", "UPC0"])
def test_password_planted_in_a_bad_value_is_redacted(bad):
    query = f"CustomerID=1&UPC1=A&apipassword=Sekr1t-Pass&{bad}=x-Sekr1t-Pass"
    with pytest.raises(LegacyQSError) as info:
        parse(query)
    assert "Sekr1t-Pass" not in str(info.value)
    assert info.value.param == bad


def test_password_used_as_a_parameter_name_twice_is_redacted():
    with pytest.raises(LegacyQSError) as info:
        parse("CustomerID=1&login=demo~Sekr1t-Pass&Sekr1t-Pass=1&Sekr1t-Pass=2")
    assert str(info.value) == "***: given twice"
