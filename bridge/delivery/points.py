"""The points step: addPointsByDollar exactly once, though Astro gives it no idempotency
key.

- A customer's awards go one at a time, in sale order: the step takes the customer's
  turn (`Journal.begin_points_award`) and is marked uncertain, with the customer's
  snapshot from the journal (their points as last read, plus the awards since), before
  the call: in the commit that precedes the round sending it (`PointsAward.begin`). A
  later sale of the customer waits until this one is decided.
- The call gets a full read timeout: with less than that left before the request's
  deadline it is not started (the worker sends it). One cut short would be Ambiguous
  while Astro may still be working on it.
- Answered: done, its points transaction attributed to the sale. Surely not processed
  (NotSent, AuthError, a refusal): pending again. Anything else (Ambiguous, an answer
  that cannot be read, a crash): it stays uncertain (`PointsAward.answered`).
- The call (with the client's own retries of what was surely not processed) is bounded
  to `call_limit` (connect + read timeout + 1 s), so a process that dies in the middle
  leaves an award that cannot still be running after a known time.
- An uncertain award is checked once Astro has settled: a read timeout after the call
  failed (after a crash: `call_limit` plus a read timeout after it was begun), then
  reconciled against the customer's points history
  (bridge.delivery.reconcile): applied -> done; not applied -> sent again (once);
  undecided -> a person is asked (step undecided, a `points` failure with the history
  around the sale as evidence).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time

from bridge.astro import Ambiguous, AuthError, BusinessError, CallResult, NotSent
from bridge.delivery.reconcile import APPLIED, NOT_APPLIED, reconcile_points
from bridge.journal import Journal, PointsSnapshot, PointsTurn, StepRecord
from bridge.reasons import Reason
from bridge.translate import PointsStep

READ_TRIES = 3
# Seconds a sale waiting for another sale's award of the customer waits at most: it is
# made due at once when that award is decided (bridge.journal.points).
WAIT_FOR_TURN = 60.0


class WaitForPoints(Exception):
    """The points step cannot go on now: `retry_at` (None: as soon as possible);
    `counted` False: a wait, not a failed attempt (the backoff does not grow);
    `scheduled`: the journal has already made the sale due again (leave it as is)."""

    def __init__(self, why: str, retry_at: dt.datetime | None = None, *,
                 counted: bool = True, scheduled: bool = False):
        super().__init__(why)
        self.retry_at, self.counted, self.scheduled = retry_at, counted, scheduled


def note_points(journal: Journal, store_id: str, customer_id: str, status, asked_at, *,
                history_needed: bool = True) -> None:
    """Keep what a read (customerStatus or customerPointsStatus) showed of the customer's
    points, when it listed their points transactions (`history_needed` False: keep the
    balance even without them; reconciliation then goes by the balance alone)."""
    raw = getattr(status, "raw", None) or {}
    if history_needed and not isinstance(raw.get("astroPointsTransactions"), list):
        return
    balance = getattr(status, "balance", getattr(status, "points_balance", None))
    transactions = getattr(status, "transactions", None)
    if transactions is None:
        transactions = status.points_transactions
    journal.note_points_read(store_id, customer_id, balance,
                             [str(t.points_transaction_id) for t in transactions
                              if t.points_transaction_id], asked_at)


def call_limit(client) -> float:
    """Seconds a points call may take, its client's own retries of what was surely not
    processed included: its first attempt gets a full connect and read timeout."""
    connect, read = getattr(client, "timeout", (3.0, 10.0))
    return connect + read + 1.0


def _bounded(client, seconds: float):
    if not hasattr(client, "deadline"):
        return contextlib.nullcontext()
    return client.deadline(time.monotonic() + seconds)


class PointsAward:
    """The points step of one sale in one delivery attempt (`attempt`: its id, kept in
    the step while it is in flight, so the attempt knows the award it began)."""

    def __init__(self, journal: Journal, client, sale_key: str, store_id: str,
                 step: PointsStep, holder: str, now, deadline: float | None,
                 attempt: str = ""):
        self.journal, self.client, self.step = journal, client, step
        self.holder, self.now, self.deadline, self.attempt = holder, now, deadline, attempt
        self.key, self.store = sale_key, store_id
        self.read_timeout = getattr(client, "read_timeout", 10.0)

    # -- sending -------------------------------------------------------------------------
    def time_left(self) -> bool:
        """A full read timeout is left before the deadline (else the worker sends it)."""
        return self.deadline is None or self.deadline - time.monotonic() >= self.read_timeout

    def begin(self) -> PointsTurn:
        """Take the customer's turn and mark the step uncertain (journal only; written
        before the call: a crash in the middle leaves it uncertain, to be checked once
        the call can no longer be running)."""
        return self.journal.begin_points_award(
            self.key, self.step.n, self.holder, store_id=self.store,
            customer_id=self.step.customer_id,
            result={**self.in_flight(),
                    "settle_at": self.after(call_limit(self.client) + self.read_timeout)},
            wait_until=self.now() + dt.timedelta(seconds=WAIT_FOR_TURN))

    def call(self):
        """addPointsByDollar, bounded by `call_limit` (network only)."""
        with _bounded(self.client, call_limit(self.client)):
            return self.client.add_points_by_dollar(self.step.customer_id,
                                                    self.step.dollar_amount)

    def answered(self, result: CallResult, snapshot: PointsSnapshot | None) -> None:
        """Record the call's outcome (journal only). Raises the client's error, after
        recording what it means: surely not processed -> pending again (a refusal is
        failed by the caller); anything else -> uncertain until Astro has settled."""
        step, e = self.step, result.error
        if e is None:                    # result.ok
            award = result.value
            self.journal.finish_points_award(
                self.key, step.n, store_id=self.store, customer_id=step.customer_id,
                dollar_amount=step.dollar_amount,
                points_transaction_id=award.points_transaction_id,
                points=award.total_points, result={
                    "dollar_amount": str(step.dollar_amount),
                    "points_transaction_id": award.points_transaction_id,
                    "total_points": award.total_points})
            return
        if isinstance(e, (NotSent, AuthError, BusinessError)):
            # Surely not processed: a re-send is safe.
            self.journal.mark_step_pending(self.key, step.n, None, str(e))
        else:
            # Sent, outcome unknown: check Astro's history once it has settled.
            self.journal.mark_step_uncertain(self.key, step.n, _short(e), {
                **self.in_flight(),
                "snapshot": snapshot.to_dict() if snapshot else None,
                "settle_at": self.after(self.read_timeout)})
        raise e

    def in_flight(self) -> dict:
        return {"dollar_amount": str(self.step.dollar_amount),
                "sent_at": self.now().isoformat(), "attempt": self.attempt}

    def after(self, seconds: float) -> str:
        return (self.now() + dt.timedelta(seconds=seconds)).isoformat()

    def read_points(self, history_needed: bool = True):
        """The customer's points now (kept as their snapshot). A read changes nothing in
        Astro: one whose answer was lost is simply read again (READ_TRIES in all)."""
        for attempt in range(READ_TRIES):
            asked_at = self.now()
            try:
                status = self.client.customer_points_status(self.step.customer_id)
            except Ambiguous:
                if attempt + 1 == READ_TRIES or (self.deadline is not None
                                                 and time.monotonic() >= self.deadline):
                    raise
                continue
            note_points(self.journal, self.store, self.step.customer_id, status, asked_at,
                        history_needed=history_needed)
            return status
        raise AssertionError("unreachable")

    # -- reconciling ---------------------------------------------------------------------
    def reconciled(self, record: StepRecord) -> bool:
        """Decide an uncertain award; True when nothing is left to send (applied, or a
        person asked), False when it was not applied (sent again)."""
        step, result = self.step, dict(record.result or {})
        settle_at = result.get("settle_at")
        if settle_at and self.now() < dt.datetime.fromisoformat(settle_at):
            raise WaitForPoints("Astro's answer to the points was lost; checking its "
                                "history once it has settled",
                                dt.datetime.fromisoformat(settle_at), counted=False)
        current = self.read_points()
        snapshot = result.get("snapshot")
        found = reconcile_points(
            PointsSnapshot.from_dict(snapshot) if snapshot else None, current.balance,
            current.transactions, step.dollar_amount, sale_key=self.key,
            attributed=self.journal.points_attributions(self.store, step.customer_id),
            rates=self.journal.points_rates(self.store))
        if found.decision == APPLIED:
            self.journal.finish_points_award(
                self.key, step.n, store_id=self.store, customer_id=step.customer_id,
                dollar_amount=step.dollar_amount, points_transaction_id=found.transaction_id,
                points=found.points, result={
                    "dollar_amount": str(step.dollar_amount), "reconciled": True,
                    "points_transaction_id": found.transaction_id,
                    "total_points": found.points})
            return True
        if found.decision == NOT_APPLIED:
            self.journal.mark_step_pending(self.key, step.n, None,
                                           "not awarded (Astro's history has no such award)")
            return False
        message = (f"{Reason.POINTS_UNCERTAIN.value}: the points for {step.dollar_amount} "
                   "dollars may or "
                   f"may not have been awarded ({found.why}); a person decides, with the "
                   f"customer's points history around the sale")
        self.journal.mark_step_undecided(self.key, step.n, message,
                                         {**result, "evidence": list(found.evidence)})
        self.journal.record_failure(
            self.store, "points", message, reason=Reason.POINTS_UNCERTAIN,
            sale_key=self.key, customer_id=step.customer_id, endpoint="addPointsByDollar",
            at=self.now())
        return True


def _short(e: BaseException) -> str:
    return str(e) or type(e).__name__
