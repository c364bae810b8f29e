"""The failure report: Transaction, Redemption, Customer and Points Failures the bridge
keeps (like Astro's own RestAPI report), with Hide and the "retried" mark. Each line
carries its `Reason` (bridge.reasons), given when it is recorded."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge.journal.base import (JournalBase, equal_clauses, from_micros, micros, utcnow,
                                 where)
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
                 reason: Reason | str | None = None, kind: str | None = None,
                 include_hidden: bool = False, sale_key: str | None = None, *,
                 ids=None, exclude_retried: bool = False, limit: int | None = None,
                 older_than: Failure | None = None) -> list[Failure]:
        """Failure report lines, newest first; only those of `reason` when given, of the
        ids in `ids` when given, not retried with `exclude_retried`; at most `limit`,
        those older than `older_than` (a line of a previous call: the next batch)."""
        clauses, args = self._failure_filters(store, since, reason, kind, include_hidden,
                                              sale_key, ids, exclude_retried)
        if older_than is not None:
            clauses.append("(at_us < ? OR (at_us = ? AND id < ?))")
            at = micros(older_than.at)
            args += [at, at, older_than.id]
        sql = (f"SELECT * FROM failures {where(clauses)} ORDER BY at_us DESC, id DESC"
               + (f" LIMIT {int(limit)}" if limit is not None else ""))
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_failure(r) for r in rows]

    def count_failures(self, store: str | None = None, since: dt.datetime | None = None,
                       reason: Reason | str | None = None, include_hidden: bool = False, *,
                       exclude_retried: bool = False) -> int:
        """How many lines `failures` would give for the same filters."""
        clauses, args = self._failure_filters(store, since, reason, None, include_hidden,
                                              None, None, exclude_retried)
        with self._read() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM failures {where(clauses)}",
                                args).fetchone()[0]

    def failure_reasons(self, store: str | None = None, since: dt.datetime | None = None,
                        *, exclude_retried: bool = False) -> set[Reason]:
        """The reasons of the lines `failures` would give for these filters."""
        clauses, args = self._failure_filters(store, since, None, None, False, None, None,
                                              exclude_retried)
        with self._read() as conn:
            rows = conn.execute(f"SELECT DISTINCT reason FROM failures {where(clauses)}",
                                args).fetchall()
        return {Reason(r[0]) for r in rows}

    @staticmethod
    def _failure_filters(store, since, reason, kind, include_hidden, sale_key, ids,
                         exclude_retried) -> tuple[list[str], list]:
        # A reason as text: one no line has (a filter typed in a URL) matches nothing.
        clauses, args = equal_clauses(store_id=store, reason=None if reason is None
                                      else str(reason), kind=kind, sale_key=sale_key)
        if since is not None:
            clauses.append("at_us >= ?")
            args.append(micros(since))
        if not include_hidden:
            clauses.append("hidden = 0")
        if exclude_retried:
            clauses.append("retried_at_us IS NULL")
        if ids is not None:
            # An id no row can have (beyond SQLite's 64 bits) matches nothing.
            wanted = sorted({int(i) for i in ids if 0 < int(i) < 2**63})
            clauses.append(f"id IN ({', '.join('?' * len(wanted))})" if wanted else "0 = 1")
            args += wanted
        return clauses, args

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

    def failed_item_codes(self, reason: Reason, since: dt.datetime) -> dict[str, set[str]]:
        """The item codes of the report's lines of `reason` recorded since `since` (not
        hidden, not retried), by store."""
        found: dict[str, set[str]] = {}
        with self._read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT store_id, item_code FROM failures WHERE reason = ?"
                " AND at_us >= ? AND hidden = 0 AND retried_at_us IS NULL"
                " AND item_code IS NOT NULL", (Reason(reason).value, micros(since)))
            for row in rows:
                found.setdefault(row["store_id"], set()).add(row["item_code"])
        return found

    def retried_failure_ids(self, since: dt.datetime | None = None) -> set[int]:
        """Ids of report lines a person retried (at or after `since`)."""
        sql = "SELECT id FROM failures WHERE retried_at_us IS NOT NULL"
        args: list = []
        if since is not None:
            sql += " AND at_us >= ?"
            args.append(micros(since))
        with self._read() as conn:
            return {r["id"] for r in conn.execute(sql, args).fetchall()}


# -- within a caller's transaction (also used by bridge.journal.redemptions) -----------
def insert_failure(conn, store_id: str, kind: str, message: str,
                   at: dt.datetime, *, reason: Reason, sale_key: str | None = None,
                   customer_id: str | None = None, item_code: str | None = None,
                   description: str | None = None, transaction_id: str | None = None,
                   endpoint: str | None = None, status_code: int | None = None) -> int:
    """Add a line to the failure report; returns its id. ValueError for a kind or a
    reason the report does not know."""
    if kind not in FAILURE_KINDS:
        raise ValueError(f"unknown failure kind {kind!r}")
    row = conn.execute(
        "INSERT INTO failures (store_id, sale_key, customer_id, item_code, description,"
        " transaction_id, at_us, endpoint, status_code, message, kind, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (store_id, sale_key, customer_id, item_code, description, transaction_id,
         micros(at), endpoint, status_code, message, kind, Reason(reason).value)).fetchone()
    return int(row[0])


def mark_retried(conn, failure_id: int, when: dt.datetime) -> bool:
    """Mark a report line retried at `when`; True if it existed."""
    return conn.execute("UPDATE failures SET retried_at_us = ? WHERE id = ?",
                        (micros(when), failure_id)).rowcount == 1


def _failure(row) -> Failure:
    return Failure(
        id=row["id"], store_id=row["store_id"], sale_key=row["sale_key"],
        customer_id=row["customer_id"], item_code=row["item_code"],
        description=row["description"], transaction_id=row["transaction_id"],
        at=from_micros(row["at_us"]), endpoint=row["endpoint"],
        status_code=row["status_code"], message=row["message"], kind=row["kind"],
        hidden=bool(row["hidden"]), reason=Reason(row["reason"]),
        retried_at=from_micros(row["retried_at_us"]))
