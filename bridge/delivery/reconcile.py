"""Was an award whose answer was lost applied? Pure: snapshots and histories in, a
decision out.

`reconcile_points` compares the customer's points history now with the snapshot kept
before the award was sent (`PointsSnapshot`: which transactions existed, and the balance
they sum to). Every transaction the journal attributes to another sale is ignored; one
attributed to this sale means applied. Of the rest (unexplained):

- none: not applied (the award is sent again, once);
- exactly one, of the right amount: applied (it is this sale's);
- anything else: undecided. An award the bridge did not make (another channel) is in
  the history, and a person decides, with the evidence (`Reconciliation.evidence`).

The right amount: the sign of the dollars and, when the store's earlier awards tell the
points per dollar (Astro rounds toward zero), points within what that rate gives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

APPLIED, NOT_APPLIED, UNDECIDED = "applied", "not_applied", "undecided"
BEFORE_SHOWN = 3          # evidence: this many transactions from before the award


@dataclass(frozen=True)
class Reconciliation:
    decision: str                       # APPLIED | NOT_APPLIED | UNDECIDED
    transaction_id: str | None = None   # APPLIED: the award's points transaction
    points: int | None = None
    why: str = ""
    evidence: tuple[dict, ...] = ()     # the history around the award (see below)


def points_range(amount: Decimal, rates: Iterable[tuple[Decimal, int]]) -> tuple[int, int | None]:
    """(least, most) points an award of `amount` dollars may give, in absolute value, for
    a rate consistent with every (dollars, points) of `rates`; most None: no bound. Rates
    that contradict each other (e.g. a promotion) bound nothing."""
    low, high = Fraction(0), None
    for dollars, points in rates:
        d = abs(Fraction(dollars))
        if d == 0 or points is None:
            continue
        p = abs(points)
        low = max(low, Fraction(p) / d)
        top = Fraction(p + 1) / d
        high = top if high is None else min(high, top)
    if high is not None and low >= high:
        low, high = Fraction(0), None
    a = abs(Fraction(amount))
    least = math.floor(a * low)
    return least, None if high is None else max(least, math.ceil(a * high) - 1)


def amount_matches(amount: Decimal, points: int | None, rates) -> bool:
    """Could `points` be what an award of `amount` dollars gave?"""
    if points is None:
        return True
    if (amount > 0 and points < 0) or (amount < 0 and points > 0):
        return False
    least, most = points_range(amount, rates)
    return least <= abs(points) and (most is None or abs(points) <= most)


def reconcile_points(snapshot, balance: int | None, transactions: Sequence, amount: Decimal, *,
                     sale_key: str, attributed: Mapping[str, str],
                     rates: Sequence[tuple[Decimal, int]] = ()) -> Reconciliation:
    """Decide an uncertain award of `amount` dollars for `sale_key` (module docstring).

    `snapshot`: the PointsSnapshot kept before the award was sent (None: unknown);
    `balance`, `transactions`: the customer's points now (PointsTransaction values, in
    Astro's order); `attributed`: points transaction id -> sale key, from the journal.
    The evidence lists the transactions new since the snapshot and the few before them:
    {"id", "date", "description", "points", "sale" (attributed, or None), "new"}.
    """
    if snapshot is None:
        return Reconciliation(UNDECIDED, why="nothing is known of the customer's points "
                                             "before the award was sent")
    before = set(snapshot.transaction_ids)
    listed = [t for t in transactions if t.points_transaction_id]
    new = [t for t in listed if str(t.points_transaction_id) not in before]
    first_new = listed.index(new[0]) if new else len(listed)
    shown = listed[max(0, first_new - BEFORE_SHOWN):first_new] + new
    evidence = tuple({"id": str(t.points_transaction_id), "date": t.date,
                      "description": t.description, "points": t.points,
                      "sale": attributed.get(str(t.points_transaction_id)),
                      "new": str(t.points_transaction_id) not in before} for t in shown)
    mine = [t for t in new if attributed.get(str(t.points_transaction_id)) == sale_key]
    if mine:
        return Reconciliation(APPLIED, str(mine[0].points_transaction_id), mine[0].points,
                              "the history holds this sale's award", evidence)
    if (snapshot.balance is not None and balance is not None
            and all(t.points is not None for t in new)
            and sum(t.points for t in new) != balance - snapshot.balance):
        return Reconciliation(UNDECIDED, why="the points history does not add up to the "
                                             "balance", evidence=evidence)
    unexplained = [t for t in new if str(t.points_transaction_id) not in attributed]
    if not unexplained:
        return Reconciliation(NOT_APPLIED, why="no new points transaction but other sales'",
                              evidence=evidence)
    if len(unexplained) == 1 and amount_matches(amount, unexplained[0].points, rates):
        t = unexplained[0]
        return Reconciliation(APPLIED, str(t.points_transaction_id), t.points,
                              "one new points transaction, of this sale's amount", evidence)
    return Reconciliation(UNDECIDED, why=f"{len(unexplained)} points transaction(s) the "
                                         f"bridge did not make", evidence=evidence)
