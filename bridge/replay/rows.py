"""The values replay passes around: where a record came from, a staged input record,
and the outcome of one sale."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A place in the input: file name as given on the command line, 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class StagedRow:
    """One input record as staged in the journal before grouping.

    `group` says which sale the record belongs to: `s:<sale id>` (rows sharing a sale
    id), `c:<customer>|<date>` (CSV rows without a sale id), `h:<content hash>` (a
    whole sale without sale id), `x:<n>` (a record too broken to group).
    `unit` is 0 for CSV rows (all rows of a group make one sale) and the record's
    ordinal for whole-sale records (URL or JSON lines: each line is one sale even when
    two lines share a group). `customer` and `day` (ISO date) order the sales.
    `payload` is the record as a printable-form sale (no password ever); `error` is
    why the record is invalid, or None. `items` is how many line items the record
    holds (a CSV row is one; a whole sale has its lines); it is not staged.
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
