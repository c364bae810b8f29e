"""encode(): a LegacySale back into its canonical query string."""
from __future__ import annotations

from urllib.parse import quote

from legacy_qs.dates import format_date
from legacy_qs.model import LegacySale
from legacy_qs.money import format_money


def encode(sale: LegacySale, password: str | None = None) -> str:
    """The canonical query string of `sale` (no leading '?').

    ``parse(encode(s)) == s`` for every sale `parse` returns with its default
    options (see LegacySale for what equality compares). Parameters come in a fixed
    order with canonical names, UTF-8 percent-encoded, absent values left out; Qty
    is always written; unknown parameters follow as given. The sale's own password
    is never written: pass `password` explicitly to include ``apipassword``.
    """
    c = sale.customer
    fields: list[tuple[str, object]] = [
        ("apiusername", sale.username),
        ("apipassword", password),
        ("CustomerID", c.id),
        ("FirstName", c.first_name),
        ("LastName", c.last_name),
        ("Email", c.email),
        ("Phone", c.phone),
        ("SaleID", sale.sale_id),
        ("Date", None if sale.date is None else format_date(sale.date)),
        ("Refund", "1" if sale.refund else None),
        ("Store", sale.store),
        ("SubTotal", None if sale.subtotal is None else format_money(sale.subtotal)),
    ]
    for line in sale.lines:
        fields.append((f"UPC{line.index}", line.upc))
        fields.append((f"Description{line.index}", line.description))
        fields.append((f"Qty{line.index}", str(line.qty)))
    fields.extend(sale.extra)
    return "&".join(
        f"{quote(name, safe='')}={quote(str(value), safe='')}"
        for name, value in fields
        if value is not None
    )
