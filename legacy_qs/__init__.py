"""The legacy Astro query-string format: parse and encode button URLs.

Pure (no I/O). ``parse`` turns a button URL, query string, POST body or form
mapping into a frozen ``LegacySale`` or raises ``LegacyQSError`` naming the
parameter; ``encode`` writes a sale back as its canonical query string.

Decisions where the specification is silent:
- Sale equality ignores `password` and `warnings` (see LegacySale), so
  ``parse(encode(s)) == s`` holds for every sale parse returns with its default
  options; `encode` writes a password only when it is passed explicitly.
- `Date`: a date-time keeps its offset (aware datetime); without one it stays
  naive and the bridge applies the store's zone. The printable form writes a
  date-time in full ISO 8601 (a plain date as YYYY-MM-DD).
- Error text is ``"<param>: <problem>"`` (e.g. ``UPC1: given twice``); every
  password given (apipassword, login) is replaced by ``***`` in it.
- Bounds: `Date` years 1000..9998; CustomerID and SaleID at most
  ``max_id_length`` (default ``MAX_ID_LENGTH``, 64) characters; line numbers at
  most 9 digits.
- The printable form has exactly the documented keys: no password, no `extra`
  (`from_printable` accepts an optional ``extra`` list to restore them).

May import: the standard library only (pure: text in, values out; no I/O, no config).
"""
from legacy_qs.encode import encode
from legacy_qs.errors import LegacyQSError
from legacy_qs.model import Customer, LegacySale, Line
from legacy_qs.parse import MAX_ID_LENGTH, parse

__all__ = ["parse", "encode", "LegacySale", "Customer", "Line", "LegacyQSError",
           "MAX_ID_LENGTH"]
