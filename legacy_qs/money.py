"""Money amounts of the legacy format: Decimal with exactly two decimals."""
from __future__ import annotations

import re
from decimal import Decimal

# 12.34, 12.3, 12, $1,234.56, -5.00, -$5.00 (ASCII digits only; commas in threes).
_AMOUNT = re.compile(r"(-?)\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def parse_money(text: str) -> Decimal:
    """The amount in `text` as a Decimal with exactly two decimals.

    Raises ValueError for anything but the accepted forms (more than two decimals,
    exponents, NaN, Infinity, stray characters...).
    """
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise ValueError(text)
    sign, units, cents = match.groups()
    units = units.replace(",", "")
    # Built from the digits (no arithmetic), so no precision limit applies.
    amount = Decimal(f"{sign}{units}.{(cents or '').ljust(2, '0')}")
    return amount if amount else Decimal("0.00")  # no "-0.00"


def format_money(amount: Decimal) -> str:
    """`amount` as plain text with two decimals, e.g. ``"45.98"``."""
    return f"{amount:.2f}"
