"""From staged rows to sales: which rows make one sale, and the sale's key.

Grouping is done by the scratch store (bridge.replay.stage), not in memory: rows are
staged in SQLite and read back ordered by (customer, sale day, group, unit), so the rows
of one sale arrive together whatever their order in the files, a customer's sales come
together, oldest first, and only one sale is in memory at a time.

A sale's key is derived from the input so that replaying the same file again maps
every sale to the same key (and the journal knows it is already delivered):
- the sale id when the input has one: the sale key is then translate's own
  `<store>-<sale id>` (as the button bridge would key it);
- otherwise `<store>-h<hash>`: the first 16 hex digits of a SHA-256 over the customer id, the
  date and the content (lines, subtotal, refund), so the same purchase gives the same
  key; when one file holds the same purchase k times (whole-sale lines without sale
  id), the k-th gets `-k` appended, which is deterministic too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Iterator

from legacy_qs import LegacySale, Line

from bridge.replay.rows import Record, Source, StagedRow, unpack
from bridge.translate import sale_key_for


@dataclass(frozen=True)
class ReplaySale:
    """A valid sale ready for translation. `key_id` is the input's sale id, or the
    derived `h<hash>[-k]` when the input has none (the sale itself keeps sale_id None:
    the POS did not send one)."""

    sale: LegacySale
    sources: tuple[Source, ...]
    key_id: str = ""
    line_sources: tuple[Source, ...] = ()   # where each of sale.lines came from
    warnings: tuple[tuple[Source, str], ...] = ()   # the input's warnings, by place

    def line_source(self, index: int) -> Source:
        """The input place of line `index` (1-based) of the sale."""
        if 0 < index <= len(self.line_sources):
            return self.line_sources[index - 1]
        return self.sources[0]

    def sale_key(self, store) -> str:
        """The journal key: translate's `<store>-<sale id>` (refunds `-R`) when the
        input has a sale id, else `<store>-h<hash>[-k]`."""
        return sale_key_for(store, self.sale) or f"{store.id}-{self.key_id}"

    @property
    def customer_id(self) -> str:
        return self.sale.customer.id


@dataclass(frozen=True)
class InvalidSale:
    """A sale that cannot be sent: every row of it with the reason for that row."""

    problems: tuple[tuple[Source, str], ...]
    sale_id: str | None = None   # the input's sale id, when it gives one

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(source for source, _ in self.problems)


def content_hash(sale: LegacySale) -> str:
    """SHA-256 (hex) of what identifies a purchase without a sale id: customer, day,
    lines (code, quantity, description), subtotal and refund flag."""
    day = sale.date.isoformat()[:10] if sale.date else ""
    content = {
        "customer": sale.customer.id,
        "day": day,
        "lines": [[line.upc, line.qty, line.description or ""] for line in sale.lines],
        "subtotal": str(sale.subtotal) if sale.subtotal is not None else None,
        "refund": bool(sale.refund),
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines_list(sources) -> str:
    return ", ".join(str(s.line) for s in sources)


def _given_sale_id(rows: list[StagedRow]) -> str | None:
    """The sale id of a group's rows (their group is `s:<sale id>`), or None."""
    group = rows[0].group
    return group[2:] if group.startswith("s:") else None


def _sources(row: StagedRow) -> tuple[Source, ...]:
    """Every input place of a staged record (a valid CSV record may hold several rows)."""
    if row.payload is None:
        return (row.source,)
    return tuple(Source(row.file, n) for n in unpack(row.payload).rows)


def _invalid_all(rows: list[StagedRow], reason: str) -> InvalidSale:
    return InvalidSale(tuple((source, reason) for row in rows for source in _sources(row)),
                       _given_sale_id(rows))


def _sale(file: str, record: Record) -> ReplaySale:
    return ReplaySale(
        sale=record.sale, sources=tuple(Source(file, n) for n in record.rows),
        line_sources=tuple(Source(file, n) for n in record.line_rows),
        warnings=tuple((Source(file, n), text) for n, text in record.notes))


def _merge(rows: list[StagedRow]) -> ReplaySale | InvalidSale:
    """The records of one CSV sale (each valid) as one sale: rows of a sale that were
    not adjacent in the input, or more than are read together."""
    parts = [_sale(row.file, unpack(row.payload)) for row in rows]
    sources = tuple(source for part in parts for source in part.sources)
    first = parts[0].sale
    for what, value in (("customer id", lambda s: s.customer.id),
                        ("date", lambda s: s.date.isoformat()[:10] if s.date else "")):
        if any(value(part.sale) != value(first) for part in parts):
            return _invalid_all(rows, f"rows of sale {first.sale_id} disagree on the "
                                      f"{what} (lines {_lines_list(sources)})")
    customer = first.customer
    for part in parts[1:]:  # fill what the first row left empty (exports vary by row)
        if part.sale.customer != customer:
            updates = {f: getattr(part.sale.customer, f)
                       for f in ("first_name", "last_name", "email", "phone")
                       if getattr(customer, f) is None
                       and getattr(part.sale.customer, f) is not None}
            if updates:
                customer = dataclasses.replace(customer, **updates)
    lines, line_sources, amounts = [], [], []
    for part in parts:
        for line, source in zip(part.sale.lines, part.line_sources, strict=True):
            lines.append(Line(len(lines) + 1, line.upc, line.description, line.qty))
            line_sources.append(source)
        if part.sale.subtotal is not None:
            amounts.append(part.sale.subtotal)
    warnings = tuple(w for part in parts for w in part.warnings)
    return ReplaySale(
        sale=LegacySale(
            customer=customer, lines=tuple(lines),
            subtotal=sum(amounts, Decimal("0.00")) if amounts else None,
            username=first.username, sale_id=first.sale_id, date=first.date,
            refund=any(part.sale.refund for part in parts), store=first.store,
            extra=first.extra, warnings=tuple(dict.fromkeys(text for _, text in warnings))),
        sources=sources, line_sources=tuple(line_sources), warnings=warnings)


def assemble(rows: list[StagedRow]) -> ReplaySale | InvalidSale:
    """One group of staged records (one sale) as a sale, or as invalid with a reason
    per row: a sale with any invalid row is invalid as a whole, since sending part of it
    would give the customer a different purchase than the one made."""
    bad = [row for row in rows if row.error]
    if bad:
        if len(rows) == 1:
            return InvalidSale(((rows[0].source, rows[0].error),), _given_sale_id(rows))
        others = f"another row of this sale is invalid (line {_lines_list(r.source for r in bad)})"
        return InvalidSale(tuple((source, row.error or others) for row in rows
                                 for source in _sources(row)), _given_sale_id(rows))
    if len(rows) == 1:
        return _sale(rows[0].file, unpack(rows[0].payload))
    return _merge(rows)


def assemble_sales(groups: Iterable[list[StagedRow]]) -> Iterator[ReplaySale | InvalidSale]:
    """Sales from groups of staged rows (in the journal's order), each valid sale with
    its key id."""
    previous, repeat = None, 0
    for rows in groups:
        item = assemble(rows)
        if isinstance(item, InvalidSale):
            yield item
            continue
        sale = item.sale
        sale_id = sale.sale_id
        if not sale_id:
            sale_id = "h" + content_hash(sale)[:16]
            # Identical whole sales are adjacent (same group, ordered by unit).
            repeat = repeat + 1 if sale_id == previous else 1
            previous = sale_id
            if repeat > 1:
                sale_id = f"{sale_id}-{repeat}"
        yield ReplaySale(item.sale, item.sources, sale_id, item.line_sources, item.warnings)
