"""Item codes: GTIN check digits and the EAN-13 / GTIN-14 to UPC-A conversion."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_GTIN_CANDIDATE = re.compile(r"[0-9 -]*[0-9][0-9 -]*")
_CHECKED_LENGTHS = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GTIN check digit for `body` (all digits of a GTIN but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def has_valid_check_digit(digits: str) -> bool:
    """True if the last digit of `digits` is the GTIN check digit of the others."""
    return len(digits) >= 2 and int(digits[-1]) == check_digit(digits[:-1])


@dataclass(frozen=True)
class ItemCode:
    """An item code after the rules: `code` to use, `warning` if one is due."""

    code: str
    warning: str | None = None


@lru_cache(maxsize=4096)   # a store sells a few thousand items: each is checked once
def normalize(given: str, *, convert_upc: bool = True) -> ItemCode:
    """The item code to send for `given` (already trimmed, non-empty).

    Codes of digits, spaces and dashes lose the spaces and dashes. A 13-digit code
    with a leading 0 or a 14-digit code with leading 00 and a right check digit
    becomes its 12-digit UPC-A (unless `convert_upc` is false). 8/12/13/14-digit
    codes with a wrong check digit are kept (digits only) with a warning. Any other
    code, such as a store's own item number, is kept exactly as given.
    """
    if not _GTIN_CANDIDATE.fullmatch(given):
        return ItemCode(given)
    digits = given.replace(" ", "").replace("-", "")
    if len(digits) not in _CHECKED_LENGTHS:
        return ItemCode(digits)
    if not has_valid_check_digit(digits):
        return ItemCode(digits, "wrong check digit, kept as given")
    surplus = len(digits) - 12  # 1 for an EAN-13, 2 for a GTIN-14
    if convert_upc and surplus > 0 and digits.startswith("0" * surplus):
        return ItemCode(digits[surplus:])
    return ItemCode(digits)
