"""CSV rows a spreadsheet opens as text, never as formulas (OWASP: CSV injection).

Every CSV the bridge writes (the failure report's export, replay's --report) goes
through `safe_row`: customer names, item codes and Astro's messages come from outside.

May import: the standard library only.
"""
from typing import Any, Iterable

# A cell that starts with one of these is run as a formula by Excel, LibreOffice or
# Google Sheets (tab and carriage return let one hide behind them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` for a CSV cell: text that starts like a formula gets a leading `'`, so it
    shows as the text it is; None is an empty cell; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list:
    """Each value of a CSV row through `safe_cell`."""
    return [safe_cell(v) for v in values]
