"""The item-code rules: GTIN check digits and conversion to UPC-A."""
import pytest

from legacy_qs.itemcodes import ItemCode, check_digit, has_valid_check_digit, normalize

WRONG = "wrong check digit, kept as given"


@pytest.mark.parametrize("body,digit", [
    ("01234567890", 5),      # UPC-A 012345678905
    ("400638133393", 1),     # EAN-13 4006381333931
    ("9638507", 4),          # EAN-8 96385074
    ("0001234567890", 5),    # GTIN-14 00012345678905
])
def test_check_digit_is_the_gtin_mod_10_digit(body, digit):
    assert check_digit(body) == digit
    assert has_valid_check_digit(body + str(digit))
    assert not has_valid_check_digit(body + str((digit + 1) % 10))


def test_spaces_and_dashes_are_removed_from_digit_codes():
    assert normalize("0 12345-67890 5") == ItemCode("012345678905")


def test_ean13_with_leading_zero_and_right_check_digit_becomes_upc_a():
    assert normalize("0012345678905") == ItemCode("012345678905")


def test_gtin14_with_leading_00_and_right_check_digit_becomes_upc_a():
    assert normalize("00012345678905") == ItemCode("012345678905")


def test_gtin14_with_a_single_leading_zero_is_kept():
    assert normalize("04006381333931") == ItemCode("04006381333931")
    assert has_valid_check_digit("04006381333931")


def test_ean13_not_starting_with_zero_is_kept():
    assert normalize("4006381333931") == ItemCode("4006381333931")


def test_upc_a_and_ean8_with_right_check_digit_are_kept():
    assert normalize("012345678905") == ItemCode("012345678905")
    assert normalize("96385074") == ItemCode("96385074")


@pytest.mark.parametrize("code", ["96385075", "012345678906", "0012345678906", "00012345678906"])
def test_wrong_check_digit_is_kept_as_given_with_a_warning(code):
    assert normalize(code) == ItemCode(code, WRONG)


def test_wrong_check_digit_code_is_kept_as_digits_only():
    assert normalize("0012-3456-78906") == ItemCode("0012345678906", WRONG)


@pytest.mark.parametrize("code", ["1", "1234", "1234567", "12345678901", "123456789012345"])
def test_other_digit_lengths_are_kept_as_given(code):
    assert normalize(code) == ItemCode(code)


@pytest.mark.parametrize("code", ["WASH-10", "WASH-SELF", "A 1-2", "12a", "１２３"])
def test_codes_with_other_characters_are_kept_exactly(code):
    assert normalize(code) == ItemCode(code)


def test_conversion_can_be_switched_off():
    assert normalize("0012345678905", convert_upc=False) == ItemCode("0012345678905")
    assert normalize("00012345678905", convert_upc=False) == ItemCode("00012345678905")


def test_wrong_check_digit_still_warns_when_conversion_is_off():
    assert normalize("0012345678906", convert_upc=False) == ItemCode("0012345678906", WRONG)


def test_conversion_is_stable_when_applied_again():
    once = normalize("00012345678905").code
    assert normalize(once) == ItemCode(once)
