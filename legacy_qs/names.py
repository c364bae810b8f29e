"""Parameter names of the legacy format: recognising them in any casing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Documented and extension parameters, by lower-case name -> canonical casing.
SIMPLE = {
    "apiusername": "apiusername",
    "apipassword": "apipassword",
    "customerid": "CustomerID",
    "firstname": "FirstName",
    "lastname": "LastName",
    "email": "Email",
    "phone": "Phone",
    "subtotal": "SubTotal",
    "saleid": "SaleID",
    "transactionid": "SaleID",  # an alias: the two are one parameter
    "date": "Date",
    "refund": "Refund",
    "store": "Store",
}
LINE_FIELDS = {"upc": "UPC", "description": "Description", "qty": "Qty"}
_LINE = re.compile(r"(upc|description|qty)([0-9]+)")
# Line numbers have at most this many digits: int() of thousands of digits raises
# (Python's 4300-digit limit), and a line number must fit the journal's integers.
MAX_LINE_DIGITS = 9
# Only names this short are cached: a cache of huge names would hold megabytes.
_CACHED_NAME = 64


@dataclass(frozen=True)
class Name:
    """What a parameter name means: a key that identifies it for duplicate checks
    and its canonical spelling (for unknown parameters, the spelling as given)."""

    key: tuple
    canonical: str
    kind: str  # "simple", "login", "line", "line0" (line number 0), "line_too_big"
    #            (more than MAX_LINE_DIGITS digits) or "unknown"
    field: str = ""
    number: int = 0


def classify(name: str, login_param: str) -> Name:
    """The meaning of parameter `name`; names are matched case-insensitively."""
    if len(name) > _CACHED_NAME:
        return _classify(name, login_param)
    return _classify_cached(name, login_param)


def _classify(name: str, login_param: str) -> Name:
    # Only ASCII names can be documented ones: str.lower() maps e.g. the Kelvin
    # sign to "k", which must not make a foreign name look like a known one.
    lower = name.lower() if name.isascii() else None
    if lower is not None:
        if lower == login_param.lower():
            return Name(("login",), login_param, "login")
        if lower in SIMPLE:
            canonical = SIMPLE[lower]
            return Name((canonical,), canonical, "simple", canonical)
        match = _LINE.fullmatch(lower)
        if match:
            field = LINE_FIELDS[match.group(1)]
            digits = match.group(2).lstrip("0") or "0"
            if len(digits) > MAX_LINE_DIGITS:
                # The name as given, cut: it is quoted in the error.
                shown = name if len(name) <= 20 else name[:20] + "..."
                return Name(("line_too_big", lower), shown, "line_too_big", field)
            number = int(digits)
            canonical = f"{field}{number}"
            kind = "line" if number else "line0"
            return Name((field, number), canonical, kind, field, number)
    return Name(("unknown", name.lower()), name, "unknown")


# Pure and called once per parameter; the same few names recur in every URL.
_classify_cached = lru_cache(maxsize=2048)(_classify)
