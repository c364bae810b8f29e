"""The failure report: Transaction, Redemption, Customer and Points Failures the bridge
keeps (like Astro's own RestAPI report), with Hide and the "retried" mark. Each line
carries its `Reason` (bridge.reasons), given when it is recorded."""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from bridge.journal.base import (JournalBase, from_timestamp, timestamp, utcnow,
                                 where_equal)
from bridge.reasons import Reason

FAILURE_KINDS = ("transaction", "redemption", "customer", "points")


@dataclass(frozen=True)
class Failure:
    id: int
    store_id: str
    sale_key: str | None
    customer_id: str | None
    item_code: str | None
    description: str | None
    transaction_id: str | None
    at: dt.datetime
    endpoint: str | None
    status_code: int | None
    message: str
    kind: str              # transaction | redemption | customer | points
    hidden: bool
    reason: Reason
    retried_at: dt.datetime | None = None


class FailureJournal(JournalBase):
    """Lines of the failure report."""

    def record_failure(self, store_id: str, kind: str, message: str, *, reason: Reason,
                       sale_key: str | None = None, customer_id: str | None = None,
                       item_code: str | None = None, description: str | None = None,
                       transaction_id: str | None = None, endpoint: str | None = None,
                       status_code: int | None = None, at: dt.datetime | None = None) -> int:
        """Add a line to the failure report, listed under `reason`; returns its id."""
        with self._write() as conn:
            return insert_failure(
                conn, store_id, kind, message, at or utcnow(), reason=reason,
                sale_key=sale_key,
                customer_id=customer_id, item_code=item_code, description=description,
                transaction_id=transaction_id, endpoint=endpoint, status_code=status_code)

    def failures(self, store: str | None = None, since: dt.datetime | None = None,
                 reason: Reason | None = None, kind: str | None = None,
                 include_hidden: bool = False, sale_key: str | None = None) -> list[Failure]:
        """Failure report lines, newest first; only those of `reason` when given."""
        where, args = where_equal(store_id=store, reason=None if reason is None
                                  else Reason(reason).value, kind=kind, sale_key=sale_key)
        clauses = [where] if where else []
        if since is not None:
            clauses.append(("AND" if clauses else "WHERE") + " at >= ?")
            args.append(timestamp(since))
        if not include_hidden:
            clauses.append(("AND" if clauses else "WHERE") + " hidden = 0")
        rows = self._conn().execute(
            f"SELECT * FROM failures {' '.join(clauses)} ORDER BY at DESC, id DESC",
            args).fetchall()
        return [_failure(r) for r in rows]

    def hide_failure(self, failure_id: int) -> bool:
        """Hide a line of the failure report; True if it existed."""
        with self._write() as conn:
            return conn.execute("UPDATE failures SET hidden = 1 WHERE id = ?",
                                (failure_id,)).rowcount == 1

    def mark_failure_retried(self, failure_id: int, when: dt.datetime) -> bool:
        """A person retried this report line: it leaves the list (kept in the table; a new
        line is recorded if the retry fails again). True if it existed."""
        with self._write() as conn:
            return mark_retried(conn, failure_id, when)

    def retried_failure_ids(self, since: dt.datetime | None = None) -> set[int]:
        """Ids of report lines a person retried (at or after `since`)."""
        sql = "SELECT id FROM failures WHERE retried_at IS NOT NULL"
        args: list = []
        if since is not None:
            sql += " AND at >= ?"
            args.append(timestamp(since))
        return {r["id"] for r in self._conn().execute(sql, args)}


# -- within a caller's transaction (also used by bridge.journal.redemptions) -----------
def insert_failure(conn: sqlite3.Connection, store_id: str, kind: str, message: str,
                   at: dt.datetime, *, reason: Reason, sale_key: str | None = None,
                   customer_id: str | None = None, item_code: str | None = None,
                   description: str | None = None, transaction_id: str | None = None,
                   endpoint: str | None = None, status_code: int | None = None) -> int:
    """Add a line to the failure report; returns its id. ValueError for a kind or a
    reason the report does not know."""
    if kind not in FAILURE_KINDS:
        raise ValueError(f"unknown failure kind {kind!r}")
    cur = conn.execute(
        "INSERT INTO failures (store_id, sale_key, customer_id, item_code, description,"
        " transaction_id, at, endpoint, status_code, message, kind, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (store_id, sale_key, customer_id, item_code, description, transaction_id,
         timestamp(at), endpoint, status_code, message, kind, Reason(reason).value))
    return int(cur.lastrowid)


def mark_retried(conn: sqlite3.Connection, failure_id: int, when: dt.datetime) -> bool:
    """Mark a report line retried at `when`; True if it existed."""
    return conn.execute("UPDATE failures SET retried_at = ? WHERE id = ?",
                        (timestamp(when), failure_id)).rowcount == 1


def _failure(row: sqlite3.Row) -> Failure:
    return Failure(
        id=row["id"], store_id=row["store_id"], sale_key=row["sale_key"],
        customer_id=row["customer_id"], item_code=row["item_code"],
        description=row["description"], transaction_id=row["transaction_id"],
        at=from_timestamp(row["at"]), endpoint=row["endpoint"],
        status_code=row["status_code"], message=row["message"], kind=row["kind"],
        hidden=bool(row["hidden"]), reason=Reason(row["reason"]),
        retried_at=from_timestamp(row["retried_at"]))
