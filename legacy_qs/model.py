"""The parsed legacy sale: Customer, Line and LegacySale values.

Equality of a LegacySale compares what the sale *is* (customer, lines, money, ids,
date, flags, unknown parameters, username), not the `password` nor the `warnings`:
the password is a credential, not sale content, and warnings describe the input a
sale came from (a dropped email is no longer in the sale, so re-encoding it cannot
warn again). That is what makes ``parse(encode(s)) == s`` hold.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from legacy_qs.dates import PROBLEM as DATE_PROBLEM, parse_date
from legacy_qs.errors import LegacyQSError
from legacy_qs.money import format_money


@dataclass(frozen=True)
class Customer:
    """The POS customer; absent values are None. `id` is empty only for a walk-in
    (`parse(..., walk_in=True)` of a sale without a CustomerID)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Line:
    """One sale line: `index` is the n of ``UPC<n>``; `upc` is the item code after
    the item-code rules (may be a store item number); `qty` < 0 is a returned item."""

    index: int
    upc: str
    description: str | None = None
    qty: int = 1


@dataclass(frozen=True)
class LegacySale:
    """A sale as given by a legacy Astro button URL (see `legacy_qs.parse`)."""

    customer: Customer
    lines: tuple[Line, ...] = ()
    subtotal: Decimal | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)
    sale_id: str | None = None
    date: dt.date | dt.datetime | None = None
    refund: bool = False
    store: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def walk_in(self) -> bool:
        """A sale without a customer: nothing of it can go to Astro."""
        return not self.customer.id

    def to_printable(self) -> dict:
        """The JSON-able printable form (keys in the documented order), never
        with the password nor the unknown parameters (`extra`).

        `date` is ``YYYY-MM-DD`` or None, as documented: a date-time given with the
        sale shows its date part as given (in its own offset). `encode` writes the
        full value, so the time only leaves the printable form, not the URL.
        """
        customer = self.customer
        return {
            "username": self.username,
            "customer": {
                "id": customer.id,
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "email": customer.email,
                "phone": customer.phone,
            },
            "lines": [
                {"index": ln.index, "upc": ln.upc, "description": ln.description, "qty": ln.qty}
                for ln in self.lines
            ],
            "subtotal": None if self.subtotal is None else format_money(self.subtotal),
            "sale_id": self.sale_id,
            "date": None if self.date is None else _day(self.date),
            "refund": self.refund,
            "store": self.store,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_printable(cls, d: dict) -> "LegacySale":
        """The sale whose printable form is `d` (inverse of `to_printable`).

        An optional ``"extra"`` key (list of [name, value]) restores unknown
        parameters where a caller stored them. Raises LegacyQSError naming the
        key of malformed data.
        """
        try:
            c = d["customer"]
            customer = Customer(
                id=_text(c["id"], "customer.id"),
                first_name=_opt_text(c.get("first_name"), "customer.first_name"),
                last_name=_opt_text(c.get("last_name"), "customer.last_name"),
                email=_opt_text(c.get("email"), "customer.email"),
                phone=_opt_text(c.get("phone"), "customer.phone"),
            )
            lines = tuple(
                Line(
                    index=_int(ln["index"], "lines.index"),
                    upc=_text(ln["upc"], "lines.upc"),
                    description=_opt_text(ln.get("description"), "lines.description"),
                    qty=_int(ln["qty"], "lines.qty"),
                )
                for ln in d.get("lines", ())
            )
            return cls(
                customer=customer,
                lines=lines,
                subtotal=_opt_money(d.get("subtotal")),
                username=_opt_text(d.get("username"), "username"),
                sale_id=_opt_text(d.get("sale_id"), "sale_id"),
                date=_opt_date(d.get("date")),
                refund=_bool(d.get("refund", False), "refund"),
                store=_opt_text(d.get("store"), "store"),
                extra=tuple((_text(n, "extra"), _text(v, "extra")) for n, v in d.get("extra", ())),
                warnings=tuple(_text(w, "warnings") for w in d.get("warnings", ())),
            )
        except KeyError as e:
            raise LegacyQSError("printable", f"missing key {e.args[0]!r}") from None
        except (TypeError, AttributeError) as e:
            raise LegacyQSError("printable",
                                f"malformed sale data ({type(e).__name__}: {e})") from None


def _day(value: dt.date | dt.datetime) -> str:
    """``YYYY-MM-DD`` of a date, or of a date-time as given (no zone conversion)."""
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _text(value, key: str) -> str:
    if not isinstance(value, str):
        raise LegacyQSError(key, "must be a string")
    return value


def _opt_text(value, key: str) -> str | None:
    return None if value is None else _text(value, key)


def _int(value, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise LegacyQSError(key, "must be an integer")
    return value


def _bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise LegacyQSError(key, "must be true or false")
    return value


def _opt_money(value) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(_text(value, "subtotal"))
    except InvalidOperation:
        raise LegacyQSError("subtotal", "must be an amount with two decimals", got=value) from None
    if not amount.is_finite() or amount.as_tuple().exponent != -2:
        raise LegacyQSError("subtotal", "must be an amount with two decimals", got=value)
    return amount


def _opt_date(value) -> dt.date | dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_date(_text(value, "date"))
    except ValueError:
        raise LegacyQSError("date", DATE_PROBLEM, got=value) from None
