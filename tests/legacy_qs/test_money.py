"""The money rules: SubTotal as Decimal with exactly two decimals."""
from decimal import Decimal

import pytest

from legacy_qs import LegacyQSError, parse
from legacy_qs.money import format_money, parse_money


@pytest.mark.parametrize("text,amount", [
    ("12.34", "12.34"), ("12.3", "12.30"), ("12", "12.00"), ("$1,234.56", "1234.56"),
    ("-5.00", "-5.00"), ("-$5.00", "-5.00"), ("7.5", "7.50"), ("0", "0.00"),
    ("1,000,000", "1000000.00"), ("$0.99", "0.99"),
])
def test_accepted_amounts_have_exactly_two_decimals(text, amount):
    value = parse_money(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(amount)
    assert value.as_tuple().exponent == -2
    assert format_money(value) == amount


def test_negative_zero_is_plain_zero():
    assert format_money(parse_money("-0.00")) == "0.00"


def test_many_digits_keep_every_digit():
    assert format_money(parse_money("9" * 40 + ".99")) == "9" * 40 + ".99"


@pytest.mark.parametrize("text", [
    "12.345", "1e3", "1E3", "NaN", "nan", "Infinity", "-Infinity", "inf", "abc", "12.",
    ".5", "1,23", "12,34.56", "$-5", "--5", "+5", "5-", "1 000", "¥5", "١٢", "0x10", "12.3.4",
])
def test_other_amounts_are_errors(text):
    with pytest.raises(ValueError):
        parse_money(text)


def test_subtotal_error_names_subtotal_through_parse():
    with pytest.raises(LegacyQSError) as info:
        parse({"CustomerID": "C-1", "SubTotal": "NaN"})
    assert info.value.param == "SubTotal"


def test_subtotal_is_never_a_float():
    assert type(parse("CustomerID=1&SubTotal=0.1").subtotal) is Decimal


def test_subtotal_absent_or_empty_is_none():
    assert parse("CustomerID=1").subtotal is None
    assert parse("CustomerID=1&SubTotal=").subtotal is None
