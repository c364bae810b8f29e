"""What REST would have done with one sale seen under `shadow`: values only.

A `ShadowOutcome` is written by the shadow evaluation (bridge.migrate.phases) into the
journal next to the redacted sale, and read back by the readiness report
(bridge.migrate.report). It holds item codes, quantities and customer ids, never a
password or a token.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# What would happen to the customer under REST (see deliver's customer steps).
CUSTOMER_FOUND = "found"            # customerStatus knows the POS customer id
CUSTOMER_LINK = "would_link"        # searchCustomer finds an Astro customer to link
CUSTOMER_CREATE = "would_create"    # nobody found: addCustomer would create one

# What would happen to one line of addTransactionBatch.
LINE_PUNCHED = "punched"
LINE_NO_ITEM = "No Item Found"      # Astro's message for a code in no enrolled program


@dataclass(frozen=True)
class LineOutcome:
    """One line of the sale as REST would send it, and whether Astro would take it.

    `hint` names a near miss: the code is the EAN-13 of a listed UPC-A (or the other
    way round), so the store's UPC-A conversion setting is the fix, not the programs.
    `hint_code` is the form of the code that Astro does list.
    """

    index: int
    item_code: str
    qty: int
    result: str
    program: str | None = None
    hint_code: str | None = None

    @property
    def fails(self) -> bool:
        return self.result != LINE_PUNCHED

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "item_code": self.item_code, "qty": self.qty,
                "result": self.result, "program": self.program,
                "hint_code": self.hint_code}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LineOutcome":
        return cls(index=int(d["index"]), item_code=str(d["item_code"]),
                   qty=int(d["qty"]), result=str(d["result"]),
                   program=d.get("program"), hint_code=d.get("hint_code"))


@dataclass(frozen=True)
class ShadowOutcome:
    """The dry run of one sale.

    `error` is set when the evaluation itself could not finish (Astro unreachable, an
    unexpected answer): then nothing is known about the sale and the report counts it
    as not evaluated. `points_dollars` is the amount REST would send to
    addPointsByDollar (None when the store has points off or the sale no subtotal).
    """

    customer: str | None
    customer_id: str | None
    customer_name: str | None = None
    lines: tuple[LineOutcome, ...] = ()
    points_dollars: Decimal | None = None
    error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def evaluated(self) -> bool:
        return self.error is None

    @property
    def fully_succeeds(self) -> bool:
        """True when every line would punch and the customer would be found or made."""
        return self.evaluated and not any(line.fails for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "customer_id": self.customer_id,
                "customer_name": self.customer_name,
                "lines": [line.to_dict() for line in self.lines],
                "points_dollars": (None if self.points_dollars is None
                                   else str(self.points_dollars)),
                "error": self.error, "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ShadowOutcome":
        pd = d.get("points_dollars")
        return cls(customer=d.get("customer"), customer_id=d.get("customer_id"),
                   customer_name=d.get("customer_name"),
                   lines=tuple(LineOutcome.from_dict(x) for x in d.get("lines", ())),
                   points_dollars=None if pd is None else Decimal(pd),
                   error=d.get("error"), notes=tuple(d.get("notes", ())))

    @classmethod
    def failed(cls, error: str) -> "ShadowOutcome":
        """An evaluation that could not finish; `error` must carry no secret."""
        return cls(customer=None, customer_id=None, error=error)


@dataclass(frozen=True)
class MigrationRecord:
    """A sale the bridge saw under `passthrough` or `shadow`, as the journal keeps it.

    The sale already reached Astro through the legacy URL: its steps are `skipped`, it
    never enters the delivery queue. `id` is its sale key (or the journal's id of an
    unreadable query). `sale` is the redacted printable form (LegacySale.to_printable,
    no password), or None when the query did not parse; then `problem` names the
    parameter at fault. `outcome` is the shadow dry run (None under passthrough, or
    while it is still queued).
    """

    id: str
    store: str
    phase: str
    received_at: datetime.datetime
    sale: dict[str, Any] | None
    problem: str | None
    outcome: ShadowOutcome | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "MigrationRecord":
        """From the journal's plain mapping (JSON columns already decoded)."""
        outcome = row.get("outcome")
        return cls(id=str(row["id"]), store=row["store"], phase=row["phase"],
                   received_at=row["received_at"], sale=row.get("sale"),
                   problem=row.get("problem"),
                   outcome=None if outcome is None else ShadowOutcome.from_dict(outcome))

