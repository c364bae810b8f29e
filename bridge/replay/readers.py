"""Input readers: each input record (CSV row, URL line, JSON line) becomes one
`StagedRow`, valid or carrying the reason it is invalid. Readers stream: they hold one
record at a time, whatever the file's size.

Formats:
- `csv`: one row per line item, columns mapped by a preset (see `presets`) and `--map`;
  each row is checked with the legacy button rules (legacy_qs.parse) as a one-line sale.
  Adjacent rows of one sale (same sale id, or customer and day, and the same customer
  fields) are checked in one parse of the whole sale and staged as one record: the
  same checks, once per sale instead of once per row; when any row fails them, the
  rows are checked one by one, so each gets its own reason.
- `urls`: one legacy button URL or bare query string per line (blank lines and lines
  starting with `#` are skipped).
- `jsonl`: one sale per line in the printable form (`LegacySale.from_printable`).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import itertools
import json
import os
import re
from decimal import Decimal
from typing import Iterator

from legacy_qs import LegacyQSError, LegacySale, Line, parse
from legacy_qs.money import parse_money
from legacy_qs.decoding import to_pairs
from legacy_qs.names import classify

from bridge.replay.errors import UnusableInput
from bridge.replay.grouping import content_hash
from bridge.replay.presets import ColumnMap, resolve_columns
from bridge.replay.rows import StagedRow, pack

FORMATS = ("csv", "urls", "jsonl")
NEEDS_DATE = "no date (a replayed sale needs its own date)"

# Legacy parameter of a one-line sale -> the CSV field it came from (for messages).
_PARAM_FIELD = {"CustomerID": "customer_id", "FirstName": "first_name",
                "LastName": "last_name", "Email": "email", "Phone": "phone",
                "UPC1": "item_code", "Description1": "description", "Qty1": "qty",
                "SubTotal": "subtotal", "SaleID": "sale_id", "Date": "date"}


def detect_format(path: str) -> str:
    """The format of `path` from its extension, else from its first non-blank line:
    `{` -> jsonl; a `?` or `name=value&` query -> urls; anything else -> csv."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv"):
        return "csv"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext in (".urls", ".url"):
        return "urls"
    with open(path, encoding=_encoding(path), errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("{"):
                return "jsonl"
            if re.match(r"^(https?://\S+\?|[A-Za-z][\w]*=[^,]*&)", line):
                return "urls"
            return "csv"
    return "csv"


def _encoding(path: str) -> str:
    """utf-8 (BOM skipped) when the start of the file decodes as UTF-8, else latin-1
    (older POS exports)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the buffer's end
            return "latin-1"
    return "utf-8-sig"


@functools.lru_cache(maxsize=4096)  # an export has a few hundred days: each read once
def normalize_date(text: str) -> str:
    """`YYYY-MM-DD`, an ISO date-time, or `M/D/YYYY` (with any time after it) -> the
    ISO date; raises ValueError otherwise."""
    text = text.strip()
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$", text)
    if m:
        y, mo, d = m.groups()
    else:
        m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ ,T].*)?$", text)
        if not m:
            raise ValueError(f"date {text!r} is not YYYY-MM-DD or M/D/YYYY")
        mo, d, y = m.groups()
    try:
        return dt.date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise ValueError(f"date {text!r} is not a real date") from None


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


# Adjacent rows of one sale read as one record, at most (a sale may have more: its
# records are put together when the sale is assembled, as rows that are not adjacent).
MAX_ROWS_READ_TOGETHER = 200
_LINE_WARNING = re.compile(r"^(UPC|Qty|Description)(\d+): (.*)$")


class _CsvLayout:
    """Where a CSV's fields are, worked out once per file: the legacy parameter of each
    mapped column (a CSV row is checked as a one-line button sale)."""

    _CUSTOMER = (("email", "Email"), ("phone", "Phone"))
    _LINE = (("item_code", "UPC"), ("description", "Description"), ("qty", "Qty"))

    def __init__(self, cmap: ColumnMap, header: list[str]):
        self.cmap, self.header = cmap, header
        index = cmap.index
        self.sale_id, self.customer = index.get("sale_id"), index.get("customer_id")
        self.date, self.name = index.get("date"), index.get("name")
        self.first, self.last = index.get("first_name"), index.get("last_name")
        self.subtotal = index.get("subtotal")
        self.customer_params = tuple((param, index[f]) for f, param in self._CUSTOMER
                                     if f in index)
        self.line_params = tuple((param, index[f]) for f, param in self._LINE if f in index)
        self.width = max(index.values()) + 1

    def column(self, field: str) -> str | None:
        i = self.cmap.index.get(field)
        return self.header[i] if i is not None else None

    def warning(self, text: str, sale: LegacySale) -> tuple[int, str]:
        """A parse warning of a sale read from CSV rows, in the file's terms: the row
        it is about (0-based; a customer's warning is the first row's) and its text
        with the column (`UPC3: ...` -> `UPC: ...`) and, for an item code, the code."""
        match = _LINE_WARNING.match(text)
        if match is None:
            param, sep, rest = text.partition(": ")
            column = self.column(_PARAM_FIELD.get(param, ""))
            return 0, f"{column}: {rest}" if sep and column else text
        param, n, rest = match.group(1), int(match.group(2)), match.group(3)
        column = self.column(_PARAM_FIELD[param + "1"]) or param
        rest = rest.replace(f"line {n} skipped", "row skipped")
        if param == "UPC":
            code = next((ln.upc for ln in sale.lines if ln.index == n), None)
            if code:
                rest += f" ({code})"
        return n - 1, f"{column}: {rest}"


class _CsvRow:
    """One CSV row, read up to what groups it: its sale id, customer and day (or why it
    is invalid before any other check: a missing or unreadable date)."""

    __slots__ = ("values", "line", "ordinal", "shape", "sale_id", "customer", "day",
                 "group", "error", "who")

    def __init__(self, values: list[str], layout: _CsvLayout, line: int, ordinal: int,
                 shape: str | None):
        if len(values) < layout.width:
            values = values + [""] * (layout.width - len(values))
        self.values, self.line, self.ordinal, self.shape = values, line, ordinal, shape
        self.sale_id, self.customer = self.get(layout.sale_id), self.get(layout.customer)
        date = self.get(layout.date)
        self.day, self.error = "", None
        if not date:
            self.error = NEEDS_DATE
        else:
            try:
                self.day = normalize_date(date)
            except ValueError as e:
                self.error = f"{layout.column('date')}: {e}"
        if self.sale_id:
            self.group = f"s:{self.sale_id}"
        elif self.customer and self.day:
            self.group = f"c:{self.customer}|{self.day}"
        else:
            self.group = f"x:{ordinal}"  # cannot tell which sale it belongs to: alone
        # What the rows of one sale read together must share (all but the line).
        self.who = (self.group, self.day, self.customer,
                    self.get(layout.name), self.get(layout.first), self.get(layout.last),
                    *(values[i].strip() for _, i in layout.customer_params))

    def get(self, i: int | None) -> str:
        return self.values[i].strip() if i is not None else ""

    def staged(self, file: str, payload: str | None, error: str | None, items: int = 1):
        return StagedRow(self.group, 0, self.customer, self.day, file, self.line, payload,
                         error, items)


def _query(rows: list[_CsvRow], layout: _CsvLayout) -> dict[str, str]:
    """The legacy query of the sale in `rows`: the first row's customer, sale id and
    day, line n from row n. UPCn is given even when empty: a description or qty without
    an item code is a skipped line with a warning, as in a button URL, not an error."""
    first = rows[0]
    query = {"CustomerID": first.customer}
    if layout.name is not None:
        given, family = _split_name(first.get(layout.name))
    else:
        given, family = first.get(layout.first), first.get(layout.last)
    if given:
        query["FirstName"] = given
    if family:
        query["LastName"] = family
    for param, i in layout.customer_params:
        value = first.values[i].strip()
        if value:
            query[param] = value
    for n, row in enumerate(rows, 1):
        query[f"UPC{n}"] = ""
        for param, i in layout.line_params:
            value = row.values[i].strip()
            if value:
                query[f"{param}{n}"] = value
    if first.sale_id:
        query["SaleID"] = first.sale_id
    query["Date"] = first.day
    return query


def _csv_record(row: _CsvRow, layout: _CsvLayout, file: str) -> StagedRow:
    """One row as a one-line sale, or the reason it is invalid. `row.shape`: what is
    wrong with its columns (see `_shape`), when something is; it is the reason given
    when the row is invalid (its values are then misplaced)."""
    if row.error:
        return row.staged(file, None, row.shape or row.error)
    query = _query([row], layout)
    subtotal = row.get(layout.subtotal)
    if subtotal:
        query["SubTotal"] = subtotal
    try:
        sale = parse(query)
    except LegacyQSError as e:
        column = layout.column(_PARAM_FIELD.get(e.param, "")) or e.param
        return row.staged(file, None, row.shape or f"{column}: {e.problem}")
    if row.shape and "unterminated" in row.shape:
        # The rest of the file went into one field: the row cannot be trusted.
        return row.staged(file, None, row.shape)
    return row.staged(file, pack(sale, (row.line,), notes=tuple(
        layout.warning(w, sale) for w in sale.warnings)), None)


def _read_together(rows: list[_CsvRow], layout: _CsvLayout, file: str) -> Iterator[StagedRow]:
    """Adjacent valid rows of one sale (same sale, customer and day): one parse of the
    whole sale, one record. When any of them is not a good one-line sale, row by row
    instead, so each row gets its own reason, as when read alone."""
    if len(rows) == 1:
        yield _csv_record(rows[0], layout, file)
        return
    amounts = []
    try:
        for row in rows:
            subtotal = row.get(layout.subtotal)
            if subtotal:
                amounts.append(parse_money(subtotal))
        sale = parse(_query(rows, layout))
    except (ValueError, LegacyQSError):      # ValueError: parse_money's
        for row in rows:
            yield _csv_record(row, layout, file)
        return
    positions = [ln.index - 1 for ln in sale.lines]
    notes = []
    for w in sale.warnings:
        at, text = layout.warning(w, sale)
        # A customer's warning is every row's, as each row read alone would say it.
        notes.extend([(at, text)] if _LINE_WARNING.match(w) else
                     [(k, text) for k in range(len(rows))])
    sale = LegacySale(
        customer=sale.customer,
        lines=tuple(Line(i, ln.upc, ln.description, ln.qty)
                    for i, ln in enumerate(sale.lines, 1)),
        subtotal=sum(amounts, Decimal("0.00")) if amounts else None,
        username=sale.username, sale_id=sale.sale_id, date=sale.date, refund=sale.refund,
        store=sale.store, extra=sale.extra,
        warnings=tuple(dict.fromkeys(text for _, text in notes)))
    first = rows[0]
    yield first.staged(file, pack(sale, tuple(r.line for r in rows), tuple(positions),
                                  tuple(notes)), None, items=len(rows))


def _shape(values: list[str], header: list[str], line: int, last: bool) -> str | None:
    """What is wrong with the columns of a row, or None: an unterminated quote (the
    last record holds a line break and has too few columns: the quoted field ran to
    the end of the file), or a column count other than the header's."""
    if len(values) == len(header):
        return None
    if last and len(values) < len(header) and any("\n" in v for v in values):
        return (f"unterminated quote: the quoted field starting on line {line} runs to "
                f"the end of the file")
    return f"row has {len(values)} columns, header has {len(header)}"


@contextlib.contextmanager
def _csv_reader(path: str, file: str):
    """(reader, header) of a CSV; the delimiter is the one of `,;\t|` most used in the
    header line (exports from other locales use `;`)."""
    with open(path, newline="", encoding=_encoding(path), errors="replace") as f:
        first = f.readline()
        f.seek(0)
        delimiter = max(",;\t|", key=first.count)
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise UnusableInput(f"{file}: empty file (a CSV needs a header row)")
        yield reader, header


def read_csv(path: str, file: str, preset: str | None, overrides: dict,
             ordinals: Iterator[int]) -> Iterator[StagedRow]:
    """Records of a line-item CSV: the adjacent rows of one sale together, any other
    row alone. Raises UnusableInput (before yielding anything) when the header cannot
    be mapped."""
    with _csv_reader(path, file) as (reader, header):
        layout = _CsvLayout(resolve_columns(header, preset, overrides, file), header)
        together: list[_CsvRow] = []
        end = reader.line_num
        values = next(reader, None)
        while values is not None:
            line, end = end + 1, reader.line_num  # a quoted field may span lines
            following = next(reader, None)        # None: this is the last record
            if any(v.strip() for v in values):
                shape = _shape(values, header, line, following is None)
                row = _CsvRow(values, layout, line, next(ordinals), shape)
                if together and (row.who != together[0].who or row.error or row.shape
                                 or len(together) == MAX_ROWS_READ_TOGETHER):
                    yield from _read_together(together, layout, file)
                    together = []
                if row.error or row.shape:
                    yield _csv_record(row, layout, file)
                else:
                    together.append(row)
            values = following
        if together:
            yield from _read_together(together, layout, file)


def _whole_sale(sale: LegacySale | None, error: str | None, store: str, file: str,
                line: int, ordinal: int, sale_id: str | None = None) -> StagedRow:
    """`sale_id`: the sale id the record gives, when `sale` could not be read."""
    if sale is not None and error is None:
        if sale.store and sale.store != store:
            error = f"Store: sale is for store {sale.store!r}, not {store!r}"
        elif sale.date is None:
            error = NEEDS_DATE
    if sale is None or error:
        sale_id = sale.sale_id if sale is not None else sale_id
        # Its own unit keeps it alone; an `s:` group lets the report show its sale id.
        group = f"s:{sale_id}" if sale_id else f"x:{ordinal}"
        items = len(sale.lines) if sale is not None else 0
        return StagedRow(group, ordinal, "", "", file, line, None, error, items)
    day = sale.date.isoformat()[:10]
    group = f"s:{sale.sale_id}" if sale.sale_id else f"h:{content_hash(sale)}"
    return StagedRow(group, ordinal, sale.customer.id, day, file, line, pack(sale, (line,)),
                     None, len(sale.lines))


def _given_sale_id(query: str) -> str | None:
    """The SaleID (or TransactionID) given in a query that does not parse."""
    for name, value in to_pairs(query):
        if name and classify(name, "login").key == ("SaleID",) and value.strip():
            return value.strip()
    return None


def _lines(path: str) -> Iterator[tuple[int, str]]:
    with open(path, encoding=_encoding(path), errors="replace") as f:
        for number, raw in enumerate(f, 1):
            text = raw.strip()
            if text and not text.startswith("#"):
                yield number, text


def read_urls(path: str, file: str, store: str, ordinals) -> Iterator[StagedRow]:
    """One sale per non-blank line: a button URL (the part after `?`) or query string."""
    for number, text in _lines(path):
        query = text.split("?", 1)[1] if "?" in text else text
        query = query.split("#", 1)[0]
        try:
            sale, error = parse(query), None
        except LegacyQSError as e:
            sale, error = None, str(e)
        yield _whole_sale(sale, error, store, file, number, next(ordinals),
                          None if sale else _given_sale_id(query))


def read_jsonl(path: str, file: str, store: str, ordinals) -> Iterator[StagedRow]:
    """One sale per non-blank line in the printable form."""
    for number, text in _lines(path):
        data = None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            sale, error = LegacySale.from_printable(data), None
        except json.JSONDecodeError as e:
            sale, error = None, f"not JSON: {e.msg} at column {e.colno}"
        except LegacyQSError as e:
            sale, error = None, str(e)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            sale, error = None, f"not a sale in printable form: {type(e).__name__}: {e}"
        given = data.get("sale_id") if isinstance(data, dict) else None
        yield _whole_sale(sale, error, store, file, number, next(ordinals),
                          given.strip() or None if isinstance(given, str) else None)


def read_inputs(paths, store: str, fmt: str | None = None, preset: str | None = None,
                overrides: dict | None = None) -> Iterator[StagedRow]:
    """Every record of every file, in file order. `fmt` None: detected per file.
    Raises UnusableInput for a missing/unreadable file or an unmappable CSV; callers
    check the files (`check_inputs`) before staging so nothing is half-read."""
    ordinals = itertools.count(1)
    for path in paths:
        kind = fmt or detect_format(path)
        if kind == "csv":
            yield from read_csv(path, path, preset, overrides or {}, ordinals)
        elif kind == "urls":
            yield from read_urls(path, path, store, ordinals)
        elif kind == "jsonl":
            yield from read_jsonl(path, path, store, ordinals)
        else:
            raise UnusableInput(f"unknown format {kind!r} (formats: {', '.join(FORMATS)})")


def check_inputs(paths, fmt: str | None = None, preset: str | None = None,
                 overrides: dict | None = None) -> list[tuple[str, str]]:
    """[(path, format)] after checking every file exists and every CSV header maps;
    raises UnusableInput otherwise (so a bad second file stops the run before the
    first is sent)."""
    if fmt is not None and fmt not in FORMATS:
        raise UnusableInput(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    found = []
    for path in paths:
        if not os.path.isfile(path):
            raise UnusableInput(f"{path}: no such file")
        try:
            kind = fmt or detect_format(path)
            if kind == "csv":
                with _csv_reader(path, path) as (_, header):
                    resolve_columns(header, preset, overrides or {}, path)
        except OSError as e:
            raise UnusableInput(f"{path}: cannot read: {e.strerror}") from None
        found.append((path, kind))
    return found
