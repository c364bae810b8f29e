"""Signed tokens for the pages the bridge hands out.

A receipt URL carries `t`, an HMAC of the sale key, so a receipt can be opened only by
whoever was redirected to it (the POS browser), and never carries credentials. The
"send again" form carries a CSRF token bound to the sale key and to the hour it was
issued. Both are made with the bridge secret (from the configuration / journal), so
they stay valid across restarts of the same bridge.
"""
import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from typing import Callable

_ISSUED = re.compile(r"[0-9]{1,12}")


def b64(raw: bytes) -> str:
    """URL-safe base64 without padding (fits in a URL or a cookie as it is)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def mac(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` for one `purpose` (a token made for one purpose never
    passes as another), as b64. Every signed token of the bridge is made with it."""
    msg = purpose.encode("utf-8") + b"\0" + value.encode("utf-8")
    return b64(hmac.new(key, msg, hashlib.sha256).digest())


def same(expected: str, given: str | None) -> bool:
    """True when `given` is the token `expected`, in constant time. Any text may come
    in (a request's value: non-ASCII, empty, None) and gets a plain False."""
    if not given:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (TypeError).
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class Signer:
    """Makes and checks HMAC-SHA256 tokens for (purpose, value) pairs."""

    secret: bytes = field(repr=False)
    clock: Callable[[], float] = time.time
    csrf_max_age: int = 2 * 3600

    def __post_init__(self):
        if isinstance(self.secret, str):
            object.__setattr__(self, "secret", self.secret.encode("utf-8"))
        if not self.secret:
            raise ValueError("the signing secret is empty")

    def _mac(self, purpose: str, value: str) -> str:
        return mac(self.secret, purpose, value)

    def receipt_token(self, sale_key: str) -> str:
        """The `t` parameter of the receipt URL of `sale_key`."""
        return self._mac("receipt", sale_key)

    def receipt_token_ok(self, sale_key: str, token: str | None) -> bool:
        """True when `token` was made by receipt_token(sale_key); constant time."""
        return same(self.receipt_token(sale_key), token)

    def csrf_token(self, sale_key: str) -> str:
        """A token for a form about `sale_key`, valid for csrf_max_age seconds."""
        issued = str(int(self.clock()))
        return f"{issued}.{self._mac('csrf', issued + ':' + sale_key)}"

    def csrf_token_ok(self, sale_key: str, token: str | None) -> bool:
        """True when `token` came from csrf_token(sale_key) and has not expired."""
        issued, _, mac = (token or "").partition(".")
        # ASCII digits only, and few: "²" is a digit to isdigit() but not to int().
        if not _ISSUED.fullmatch(issued) or not mac:
            return False
        if not 0 <= self.clock() - int(issued) <= self.csrf_max_age:
            return False
        return same(self._mac("csrf", issued + ":" + sale_key), mac)
