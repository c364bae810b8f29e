"""Points, exactly once: what the journal keeps so that a customer's points awards are
sent one at a time and an award whose answer was lost is reconciled exactly.

- The queue: each points step of a sale, in the order the sales were recorded. An award
  starts only when no earlier award of the customer is open (pending or uncertain) and
  no other is in flight: `begin_points_award` takes the customer's turn and marks the
  step uncertain before the call (write-ahead), in one transaction, only while the
  caller's lease on the sale holds. The turn is given back, and the next sale of the
  customer made due, in the transaction that moves the step out of `uncertain`.
- The snapshot: the customer's points as last seen (`PointsSnapshot`: the balance and
  the ids of the points transactions it sums), kept from each read of the customer
  (`note_points_read`) and each award the bridge made (`finish_points_award`), so no
  read is needed before an award.
- The attribution: which sale each points transaction the bridge made belongs to
  (`points_attributions`), and the dollars and points of each (`points_rates`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from bridge.journal.base import from_json, from_micros, micros, to_json, utcnow
from bridge.journal.sales import (DONE, OPEN_STATES, PENDING, SALE_PENDING, UNCERTAIN,
                                  UNDECIDED, SalesJournal, StepMove)
from bridge.translate import POINTS


@dataclass(frozen=True)
class PointsSnapshot:
    """A customer's points as the bridge last saw them: `balance` (None: unknown) and
    the ids of the points transactions that existed then."""
    balance: int | None
    transaction_ids: tuple[str, ...]
    taken_at: dt.datetime

    def to_dict(self) -> dict:
        return {"balance": self.balance, "transaction_ids": list(self.transaction_ids),
                "taken_at": self.taken_at.isoformat()}

    @classmethod
    def from_dict(cls, d: dict) -> "PointsSnapshot":
        return cls(d.get("balance"), tuple(str(i) for i in d.get("transaction_ids") or ()),
                   dt.datetime.fromisoformat(d["taken_at"]) if d.get("taken_at")
                   else utcnow())


@dataclass(frozen=True)
class PointsTurn:
    """The answer of `begin_points_award`: `snapshot` and `step` together, or exactly
    one of the others."""
    snapshot: PointsSnapshot | None = None   # the turn is taken; the step is uncertain
    step: StepMove | None = None             # ...as written (SaleRecord.after)
    waiting_for: str | None = None           # the earlier sale whose award is open
    needs_read: bool = False                 # no snapshot yet: read the customer's points
    lease_lost: bool = False                 # the caller no longer holds the sale

    @property
    def started(self) -> bool:
        return self.snapshot is not None


class PointsJournal(SalesJournal):
    """The points queue, snapshots and attributions (see the module docstring)."""

    def points_snapshot(self, store_id: str, customer_id: str) -> PointsSnapshot | None:
        """The customer's points as last seen, or None when never seen."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT balance, transaction_ids, taken_at_us FROM customer_points"
                " WHERE store_id = ? AND customer_id = ?", (store_id, customer_id)).fetchone()
        return None if row is None else _snapshot(row)

    def note_points_read(self, store_id: str, customer_id: str, balance: int | None,
                         transaction_ids: Iterable[str], at: dt.datetime) -> None:
        """Keep what a read of the customer's points showed; `at` is when the read was
        sent. A read sent before the snapshot kept now was taken is not kept."""
        ids = to_json([str(i) for i in transaction_ids])
        with self._write() as conn:
            self._lock_customer(conn, store_id, customer_id)
            conn.execute(
                "INSERT INTO customer_points (store_id, customer_id, balance,"
                " transaction_ids, taken_at_us) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (store_id, customer_id) DO UPDATE SET"
                " balance = excluded.balance, transaction_ids = excluded.transaction_ids,"
                " taken_at_us = excluded.taken_at_us"
                " WHERE customer_points.taken_at_us <= excluded.taken_at_us",
                (store_id, customer_id, balance, ids, micros(at)))

    def begin_points_award(self, sale_key: str, n: int, holder: str, *, store_id: str,
                           customer_id: str, result: dict,
                           wait_until: dt.datetime) -> PointsTurn:
        """Take the customer's turn for the points step `n` of `sale_key` and mark it
        uncertain with `result` plus the customer's snapshot, in one transaction, if
        `holder` holds the sale, no earlier award of the customer is open and none is in
        flight. Otherwise the step is left as it is and the answer says why; a sale that
        must wait for another's award is made due at `wait_until`, in the same
        transaction, so the wake-up of the award it waits for (which makes it due at
        once) is never overwritten."""
        with self._write() as conn:
            self._lock_customer(conn, store_id, customer_id)
            self._lock_sale(conn, sale_key)
            held = conn.execute("SELECT 1 FROM sales WHERE sale_key = ? AND claimed_by = ?",
                                (sale_key, holder)).fetchone()
            if held is None:
                return PointsTurn(lease_lost=True)
            queued = _queued(conn, sale_key, n)
            if queued is None:
                # Sales recorded before the queue existed join it now.
                conn.execute("INSERT INTO points_queue (store_id, customer_id, sale_key, n)"
                             " VALUES (?, ?, ?, ?) ON CONFLICT (sale_key, n) DO NOTHING",
                             (store_id, customer_id, sale_key, n))
                queued = _queued(conn, sale_key, n)
            if queued is not None and queued["open_sale"] is not None:
                return _waiting(conn, sale_key, queued["open_sale"], wait_until)
            row = conn.execute(
                "UPDATE customer_points SET turn = ? WHERE store_id = ? AND customer_id = ?"
                " AND (turn IS NULL OR turn = ?) RETURNING balance, transaction_ids,"
                " taken_at_us", (sale_key, store_id, customer_id, sale_key)).fetchone()
            if row is None:     # no snapshot yet, or another award's turn
                row = conn.execute("SELECT turn FROM customer_points WHERE store_id = ?"
                                   " AND customer_id = ?", (store_id, customer_id)).fetchone()
                if row is None:
                    return PointsTurn(needs_read=True)
                return _waiting(conn, sale_key, row["turn"], wait_until)
            snapshot = _snapshot(row)
            move = self._update_step(conn, sale_key, n, UNCERTAIN,
                                     {**result, "snapshot": snapshot.to_dict()},
                                     "sending addPointsByDollar")
            return PointsTurn(snapshot=snapshot, step=move)

    def finish_points_award(self, sale_key: str, n: int, *, store_id: str, customer_id: str,
                            dollar_amount: Decimal, points_transaction_id: str | None,
                            points: int | None, result: dict) -> StepMove:
        """The award was applied (Astro answered, or reconciliation found it): the step
        is done with `result`, its points transaction is attributed to the sale and
        added to the customer's snapshot, and the customer's turn is given back."""
        with self._write() as conn:
            self._lock_customer(conn, store_id, customer_id)
            self._lock_sale(conn, sale_key)
            now = micros(utcnow())
            if points_transaction_id:
                conn.execute(
                    "INSERT INTO points_awards (store_id, customer_id, points_transaction_id,"
                    " sale_key, dollar_amount, points, at_us) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (store_id, customer_id, points_transaction_id) DO NOTHING",
                    (store_id, customer_id, str(points_transaction_id), sale_key,
                     str(dollar_amount), points, now))
                row = conn.execute(
                    "SELECT balance, transaction_ids FROM customer_points"
                    " WHERE store_id = ? AND customer_id = ?",
                    (store_id, customer_id)).fetchone()
                ids = from_json(row["transaction_ids"]) if row else None
                if ids is not None and str(points_transaction_id) not in ids:
                    balance = row["balance"]
                    balance = None if balance is None or points is None else balance + points
                    conn.execute(
                        "UPDATE customer_points SET balance = ?, transaction_ids = ?,"
                        " taken_at_us = ? WHERE store_id = ? AND customer_id = ?",
                        (balance, to_json(ids + [str(points_transaction_id)]), now,
                         store_id, customer_id))
            return self._update_step(conn, sale_key, n, DONE, result, None)

    def points_attributions(self, store_id: str, customer_id: str) -> dict[str, str]:
        """Points transaction id -> the sale it was awarded for, for this customer."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT points_transaction_id, sale_key FROM points_awards"
                " WHERE store_id = ? AND customer_id = ?", (store_id, customer_id)).fetchall()
        return {r["points_transaction_id"]: r["sale_key"] for r in rows}

    def points_rates(self, store_id: str, limit: int = 20) -> list[tuple[Decimal, int]]:
        """(dollars, points) of the store's latest awards whose points are known."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT dollar_amount, points FROM points_awards WHERE store_id = ?"
                " AND points IS NOT NULL ORDER BY at_us DESC LIMIT ?",
                (store_id, limit)).fetchall()
        return [(Decimal(r["dollar_amount"]), r["points"]) for r in rows]

    def decide_points(self, sale_key: str, awarded: bool, *, by: str,
                      now: dt.datetime | None = None) -> bool:
        """A person's answer for the sale's undecided points step: awarded -> done (never
        sent again); not awarded -> pending, the sale due now (sent once). False when
        the sale has no undecided points step."""
        now = now or utcnow()
        with self._write() as conn:
            self._lock_sale(conn, sale_key)
            row = conn.execute("SELECT n, result_json FROM steps WHERE sale_key = ?"
                               " AND kind = ? AND state = ?",
                               (sale_key, POINTS, UNDECIDED)).fetchone()
            if row is None:
                return False
            result: dict[str, Any] = dict(from_json(row["result_json"]) or {})
            result["decided"] = {"awarded": awarded, "by": by, "at": now.isoformat()}
            self._update_step(conn, sale_key, row["n"], DONE if awarded else PENDING,
                              result, None)
            if not awarded:
                conn.execute("UPDATE sales SET next_attempt_at_us = ?, last_error = NULL"
                             " WHERE sale_key = ? AND status = ?",
                             (micros(now), sale_key, SALE_PENDING))
            return True

    def _step_moved(self, conn, sale_key: str, n: int, kind: str, state: str) -> None:
        if kind != POINTS or state == UNCERTAIN:
            return
        conn.execute("UPDATE customer_points SET turn = NULL WHERE turn = ?", (sale_key,))
        if state in OPEN_STATES:
            return          # still this customer's next award: the others keep waiting
        queued = _queued(conn, sale_key, n, before=False)
        following = None if queued is None else queued["open_sale"]
        if following is not None:
            # A sale row someone is changing right now is skipped, not waited for (its
            # transaction may hold it and wait for this one: a deadlock); it is due
            # again at the latest when its own wait ends.
            now = micros(utcnow())
            conn.execute("UPDATE sales SET next_attempt_at_us = ? WHERE sale_key IN ("
                         " SELECT sale_key FROM sales WHERE sale_key = ?"
                         f" AND status = ? AND next_attempt_at_us > ?{self._backend.skip_locked})",
                         (now, following, SALE_PENDING, now))


