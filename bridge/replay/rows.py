"""The values replay passes around: where a record came from, a staged input record,
and the compact form a valid record's sale is staged in."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from legacy_qs import Customer, LegacySale, Line


@dataclass(frozen=True)
class Source:
    """A place in the input: file name as given on the command line, 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class StagedRow:
    """One input record as staged before grouping.

    `group` says which sale the record belongs to: `s:<sale id>` (rows sharing a sale
    id), `c:<customer>|<date>` (CSV rows without a sale id), `h:<content hash>` (a
    whole sale without sale id), `x:<n>` (a record too broken to group).
    `unit` is 0 for CSV rows (all rows of a group make one sale) and the record's
    ordinal for whole-sale records (URL or JSON lines: each line is one sale even when
    two lines share a group). `customer` and `day` (ISO date) order the sales.
    `payload` is the record's sale in the staged form (`pack`; never a password);
    `error` is why the record is invalid, or None (an invalid record is always one
    input line). `line` is the record's first input line: a valid CSV record may hold
    the adjacent rows of one sale (their lines are in the payload). `items` is how many
    line items the record holds (a CSV row is one; a whole sale has its lines); it is
    not staged.
    """

    group: str
    unit: int
    customer: str
    day: str
    file: str
    line: int
    payload: str | None
    error: str | None
    items: int = 0

    @property
    def source(self) -> Source:
        return Source(self.file, self.line)


@dataclass(frozen=True)
class Record:
    """A staged record read back: its sale, the input line of each of its rows (a
    record is one input line, or the adjacent CSV rows of one sale), the input line of
    each of the sale's lines, and the input's warnings by input line."""

    sale: LegacySale
    rows: tuple[int, ...]
    line_rows: tuple[int, ...]
    notes: tuple[tuple[int, str], ...]


def pack(sale: LegacySale, rows: tuple[int, ...], line_rows: tuple[int, ...] | None = None,
         notes: tuple[tuple[int, str], ...] | None = None) -> str:
    """The staged form of a parsed sale: a compact JSON array (the printable form's
    content plus the full date-time and the unknown parameters, never the password),
    with where it came from: `rows`, the input line of each row of the record;
    `line_rows`, the position in `rows` of each of the sale's lines (default: all the
    first); `notes`, (position in `rows`, warning) pairs (default: every warning of the
    sale, on the first row). Staging a million lines writes and reads this a million
    times: it is kept small and cheap, and read back without the checks of
    `LegacySale.from_printable` (it only ever holds what `pack` wrote)."""
    c = sale.customer
    return json.dumps([
        c.id, c.first_name, c.last_name, c.email, c.phone,
        [[ln.index, ln.upc, ln.description, ln.qty] for ln in sale.lines],
        None if sale.subtotal is None else str(sale.subtotal),
        sale.username, sale.sale_id,
        None if sale.date is None else sale.date.isoformat(),
        sale.refund, sale.store, sale.extra, rows,
        line_rows if line_rows is not None else [0] * len(sale.lines),
        notes if notes is not None else [[0, w] for w in sale.warnings],
    ], separators=(",", ":"))


def unpack(payload: str) -> Record:
    """The record `pack` staged."""
    (cid, first, last, email, phone, lines, subtotal, username, sale_id, date, refund,
     store, extra, rows, line_rows, notes) = json.loads(payload)
    warnings = []
    for _, text in notes:
        if text not in warnings:
            warnings.append(text)
    sale = LegacySale(
        customer=Customer(cid, first, last, email, phone),
        lines=tuple(Line(i, upc, description, qty) for i, upc, description, qty in lines),
        subtotal=None if subtotal is None else Decimal(subtotal),
        username=username, sale_id=sale_id,
        date=None if date is None else (dt.date.fromisoformat(date) if len(date) == 10
                                        else dt.datetime.fromisoformat(date)),
        refund=refund, store=store, extra=tuple(tuple(pair) for pair in extra),
        warnings=tuple(warnings))
    return Record(sale, tuple(rows), tuple(rows[i] for i in line_rows),
                  tuple((rows[i], text) for i, text in notes))
