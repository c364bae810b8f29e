"""The legacy Astro query-string format: parse and encode button URLs.

Pure (no I/O). ``parse`` turns a button URL, query string, POST body or form
mapping into a frozen ``LegacySale`` or raises ``LegacyQSError`` naming the
parameter; ``encode`` writes a sale back as its canonical query string.
"""
from legacy_qs.encode import encode
from legacy_qs.errors import LegacyQSError
from legacy_qs.model import Customer, LegacySale, Line
from legacy_qs.parse import parse

__all__ = ["parse", "encode", "LegacySale", "Customer", "Line", "LegacyQSError"]