def _queued(conn, sale_key: str, n: int, *, before: bool = True):
    """The queue's row of the points step `n` of `sale_key` (None: not queued), with
    `open_sale`: the first sale of the same customer, queued before it (`before`) or
    anywhere but there, whose points step is still open (None: none is). One
    statement."""
    where = "q.seq < m.seq" if before else "q.seq <> m.seq"
    return conn.execute(
        "SELECT m.seq, (SELECT q.sale_key FROM points_queue AS q"
        " JOIN steps AS s ON s.sale_key = q.sale_key AND s.n = q.n"
        f" WHERE q.store_id = m.store_id AND q.customer_id = m.customer_id AND {where}"
        " AND s.state IN (?, ?) ORDER BY q.seq LIMIT 1) AS open_sale"
        " FROM points_queue AS m WHERE m.sale_key = ? AND m.n = ?",
        (*OPEN_STATES, sale_key, n)).fetchone()


def _waiting(conn, sale_key: str, blocker: str, until: dt.datetime) -> PointsTurn:
    conn.execute("UPDATE sales SET next_attempt_at_us = ?, last_error = ? WHERE sale_key = ?",
                 (micros(until), f"waiting for the points of {blocker} (the same "
                                    f"customer's awards go one at a time)", sale_key))
    return PointsTurn(waiting_for=blocker)


def _snapshot(row) -> PointsSnapshot:
    return PointsSnapshot(row["balance"], tuple(from_json(row["transaction_ids"])),
                          from_micros(row["taken_at_us"]))
