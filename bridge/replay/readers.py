"""Input readers: each input record (CSV row, URL line, JSON line) becomes one
`StagedRow`, valid or carrying the reason it is invalid. Readers stream: they hold one
record at a time, whatever the file's size.

Formats:
- `csv`: one row per line item, columns mapped by a preset (see `presets`) and `--map`;
  each row is checked with the legacy button rules (legacy_qs.parse) as a one-line sale.
- `urls`: one legacy button URL or bare query string per line (blank lines and lines
  starting with `#` are skipped).
- `jsonl`: one sale per line in the printable form (`LegacySale.from_printable`).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import json
import os
import re
from typing import Iterator

from legacy_qs import LegacyQSError, LegacySale, parse
from legacy_qs.decoding import to_pairs
from legacy_qs.names import classify

from bridge.replay.errors import UnusableInput
from bridge.replay.grouping import content_hash
from bridge.replay.presets import ColumnMap, resolve_columns
from bridge.replay.rows import StagedRow

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


def _dump(sale: LegacySale) -> str:
    data = sale.to_printable()  # never holds the password
    if sale.date is not None:
        # The printable form keeps only the day; the plan needs the full value (an
        # aware date-time is converted to the store's zone), and from_printable takes it.
        data["date"] = sale.date.isoformat()
    if sale.extra:  # unknown parameters travel on, as the bridge passes them through
        data["extra"] = [list(pair) for pair in sale.extra]
    return json.dumps(data, separators=(",", ":"))


def _csv_record(values: list[str], cmap: ColumnMap, header: list[str], file: str,
                line: int, ordinal: int, shape: str | None = None) -> StagedRow:
    """`shape`: what is wrong with the row's columns (see `_shape`), when something is;
    it is the reason given when the row is invalid (its values are then misplaced)."""
    def get(field):
        i = cmap.index.get(field)
        return values[i].strip() if i is not None and i < len(values) else ""

    sale_id, customer = get("sale_id"), get("customer_id")
    day, error = "", None
    if not get("date"):
        error = NEEDS_DATE
    else:
        try:
            day = normalize_date(get("date"))
        except ValueError as e:
            error = f"{header[cmap.index['date']]}: {e}"
    if sale_id:
        group = f"s:{sale_id}"
    elif customer and day:
        group = f"c:{customer}|{day}"
    else:
        group = f"x:{ordinal}"  # cannot tell which sale it belongs to: alone
    if error:
        return StagedRow(group, 0, customer, day, file, line, None, shape or error, 1)
    first, last = get("first_name"), get("last_name")
    if "name" in cmap.index:
        first, last = _split_name(get("name"))
    query = {"CustomerID": customer, "FirstName": first, "LastName": last,
             "Email": get("email"), "Phone": get("phone"), "UPC1": get("item_code"),
             "Description1": get("description"), "Qty1": get("qty"),
             "SubTotal": get("subtotal"), "SaleID": sale_id, "Date": day}
    try:
        # UPC1 is given even when empty: a description or qty without an item code is
        # a skipped line with a warning, as in a button URL, not an error.
        sale = parse({k: v for k, v in query.items() if v or k == "UPC1"})
    except LegacyQSError as e:
        field = _PARAM_FIELD.get(e.param)
        column = header[cmap.index[field]] if field in cmap.index else e.param
        return StagedRow(group, 0, customer, day, file, line, None,
                         shape or f"{column}: {e.problem}", 1)
    if shape and "unterminated" in shape:
        # The rest of the file went into one field: the row cannot be trusted.
        return StagedRow(group, 0, customer, day, file, line, None, shape, 1)
    return StagedRow(group, 0, customer, day, file, line, _dump(sale), None, 1)


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
    """Rows of a line-item CSV. Raises UnusableInput (before yielding anything) when
    the header cannot be mapped."""
    with _csv_reader(path, file) as (reader, header):
        cmap = resolve_columns(header, preset, overrides, file)
        end = reader.line_num
        values = next(reader, None)
        while values is not None:
            line, end = end + 1, reader.line_num  # a quoted field may span lines
            following = next(reader, None)        # None: this is the last record
            if any(v.strip() for v in values):
                shape = _shape(values, header, line, following is None)
                yield _csv_record(values, cmap, header, file, line, next(ordinals), shape)
            values = following


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
    return StagedRow(group, ordinal, sale.customer.id, day, file, line, _dump(sale), None,
                     len(sale.lines))


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
