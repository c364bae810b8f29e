"""From a legacy sale to a delivery Plan: which REST steps, with which ids. Pure.

Public interface::

    sale_key_for(store, sale) -> str | None      # "<store>-<SaleID>" (refund: "...-R")
    original_sale_key(store, sale) -> str | None # the sale a refund takes items back from
    plan_sale(sale, store, sale_key, *, today, original=None) -> Plan
    fingerprint(sale, store, *, today=None) -> str   # same sale? (double click, SaleID)
    sale_date(sale, store, today) -> date
    sale_kind(sale) -> SALE | REFUND | RETURN        # how receipts and logs name it

A Plan is a tuple of Steps, numbered from 0, executed in order by `bridge.delivery`;
one typed Step per kind (CustomerStep, TransactionsStep, PointsStep, RemoveStep):

- ``customer``: make sure the POS customer is linked in Astro (customerStatus; else
  searchCustomer by email, then phone, and linkCustomer; else addCustomer). Carries the
  customer fields. Always step 0.
- ``transactions``: one addTransactionBatch with every positive line of a sale;
  transactionID = ``<sale key>-<line index>``, item_transaction_date = the sale's day in
  the store's time zone, saleID = the sale key, item_amount left out.
- ``points``: addPointsByDollar of the SubTotal, when the store runs points and the sale
  has a non-zero SubTotal. A refund deducts: the amount is -|SubTotal|.
- ``remove_transaction``: (refunds only) take a line of the original sale off the cards.

Every id is fixed here, so a retry of the same plan sends the same ids.

Refunds (decision; DESIGN.md is silent): a refund sends no transactions. Its lines are
`manual_removals` for staff, except when the store has `refund_remove_items` on and the
caller passes the ORIGINAL sale's plan: then each refund line is matched, by item code,
against the original's transaction lines (quantities are used up line by line, in order)
and becomes a `remove_transaction` step for the original transactionID (quantity left
out when the whole line goes). What cannot be matched stays a manual removal. The
original is named by an ``OriginalSaleID`` parameter (kept by the parser as an unknown
parameter) or else by the refund's own SaleID, which covers POSes that send the original
sale number with the Refund button. So a refund's own key gets a ``-R`` suffix: it must
never collide with the sale it refunds. Lines with a negative quantity in an ordinary
sale are returned items: also manual removals, never sent.

May import: legacy_qs and bridge.config (pure: no I/O).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, Union, overload

from legacy_qs import Customer

if TYPE_CHECKING:  # pragma: no cover
    from bridge.config import Store
    from legacy_qs import LegacySale

CUSTOMER = "customer"
TRANSACTIONS = "transactions"
POINTS = "points"
REMOVE_TRANSACTION = "remove_transaction"
STEP_KINDS = (CUSTOMER, TRANSACTIONS, POINTS, REMOVE_TRANSACTION)

SALE, REFUND, RETURN = "sale", "refund", "return"

ORIGINAL_SALE_PARAM = "OriginalSaleID"
REFUND_KEY_SUFFIX = "-R"


@dataclass(frozen=True)
class TransactionLine:
    """One line of an addTransactionBatch."""
    transaction_id: str
    line_index: int
    item_code: str
    qty: int
    description: str | None = None


@dataclass(frozen=True)
class ManualRemoval:
    """A card line staff must take off by hand (refunds, returned items)."""
    line_index: int
    item_code: str
    qty: int                      # how many to remove, > 0
    description: str | None = None


@dataclass(frozen=True)
class CustomerStep:
    """Make sure the POS customer is linked in Astro (always step 0)."""
    kind: ClassVar[str] = CUSTOMER
    n: int
    customer_id: str
    customer: Customer                           # the POS customer fields


@dataclass(frozen=True)
class TransactionsStep:
    """One addTransactionBatch with every positive line of the sale."""
    kind: ClassVar[str] = TRANSACTIONS
    n: int
    customer_id: str
    lines: tuple[TransactionLine, ...]
    transaction_date: str                        # YYYY-MM-DD, the store's zone
    sale_id: str                                 # saleID sent to Astro (the sale key)


@dataclass(frozen=True)
class PointsStep:
    """addPointsByDollar of the SubTotal (negative deducts: a refund)."""
    kind: ClassVar[str] = POINTS
    n: int
    customer_id: str
    dollar_amount: Decimal


@dataclass(frozen=True)
class RemoveStep:
    """removeTransaction of a line of the original sale (refunds)."""
    kind: ClassVar[str] = REMOVE_TRANSACTION
    n: int
    customer_id: str
    transaction_id: str
    item_code: str                               # for reports
    quantity: int | None = None                  # None: the whole line


Step = Union[CustomerStep, TransactionsStep, PointsStep, RemoveStep]
S = TypeVar("S", CustomerStep, TransactionsStep, PointsStep, RemoveStep)


def step_as(step: Step | None, kind: type[S]) -> S:
    """`step`, which the caller knows is a `kind` step (e.g. the journal's record of it
    says so); TypeError, naming both kinds, when it is not."""
    if not isinstance(step, kind):
        got = "no step" if step is None else f"a {step.kind} step"
        raise TypeError(f"expected a {kind.kind} step, got {got}")
    return step


def step_to_dict(step: Step) -> dict:
    """JSON-able form of a step (money as a string); `step_from_dict` is its inverse."""
    d = {"kind": step.kind, **asdict(step)}
    if isinstance(step, PointsStep):
        d["dollar_amount"] = str(step.dollar_amount)
    return d


def step_from_dict(d: dict) -> Step:
    """The step of a stored dict (also those stored before steps were typed, which
    carried every field of every kind)."""
    kind, n, customer_id = d["kind"], d["n"], d["customer_id"]
    if kind == CUSTOMER:
        return CustomerStep(n, customer_id, Customer(**d["customer"]))
    if kind == TRANSACTIONS:
        return TransactionsStep(n, customer_id,
                                tuple(TransactionLine(**ln) for ln in d.get("lines") or ()),
                                d["transaction_date"], d["sale_id"])
    if kind == POINTS:
        return PointsStep(n, customer_id, Decimal(d["dollar_amount"]))
    if kind == REMOVE_TRANSACTION:
        return RemoveStep(n, customer_id, d["transaction_id"], d.get("item_code") or "",
                          d.get("quantity"))
    raise ValueError(f"unknown step kind {kind!r}")


@dataclass(frozen=True)
class Plan:
    """Everything the bridge will send for one sale, with every id fixed."""
    sale_key: str
    store_id: str
    customer_id: str
    refund: bool
    transaction_date: str                        # the sale's day, YYYY-MM-DD, store zone
    steps: tuple[Step, ...]
    manual_removals: tuple[ManualRemoval, ...] = ()
    original_sale_key: str | None = None         # refunds matched against an original

    def step(self, n: int) -> Step:
        return self.steps[n]

    def step_of(self, n: int, kind: type[S]) -> S:
        """Step `n`, which must be a `kind` step (TypeError otherwise, see `step_as`)."""
        return step_as(self.steps[n], kind)

    def customer_step(self) -> CustomerStep:
        """Step 0: every plan starts by making sure of its customer."""
        return self.step_of(0, CustomerStep)

    def transaction_ids(self) -> tuple[str, ...]:
        return tuple(ln.transaction_id for s in self.steps
                     if isinstance(s, TransactionsStep) for ln in s.lines)

    def points_step(self) -> PointsStep | None:
        return next((s for s in self.steps if isinstance(s, PointsStep)), None)

    def to_dict(self) -> dict:
        """JSON-able form (money as strings); `Plan.from_dict` is its inverse."""
        return {
            "sale_key": self.sale_key, "store_id": self.store_id,
            "customer_id": self.customer_id, "refund": self.refund,
            "transaction_date": self.transaction_date,
            "steps": [step_to_dict(s) for s in self.steps],
            "manual_removals": [asdict(m) for m in self.manual_removals],
            "original_sale_key": self.original_sale_key,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        return cls(
            sale_key=d["sale_key"], store_id=d["store_id"], customer_id=d["customer_id"],
            refund=d["refund"], transaction_date=d["transaction_date"],
            steps=tuple(step_from_dict(s) for s in d["steps"]),
            manual_removals=tuple(ManualRemoval(**m) for m in d.get("manual_removals", ())),
            original_sale_key=d.get("original_sale_key"))


def sale_key_for(store: "Store", sale: "LegacySale") -> str | None:
    """`<store>-<SaleID>` when the POS sent a SaleID (a refund's key ends in `-R`), else
    None: the caller then takes a new key from `Journal.new_sale_key`."""
    if not sale.sale_id:
        return None
    key = f"{store.id}-{sale.sale_id}"
    return key + REFUND_KEY_SUFFIX if sale.refund else key


def sale_kind(sale: "LegacySale") -> str:
    """REFUND for a sale sent with Refund=1; RETURN for a negative SubTotal without it
    (points are deducted; its lines are planned as any sale's: an item bought punches,
    one given back is a manual removal); SALE otherwise."""
    if sale.refund:
        return REFUND
    return RETURN if sale.subtotal is not None and sale.subtotal < 0 else SALE


def original_sale_key(store: "Store", sale: "LegacySale") -> str | None:
    """For a refund in a store with `refund_remove_items` on: the key of the sale it
    refunds (OriginalSaleID, else its own SaleID), so the caller can look up that sale's
    plan in the journal and pass it to `plan_sale`. None otherwise."""
    if not sale.refund or not store.refund_remove_items:
        return None
    ref = _extra(sale, ORIGINAL_SALE_PARAM) or sale.sale_id
    return f"{store.id}-{ref}" if ref else None


@overload
def sale_date(sale: LegacySale, store: Store, today: dt.date) -> dt.date: ...
@overload
def sale_date(sale: LegacySale, store: Store, today: dt.date | None) -> dt.date | None: ...
def sale_date(sale: LegacySale, store: Store, today: dt.date | None) -> dt.date | None:
    """The sale's day in the store's time zone: an aware date-time is converted to the
    store's zone, a naive one is taken as store-local, no date at all is `today`."""
    when = sale.date
    if when is None:
        return today
    if isinstance(when, dt.datetime):
        if when.tzinfo is not None:
            when = when.astimezone(store.tz)
        return when.date()
    return when


def plan_sale(sale: "LegacySale", store: "Store", sale_key: str, *, today: dt.date,
              original: Plan | None = None) -> Plan:
    """The ordered steps that deliver `sale` for `store` under `sale_key`.

    `today` is the caller's current day in the store's time zone (used when the sale has
    no date). `original` is the plan of the sale a refund refunds (see the module
    docstring); it is used only for refunds of stores with `refund_remove_items`.
    Same arguments, same plan.
    """
    c = sale.customer
    customer_id = c.id
    day = sale_date(sale, store, today).isoformat()
    steps: list[Step] = [CustomerStep(0, customer_id, c)]
    manual: list[ManualRemoval] = []
    matched_original = None

    if sale.refund:
        wanted = [ManualRemoval(ln.index, ln.upc, abs(ln.qty), ln.description)
                  for ln in sale.lines]
        if (original is not None and store.refund_remove_items
                and original.customer_id == customer_id):
            matched_original = original.sale_key
            removals, manual = _match_removals(wanted, original)
            for transaction_id, item_code, quantity in removals:
                steps.append(RemoveStep(len(steps), customer_id, transaction_id,
                                        item_code, quantity))
        else:
            manual = wanted
    else:
        lines = tuple(TransactionLine(f"{sale_key}-{ln.index}", ln.index, ln.upc, ln.qty,
                                      ln.description)
                      for ln in sale.lines if ln.qty > 0)
        manual = [ManualRemoval(ln.index, ln.upc, -ln.qty, ln.description)
                  for ln in sale.lines if ln.qty < 0]
        if lines:
            steps.append(TransactionsStep(len(steps), customer_id, lines, day, sale_key))

    if store.points and sale.subtotal is not None and sale.subtotal != 0:
        # copy_* are exact: abs() and - round to the context's 28 digits.
        amount = sale.subtotal.copy_abs().copy_negate() if sale.refund else sale.subtotal
        steps.append(PointsStep(len(steps), customer_id, amount))

    return Plan(sale_key=sale_key, store_id=store.id, customer_id=customer_id,
                refund=sale.refund, transaction_date=day, steps=tuple(steps),
                manual_removals=tuple(manual), original_sale_key=matched_original)


def fingerprint(sale: "LegacySale", store: "Store", *, today: dt.date | None = None) -> str:
    """A stable hash of what was sold: store, customer, each line's item code and
    quantity in order, subtotal, refund, and the day the sale counts for (its date in the
    store's zone; `today` for a sale without one). Two requests with the same fingerprint
    are the same sale: a double click within the dedupe window, or a SaleID seen again.
    Left out is what can differ between a click and a POS export of one sale: the login,
    names, email, phone, descriptions, warnings."""
    day = sale_date(sale, store, today) if sale.date is not None or today else None
    what = {"store": store.id, "customer": sale.customer.id,
            "lines": [[ln.upc, ln.qty] for ln in sale.lines],
            "subtotal": None if sale.subtotal is None else str(sale.subtotal),
            "refund": sale.refund, "day": day.isoformat() if day else None}
    text = json.dumps(what, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _extra(sale: "LegacySale", name: str) -> str | None:
    for key, value in sale.extra:
        if key.lower() == name.lower() and value.strip():
            return value.strip()
    return None


def _match_removals(wanted: list[ManualRemoval], original: Plan):
    """Match refund lines to the original's transaction lines by item code.

    Returns ([(transaction_id, item_code, quantity|None)], [unmatched ManualRemoval]).
    """
    remaining: dict[str, list[Any]] = {}             # transaction_id -> [line, qty left]
    for step in original.steps:
        if isinstance(step, TransactionsStep):
            for line in step.lines:
                remaining[line.transaction_id] = [line, line.qty]
    removals: list[tuple[str, str, int | None]] = []
    unmatched: list[ManualRemoval] = []
    for want in wanted:
        need = want.qty
        for transaction_id, slot in remaining.items():
            line, left = slot
            if need == 0:
                break
            if line.item_code != want.item_code or left == 0:
                continue
            take = min(need, left)
            whole = take == line.qty
            removals.append((transaction_id, line.item_code, None if whole else take))
            slot[1] -= take
            need -= take
        if need:
            unmatched.append(ManualRemoval(want.line_index, want.item_code, need,
                                           want.description))
    return removals, unmatched
