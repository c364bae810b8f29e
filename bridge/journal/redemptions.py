"""Redemption attempts, written before anything is sent so a double submit cannot redeem
twice. A failed or uncertain attempt adds a Redemption Failure to the failure report; a
retry that succeeds marks that line retried, one that fails again adds a new line."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge.journal.base import JournalBase, from_micros, micros
from bridge.journal.failures import insert_failure, mark_retried
from bridge.reasons import Reason

REDEMPTION_STATES = ("pending", "done", "failed", "uncertain")


@dataclass(frozen=True)
class RedemptionRecord:
    """One redemption attempt: `state` pending (claimed, being sent), done, failed (sure
    it did not happen; may be tried again) or uncertain (sent, answer lost)."""
    key: str
    store_id: str
    customer_id: str
    sale_key: str | None
    kind: str
    reward_id: str
    item_id: str | None
    title: str | None
    state: str
    failure_id: int | None
    started_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class RedemptionClaim:
    """Answer of begin_redemption: `started` True when this caller may send now."""
    started: bool
    status: str


class RedemptionJournal(JournalBase):
    """Redemption attempts and their outcome."""

    def redemption(self, key: str) -> RedemptionRecord | None:
        """The redemption attempt with this key, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM redemptions WHERE key = ?", (key,)).fetchone()
        return None if row is None else _redemption(row)

    def redemption_by_failure(self, failure_id: int) -> RedemptionRecord | None:
        """The redemption attempt whose last failure is report line `failure_id`, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM redemptions WHERE failure_id = ?",
                               (failure_id,)).fetchone()
        return None if row is None else _redemption(row)

    def redemptions_of_sale(self, sale_key: str) -> list[RedemptionRecord]:
        """The redemption attempts made from one receipt, oldest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM redemptions WHERE sale_key = ?"
                                " ORDER BY started_at_us, key", (sale_key,)).fetchall()
        return [_redemption(r) for r in rows]

    def begin_redemption(self, key: str, *, store: str, customer_id: str,
                         sale_key: str | None, kind: str, reward_id: str,
                         item_id: str | None, title: str | None,
                         when: dt.datetime) -> RedemptionClaim:
        """Claim the redemption `key` before anything is sent: a new attempt, or one that
        failed for sure, becomes pending and `started` is True; any other state (pending,
        done, uncertain) is left alone and `started` is False. One statement (a new row,
        or the update of a failed one, whose row count says who started), so of two
        simultaneous submits, to one bridge or to two, exactly one starts."""
        t = micros(when)
        with self._write() as conn:
            started = conn.execute(
                "INSERT INTO redemptions (key, store_id, customer_id, sale_key, kind,"
                " reward_id, item_id, title, state, started_at_us, updated_at_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET state = 'pending',"
                " updated_at_us = excluded.updated_at_us WHERE redemptions.state = 'failed'"
                " RETURNING state",
                (key, store, customer_id, sale_key, kind, reward_id, item_id, title, t, t)
            ).fetchone()
            if started is not None:
                return RedemptionClaim(True, "pending")
            row = conn.execute("SELECT state FROM redemptions WHERE key = ?",
                               (key,)).fetchone()
            return RedemptionClaim(False, row["state"])

    def finish_redemption(self, key: str, state: str, *, when: dt.datetime,
                          endpoint: str | None = None, status_code: int | None = None,
                          message: str | None = None,
                          reason: Reason | None = None) -> int | None:
        """Record how the attempt ended. `failed` and `uncertain` also add a Redemption
        Failure to the report under `reason` (required then; its message: `message`,
        else the reason) and return its id; a success marks the attempt's earlier
        failure line as retried."""
        if state not in REDEMPTION_STATES or state == "pending":
            raise ValueError(f"a redemption cannot end as {state!r}")
        if state != "done" and reason is None:
            raise ValueError(f"a redemption that ends {state} needs its reason")
        failure_id = None
        with self._write() as conn:
            row = conn.execute("SELECT * FROM redemptions WHERE key = ?"
                               f"{self._backend.for_update}",
                               (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            if state != "done":
                assert reason is not None        # required for these states, see above
                failure_id = insert_failure(
                    conn, row["store_id"], "redemption", message or str(reason), when,
                    reason=reason, sale_key=row["sale_key"], customer_id=row["customer_id"],
                    item_code=row["item_id"], description=row["title"],
                    transaction_id=row["reward_id"], endpoint=endpoint,
                    status_code=status_code)
            if row["failure_id"] is not None:   # done, or a new line replaces the old one
                mark_retried(conn, row["failure_id"], when)
            conn.execute("UPDATE redemptions SET state = ?,"
                         " failure_id = COALESCE(?, failure_id), updated_at_us = ? WHERE key = ?",
                         (state, failure_id, micros(when), key))
        return failure_id

    def reopen_uncertain_redemption(self, key: str, when: dt.datetime) -> bool:
        """A person checked Astro and asks to try an uncertain redemption again: it becomes
        failed (so begin_redemption may start it). True when it was uncertain."""
        with self._write() as conn:
            return conn.execute("UPDATE redemptions SET state = 'failed', updated_at_us = ?"
                                " WHERE key = ? AND state = 'uncertain'",
                                (micros(when), key)).rowcount == 1


def _redemption(row) -> RedemptionRecord:
    return RedemptionRecord(
        key=row["key"], store_id=row["store_id"], customer_id=row["customer_id"],
        sale_key=row["sale_key"], kind=row["kind"], reward_id=row["reward_id"],
        item_id=row["item_id"], title=row["title"], state=row["state"],
        failure_id=row["failure_id"], started_at=from_micros(row["started_at_us"]),
        updated_at=from_micros(row["updated_at_us"]))
