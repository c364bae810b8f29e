"""CSV layouts: which column holds which field of a line item.

A replay CSV has one row per line item. The fields are those of the legacy button
(`FIELDS`); `name` is a full customer name split into first and last name when a POS
exports only that. Presets name the columns of common POS line-item exports; `generic`
matches our own field names and common spellings. Column names compare without case,
spaces, dashes or underscores ("Sale ID" == "sale_id" == "SaleID"). `--map
field=Column` overrides any preset.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.replay.errors import UnusableInput

FIELDS = ("sale_id", "date", "customer_id", "first_name", "last_name", "name", "email",
          "phone", "item_code", "description", "qty", "subtotal")
# Without these a row cannot become a sale (the date is the sale's own date in Astro).
REQUIRED = ("customer_id", "date", "item_code")


@dataclass(frozen=True)
class Preset:
    """A POS export layout. `columns` gives, per field, the header names to look for
    (the first one present wins); `signature` are headers that identify the layout."""

    name: str
    signature: tuple[str, ...]
    columns: dict


PRESETS = {
    # Lightspeed Retail: sales report "line items" export.
    "lightspeed": Preset(
        name="lightspeed",
        signature=("Sale ID", "Customer ID", "Qty"),
        columns={
            "sale_id": ("Sale ID",),
            "date": ("Date", "Sale Date", "Time Stamp"),
            "customer_id": ("Customer ID",),
            "first_name": ("First Name", "Customer First Name"),
            "last_name": ("Last Name", "Customer Last Name"),
            "email": ("Email", "Customer Email"),
            "phone": ("Phone", "Mobile", "Customer Phone"),
            "item_code": ("UPC", "EAN", "Custom SKU", "System ID"),
            "description": ("Description", "Item"),
            "qty": ("Qty", "Quantity"),
            "subtotal": ("Subtotal", "Total"),
        },
    ),
    # Square: "Item details" export (one row per item sold; no email or phone).
    "square": Preset(
        name="square",
        signature=("Transaction ID", "Customer ID", "Gross Sales"),
        columns={
            "sale_id": ("Transaction ID",),
            "date": ("Date",),
            "customer_id": ("Customer ID",),
            "name": ("Customer Name",),
            "item_code": ("SKU", "GTIN"),
            "description": ("Item",),
            "qty": ("Qty",),
            "subtotal": ("Net Sales", "Gross Sales"),
        },
    ),
    # Our own field names and the usual spellings of them.
    "generic": Preset(
        name="generic",
        signature=(),
        columns={
            "sale_id": ("sale_id", "SaleID", "TransactionID", "Order ID", "Receipt", "Invoice"),
            "date": ("date", "Sale Date", "Order Date"),
            "customer_id": ("customer_id", "CustomerID", "Customer Number", "Customer Code"),
            "first_name": ("first_name", "FirstName"),
            "last_name": ("last_name", "LastName"),
            "name": ("name", "Customer Name", "Customer"),
            "email": ("email", "Email Address", "E-mail"),
            "phone": ("phone", "Phone Number", "Mobile"),
            "item_code": ("item_code", "UPC", "SKU", "Item Code", "Barcode", "GTIN", "EAN"),
            "description": ("description", "Item", "Item Name", "Product"),
            "qty": ("qty", "Quantity"),
            "subtotal": ("subtotal", "Amount", "Line Total", "Total", "Price"),
        },
    ),
}


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class ColumnMap:
    """Which column index holds each field (fields absent from the file are missing)."""

    preset: str
    index: dict

    def describe(self, header: list[str]) -> str:
        return ", ".join(f"{f}={header[i]}" for f, i in self.index.items())


def detect_preset(header: list[str]) -> str:
    """The first preset whose signature columns are all in `header` and that finds a
    column for every required field; `generic` otherwise."""
    have = {_norm(h) for h in header}
    for preset in PRESETS.values():
        if preset.signature and all(_norm(s) in have for s in preset.signature) and all(
                any(_norm(c) in have for c in preset.columns.get(field, ()))
                for field in REQUIRED):
            return preset.name
    return "generic"


def parse_map_options(options: tuple[str, ...] | list[str]) -> dict:
    """`("qty=Units", ...)` -> `{"qty": "Units"}`; raises UnusableInput on a bad one."""
    mapping = {}
    for option in options:
        field, sep, column = option.partition("=")
        field = field.strip().lower().replace("-", "_")
        if not sep or not column.strip():
            raise UnusableInput(f"--map {option!r}: expected field=Column")
        if field not in FIELDS:
            raise UnusableInput(f"--map {option!r}: unknown field {field!r} "
                                f"(fields: {', '.join(FIELDS)})")
        mapping[field] = column.strip()
    return mapping


def resolve_columns(header: list[str], preset: str | None, overrides: dict,
                    file: str = "") -> ColumnMap:
    """Map fields to column indexes of `header` with `preset` (detected when None) and
    the `--map` overrides; raises UnusableInput when a mapped column is missing or a
    required field has no column."""
    where = f"{file}: " if file else ""
    if preset is None:
        preset = detect_preset(header)
    elif preset not in PRESETS:
        raise UnusableInput(f"unknown preset {preset!r} (presets: {', '.join(PRESETS)})")
    position = {}
    for i, h in enumerate(header):
        position.setdefault(_norm(h), i)
    index = {}
    for field, candidates in PRESETS[preset].columns.items():
        for candidate in candidates:
            if _norm(candidate) in position:
                index[field] = position[_norm(candidate)]
                break
    for field, column in overrides.items():
        if _norm(column) not in position:
            raise UnusableInput(f"{where}--map {field}={column}: no column {column!r} "
                                f"in the header")
        index[field] = position[_norm(column)]
    if "name" in overrides:  # a mapped full name beats the preset's name columns
        for field in ("first_name", "last_name"):
            if field not in overrides:
                index.pop(field, None)
    elif "first_name" in index or "last_name" in index:
        index.pop("name", None)  # explicit name columns beat a full name
    for field in REQUIRED:
        if field not in index:
            raise UnusableInput(f"{where}no column for {field} with preset {preset} "
                                f"(use --map {field}=COLUMN)")
    return ColumnMap(preset=preset, index=index)
