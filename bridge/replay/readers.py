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
                line: int, ordinal: int) -> StagedRow:
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
        return StagedRow(group, 0, customer, day, file, line, None, error)
    first, last = get("first_name"), get("last_name")
    if "name" in cmap.index:
        first, last = _split_name(get("name"))
    query = {"CustomerID": customer, "FirstName": first, "LastName": last,
             "Email": get("email"), "Phone": get("phone"), "UPC1": get("item_code"),
             "Description1": get("description"), "Qty1": get("qty"),
             "SubTotal": get("subtotal"), "SaleID": sale_id, "Date": day}
    try:
        sale = parse({k: v for k, v in query.items() if v})
    except LegacyQSError as e:
        field = _PARAM_FIELD.get(e.param)
        column = header[cmap.index[field]] if field in cmap.index else e.param
        return StagedRow(group, 0, customer, day, file, line, None, f"{column}: {e.problem}")
    return StagedRow(group, 0, customer, day, file, line, _dump(sale), None)


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
        for values in reader:
            line, end = end + 1, reader.line_num  # a quoted field may span lines
            if not any(v.strip() for v in values):
                continue
            yield _csv_record(values, cmap, header, file, line, next(ordinals))


def _whole_sale(sale: LegacySale | None, error: str | None, store: str, file: str,
                line: int, ordinal: int) -> StagedRow:
    if sale is not None and error is None:
        if sale.store and sale.store != store:
            error = f"Store: sale is for store {sale.store!r}, not {store!r}"
        elif sale.date is None:
            error = NEEDS_DATE
    if sale is None or error:
        return StagedRow(f"x:{ordinal}", ordinal, "", "", file, line, None, error)
    day = sale.date.isoformat()[:10]
    group = f"s:{sale.sale_id}" if sale.sale_id else f"h:{content_hash(sale)}"
    return StagedRow(group, ordinal, sale.customer.id, day, file, line, _dump(sale), None)


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
        yield _whole_sale(sale, error, store, file, number, next(ordinals))


def read_jsonl(path: str, file: str, store: str, ordinals) -> Iterator[StagedRow]:
    """One sale per non-blank line in the printable form."""
    for number, text in _lines(path):
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
        yield _whole_sale(sale, error, store, file, number, next(ordinals))


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
