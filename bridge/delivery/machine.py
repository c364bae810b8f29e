"""The step machine: one delivery attempt of one recorded sale, or of several sales of
one customer whose transaction lines go out in merged calls.

    deliver_sale(journal, client, sale_key, *, deadline=None, now=utcnow,
                 retry=RetryPolicy(), holder=None, rng=None, card_progress=True)
        -> DeliveryOutcome
    deliver_sales(journal, client, sale_keys, *, max_lines=100, now=utcnow,
                  retry=RetryPolicy(), holder=None, rng=None) -> [DeliveryOutcome]
    retry_delay(attempt, retry, rng=None) -> seconds

The rules are in the package docstring (bridge.delivery).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from bridge.astro import (Ambiguous, AstroError, AuthError, BusinessError, CustomerNotFound,
                          CustomerStatus, NotSent, Purchase, RateLimited)
from bridge.config import RetryPolicy
from bridge.delivery.points import PointsAward, WaitForPoints, note_points
from bridge.delivery.receipt import store_receipt
from bridge.journal import (DONE, PENDING, SALE_PENDING, UNCERTAIN, Journal, SaleRecord,
                            StepRecord, utcnow)
from bridge.reasons import Reason, astro_reason
from bridge.translate import (CUSTOMER, POINTS, REMOVE_TRANSACTION, TRANSACTIONS, CustomerStep,
                              PointsStep, RemoveStep, Step, TransactionsStep)

log = logging.getLogger(__name__)

ALREADY_LINKED_CODE = 320
FAILURE_KIND = {CUSTOMER: "customer", TRANSACTIONS: "transaction", POINTS: "points",
                REMOVE_TRANSACTION: "transaction"}


@dataclass(frozen=True)
class DeliveryOutcome:
    sale_key: str
    status: str                      # the sale's status after this attempt
    claimed: bool = True             # False: someone else was delivering it; nothing done
    retry_at: dt.datetime | None = None   # next attempt, when work was left
    error: str | None = None         # why work was left (transport error, deadline)
    receipt: dict | None = None

    @property
    def finished(self) -> bool:
        """Nothing left to do (delivered, partial, failed or given up)."""
        return self.status != SALE_PENDING


class _Stop(Exception):
    """Leave the remaining steps for later: at `retry_at` (None: due at once);
    `counted` False: a wait, not a failed attempt."""

    def __init__(self, error: str, retry_at: dt.datetime | None = None, *,
                 counted: bool = True, scheduled: bool = False):
        super().__init__(error)
        self.error, self.retry_at, self.counted = error, retry_at, counted
        self.scheduled = scheduled       # the journal made it due again already


def retry_delay(attempt: int, retry: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number `attempt` (0-based): exponential backoff
    capped at `retry.backoff_max`, with jitter (50-100%) so retries of many sales do not
    arrive together."""
    rng = rng or random
    raw = min(retry.backoff_max, retry.backoff_base * (2 ** min(attempt, 30)))
    return raw * (0.5 + rng.random() / 2)


def deliver_sale(journal: Journal, client, sale_key: str, *, deadline: float | None = None,
                 now: Callable[[], dt.datetime] = utcnow, retry: RetryPolicy = RetryPolicy(),
                 holder: str | None = None, rng: random.Random | None = None,
                 card_progress: bool = True) -> DeliveryOutcome:
    """Deliver what is left of the recorded sale `sale_key` and record every outcome.

    The sale is held (a lease renewed by the journal's heartbeat) for the attempt, so a
    button request and workers never deliver one sale at the same time; `holder` names
    the holder (default: a new one; a replay run passes its run id to take back what a
    killed run of it held). `deadline` is a `time.monotonic()` value: no new network call
    starts after it and each call is cut short by it (AstroClient.deadline); a points
    call only starts with a full read timeout left. What is left stays pending for the
    worker. Never raises for Astro trouble (it is recorded and scheduled); KeyError when
    the sale is not in the journal; any other error reaches the caller (the sale stays
    recorded). `card_progress` False: the receipt is stored without reading the
    customer's cards (one call less; replay, where nobody looks at a receipt).
    """
    sale = journal.get_sale(sale_key)
    if sale is None:
        raise KeyError(sale_key)
    if sale.status != SALE_PENDING:
        return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt)
    holder = holder or f"deliver-{uuid.uuid4().hex[:12]}"
    with journal.holding(sale_key, holder) as held:
        if not held:
            return DeliveryOutcome(sale_key, sale.status, claimed=False, receipt=sale.receipt)
        with _bounded(client, deadline):
            return _deliver_held(journal, client, sale_key, holder, deadline, now, retry,
                                 rng, card_progress)


def _bounded(client, deadline: float | None):
    """Each Astro call of the delivery ends by `deadline` (AstroClient.deadline)."""
    if deadline is None or client is None or not hasattr(client, "deadline"):
        return contextlib.nullcontext()
    return client.deadline(deadline)


def _deliver_held(journal: Journal, client, sale_key: str, holder: str, deadline, now, retry,
                  rng, card_progress: bool) -> DeliveryOutcome:
    # Read again under the lease: the sale may have moved since the first look.
    sale = journal.get_sale(sale_key)
    if sale.status != SALE_PENDING:
        return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt)
    stop = _Delivery(journal, client, sale, holder, deadline, now, retry, rng).run()
    # Card progress needs one more call; past the deadline the receipt goes without.
    return conclude(journal, sale_key, stop, now,
                    client if card_progress and not _past(deadline) else None)


def conclude(journal: Journal, sale_key: str, stop: "_Stop | None", now,
             receipt_client=None) -> DeliveryOutcome:
    """The end of an attempt at a held sale: what is left is scheduled (`stop`), a sale
    with nothing left gets its receipt (card progress read with `receipt_client`, none
    without one), and the outcome says where the sale stands."""
    retry_at = None
    if stop is not None and stop.scheduled:
        retry_at = journal.get_sale(sale_key).next_attempt_at
    elif stop is not None:
        retry_at = stop.retry_at or now()
        journal.schedule_retry(sale_key, retry_at, stop.error, counted=stop.counted)
    sale = journal.get_sale(sale_key)
    receipt = sale.receipt
    if sale.status != SALE_PENDING:
        receipt = store_receipt(journal, receipt_client, sale, now)
    return DeliveryOutcome(sale_key, sale.status, retry_at=retry_at,
                           error=stop.error if stop else None, receipt=receipt)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def purchases(step: TransactionsStep) -> list[Purchase]:
    """The lines of a transactions step as addTransactionBatch sends them."""
    day = dt.date.fromisoformat(step.transaction_date)
    return [Purchase(ln.transaction_id, ln.item_code, ln.qty, day) for ln in step.lines]


class _Delivery:
    """One attempt at one sale. `send_lines(step)` sends a transactions step's lines and
    returns Astro's line results (default: its own addTransactionBatch; a merged batch,
    bridge.delivery.batch, answers from the call it made for several sales)."""

    def __init__(self, journal, client, sale: SaleRecord, holder: str, deadline, now, retry,
                 rng, send_lines: Callable[[TransactionsStep], list] | None = None):
        self.journal, self.client, self.sale, self.holder = journal, client, sale, holder
        self.deadline, self.now, self.retry, self.rng = deadline, now, retry, rng
        self.key = sale.sale_key
        self.reresolved = False      # the customer was resolved again in this attempt
        self.send_lines = send_lines or self.own_batch

    def run(self, kinds: tuple[str, ...] | None = None) -> _Stop | None:
        """The open steps in plan order; with `kinds`, only up to the first open step of
        another kind (the rest is left as it is, for a later `run`)."""
        for record in self.journal.pending_steps(self.key):
            step = self.sale.plan.step(record.n)
            if kinds is not None and step.kind not in kinds:
                return None
            try:
                self.check_time()
                if not self.journal.still_holding(self.key, self.holder):
                    raise _Stop("the lease on this sale was lost; another delivery has it")
                if isinstance(step, CustomerStep):
                    self.customer(step)
                elif isinstance(step, TransactionsStep):
                    self.transactions(step)
                elif isinstance(step, PointsStep):
                    PointsAward(self.journal, self.client, self.sale, step, self.holder,
                                self.now, self.deadline).run(record)
                elif isinstance(step, RemoveStep):
                    self.remove(step)
            except _Stop as stop:
                return stop
            except WaitForPoints as wait:
                return _Stop(str(wait), wait.retry_at, counted=wait.counted,
                             scheduled=wait.scheduled)
            except BusinessError as e:
                if isinstance(e, CustomerNotFound) and self.stale_customer(step):
                    return self.run(kinds)   # resolve the customer again, then the rest
                self.fail(step, record, e)
                if isinstance(step, CustomerStep):
                    self.fail_rest(step.n, "the customer could not be linked in Astro")
                    return None
            except (NotSent, AuthError) as e:
                wait = retry_delay(self.sale.attempts, self.retry, self.rng)
                if isinstance(e, RateLimited) and e.retry_after:
                    wait = max(wait, e.retry_after)
                return _Stop(str(e), self.now() + dt.timedelta(seconds=wait))
            except AstroError as e:
                # Ambiguous, or an answer the client could not place: maybe processed.
                # Ids make customer and transaction steps safe to re-send; points stay
                # uncertain until reconciled.
                wait = retry_delay(self.sale.attempts, self.retry, self.rng)
                return _Stop(str(e), self.now() + dt.timedelta(seconds=wait))
        return None

    def stale_customer(self, step: Step) -> bool:
        """Astro answered `No Customer Found` to a write step for the customer the step
        before resolved (e.g. from the cache, and the link is gone in Astro): forget the
        cached link and put the customer step back to pending, once per delivery. True
        when the steps are to be run again."""
        if self.reresolved or isinstance(step, CustomerStep):
            return False
        record = next((s for s in self.journal.get_sale(self.key).steps
                       if s.kind == CUSTOMER), None)
        if record is None or record.state != DONE:
            return False
        self.reresolved = True
        log.info("%s: Astro does not know customer %s any more; resolving it again",
                 self.key, step.customer_id)
        self.journal.forget_customer(self.sale.store_id, step.customer_id)
        self.journal.mark_step_pending(self.key, record.n)
        return True

    def check_time(self) -> None:
        if _past(self.deadline):
            raise _Stop("request deadline reached; the worker finishes the delivery")

    def fail(self, step: Step, record: StepRecord, e: BusinessError) -> None:
        current = next((s for s in self.journal.pending_steps(self.key) if s.n == step.n),
                       record)
        if current.state == UNCERTAIN:
            # Sent before and maybe applied: never failed (a Retry would send it again).
            message = (f"Points uncertain: Astro refused to show the customer's points "
                       f"({e.message}); whether the award was applied is for a person to "
                       f"decide")
            reason = Reason.POINTS_UNCERTAIN
            self.journal.mark_step_undecided(self.key, step.n, message, current.result)
        else:
            message = e.message
            reason = (Reason.CUSTOMER_REFUSED if isinstance(step, CustomerStep)
                      else astro_reason(e.message))
            self.journal.mark_step_failed(self.key, step.n, message)
        self.journal.record_failure(
            self.sale.store_id, FAILURE_KIND[step.kind], message, reason=reason,
            sale_key=self.key,
            customer_id=step.customer_id, item_code=getattr(step, "item_code", None),
            transaction_id=getattr(step, "transaction_id", None), endpoint=e.endpoint,
            status_code=e.code, at=self.now())

    def fail_rest(self, after: int, reason: str) -> None:
        for record in self.journal.pending_steps(self.key):
            if record.n > after and record.state == PENDING:
                self.journal.mark_step_failed(self.key, record.n, reason)

    # -- customer --------------------------------------------------------------------
    def customer(self, step: CustomerStep) -> None:
        """Resolve the POS customer: the cache, customerStatus, then an Astro account
        found by email or phone that no other POS customer is linked to (linkCustomer),
        else addCustomer. Only links Astro confirmed are cached."""
        store, cid, c = self.sale.store_id, step.customer_id, step.customer
        known = self.journal.known_customer(store, cid)
        if known:
            return self.customer_done(step, known, "known")
        status = self.linked_status(cid)
        if status is not None:
            return self.customer_done(step, status.astro_customer_id, "found")
        taken = []     # why an account found by email/phone was not linked
        for what, value in (("email", c.email), ("phone", c.phone)):
            if not value:
                continue
            self.check_time()
            match = self.client.search_customer(**{what: value})
            if match is None or not match.astro_customer_id:
                continue
            if match.customer_id and match.customer_id != cid:
                taken.append(f"its {what} belongs to Astro customer {match.astro_customer_id},"
                             f" linked to POS customer {match.customer_id}")
                continue
            self.check_time()
            try:
                self.client.link_customer(cid, match.astro_customer_id)
            except BusinessError as e:
                if e.code != ALREADY_LINKED_CODE:
                    raise
                # Already linked: to this POS customer (done), or not: add our own.
                self.check_time()
                status = self.linked_status(cid)
                if status is not None:
                    return self.customer_done(step, status.astro_customer_id, "linked")
                taken.append(f"its {what} belongs to Astro customer "
                             f"{match.astro_customer_id}, already linked to another POS customer")
                break
            return self.customer_done(step, match.astro_customer_id, "linked")
        self.check_time()
        try:
            astro_id = self.client.add_customer(cid, c.first_name or "", c.last_name or "",
                                                email=c.email, phone=c.phone)
        except BusinessError as e:
            # Another register (or a delivery of another sale) may have added the same
            # POS customer meanwhile: then it is linked now.
            self.check_time()
            status = self.linked_status(cid)
            if status is not None:
                return self.customer_done(step, status.astro_customer_id, "found")
            why = f"Astro refused to add POS customer {cid}: {e.message}"
            if taken:
                why += f" ({'; '.join(taken)})"
            raise BusinessError(why, endpoint=e.endpoint, code=e.code, data=e.data) from e
        self.customer_done(step, astro_id, "created")

    def linked_status(self, cid: str) -> CustomerStatus | None:
        """customerStatus of the POS customer, or None when no Astro account is linked.
        What it shows of the customer's points is kept (their points snapshot)."""
        try:
            asked_at = self.now()
            status = self.client.customer_status(cid)
        except CustomerNotFound:
            return None
        note_points(self.journal, self.sale.store_id, cid, status, asked_at)
        return status

    def customer_done(self, step: CustomerStep, astro_id: str | None, how: str) -> None:
        with self.journal.batch():
            if astro_id:   # cache only a link Astro confirmed with its account id
                self.journal.remember_customer(self.sale.store_id, step.customer_id,
                                               astro_id, self.now())
            self.journal.mark_step_done(self.key, step.n,
                                        {"astro_customer_id": astro_id, "how": how})

    # -- transactions ----------------------------------------------------------------
    def own_batch(self, step: TransactionsStep) -> list:
        """The step's lines in an addTransactionBatch of their own."""
        return self.client.add_transaction_batch(step.customer_id, purchases(step),
                                                 sale_id=step.sale_id)

    def transactions(self, step: TransactionsStep) -> None:
        results = self.send_lines(step)
        by_id = {r.transaction_id: r for r in results if r is not None and r.transaction_id}
        lines, problems = [], 0
        for i, ln in enumerate(step.lines):
            r = by_id.get(ln.transaction_id) or (results[i] if i < len(results) else None)
            if r is not None and r.added:
                outcome = "added"
            elif r is not None and r.already_exists:
                # Our ids are `<sale key>-<n>`: only this sale ever sends them, so the
                # line was delivered by an earlier attempt whose answer was lost.
                outcome = "already"
            else:
                outcome = "failed"
                problems += 1
                message = (r.message if r is not None else None) or "no result for this line"
                self.journal.record_failure(
                    self.sale.store_id, "transaction", message,
                    reason=astro_reason(message), sale_key=self.key,
                    customer_id=step.customer_id, item_code=ln.item_code,
                    description=ln.description, transaction_id=ln.transaction_id,
                    endpoint="addTransactionBatch", status_code=r.status if r else None,
                    at=self.now())
            lines.append({"transaction_id": ln.transaction_id, "result": outcome,
                          "message": r.message if r else None,
                          "program_id": r.program_id if r else None,
                          "program_title": r.program_title if r else None,
                          "astro_transaction_id": r.astro_transaction_id if r else None})
        self.journal.mark_step_done(self.key, step.n, {"lines": lines}, problems=problems)

    # -- refunds ---------------------------------------------------------------------
    def remove(self, step: RemoveStep) -> None:
        removed = self.client.remove_transaction(step.customer_id, step.transaction_id,
                                                 step.quantity)
        self.journal.mark_step_done(self.key, step.n, {
            "removed": [{"transaction_id": r.transaction_id, "deleted": r.deleted}
                        for r in removed]})


def deliver_sales(journal: Journal, client, sale_keys, *, max_lines: int = 100,
                  now: Callable[[], dt.datetime] = utcnow, retry: RetryPolicy = RetryPolicy(),
                  holder: str | None = None,
                  rng: random.Random | None = None) -> list[DeliveryOutcome]:
    """Deliver what is left of several recorded sales of ONE customer, in the order given
    (oldest first), their transaction lines merged into addTransactionBatch calls of at
    most `max_lines` lines (whole sales: a sale with more lines goes alone), each line
    with its own transactionID and date. Returns one DeliveryOutcome per key, in order.

    Each sale keeps its own steps, outcome, failure records and receipt, exactly as
    `deliver_sale` would record them: the sales are held (leases) for the attempt; the
    customer is resolved once (the later sales find it in the journal's cache); a line
    Astro refuses fails that line of its own sale only; `TransactionID Already Exists`
    for an id of the sale is delivered; points and removals go sale by sale, in order.
    A merged call that Astro did not take (NotSent) leaves every sale in it pending and
    no further call is made; one whose answer was lost leaves them pending, to be sent
    again with the same ids; one Astro refused as a whole (a business error) is sent
    again sale by sale, so the refusal fails only the sale it concerns. When the
    customer cannot be resolved now, the later sales are not tried. Receipts are stored
    without card progress (nothing is read for them: nobody waits at a till).
    """
    keys = list(sale_keys)
    holder = holder or f"deliver-{uuid.uuid4().hex[:12]}"
    outcomes: dict[str, DeliveryOutcome] = {}
    # The journal work between calls to Astro goes in one transaction each time (one
    # commit, one wait for the write lock, for all the sales), not one per sale and step.
    with contextlib.ExitStack() as leases:
        attempts: list[_Delivery] = []
        with journal.batch():
            for key in keys:
                sale = journal.get_sale(key)
                if sale is None:
                    raise KeyError(key)
                if sale.status == SALE_PENDING:
                    if not leases.enter_context(journal.holding(key, holder)):
                        outcomes[key] = DeliveryOutcome(key, sale.status, claimed=False,
                                                        receipt=sale.receipt)
                        continue
                    sale = journal.get_sale(key)     # again, under the lease
                if sale.status != SALE_PENDING:
                    outcomes[key] = DeliveryOutcome(key, sale.status, receipt=sale.receipt)
                    continue
                attempts.append(_Delivery(journal, client, sale, holder, None, now, retry,
                                          rng))
        if len({a.sale.plan.customer_id for a in attempts}) > 1:
            raise ValueError("deliver_sales takes the sales of one customer")
        stops = _resolve_customer(journal, attempts)
        going = [a for a in attempts if a.key not in stops]
        answers = _merged_lines(journal, client, going, max_lines)
        calling = [a for a in going if _calls_left(journal, a, answers.get(a.key))]

        def finish():
            for attempt in attempts:
                outcomes[attempt.key] = conclude(journal, attempt.key, stops[attempt.key], now)
            leases.close()          # the leases given back in the same transaction

        with journal.batch():       # what needs no more calls: recorded all at once
            for attempt in going:
                attempt.send_lines = _answered(attempt, answers.get(attempt.key))
                if attempt not in calling:
                    stops[attempt.key] = attempt.run()
            if not calling:
                finish()
        if calling:
            for attempt in calling:     # points, removals, lines sent alone: in order
                stops[attempt.key] = attempt.run()
            with journal.batch():
                finish()
    return [outcomes[key] for key in keys]


def _calls_left(journal: Journal, attempt: _Delivery, answer) -> bool:
    """Whether the rest of a sale's attempt calls Astro: points or a removal to send, or
    lines that go in a call of their own (see `_answered`)."""
    kinds = {attempt.sale.plan.step(r.n).kind for r in journal.pending_steps(attempt.key)}
    if kinds & {POINTS, REMOVE_TRANSACTION}:
        return True
    return TRANSACTIONS in kinds and (answer is None or isinstance(answer, BusinessError))


def _resolve_customer(journal: Journal, attempts: list[_Delivery]) -> dict[str, _Stop]:
    """Each sale's customer step, in order: once the customer is in the journal's cache
    (from the start, or resolved by the first sale), the steps of the others need no
    call and go in one transaction. After one stops, the later ones are not tried: the
    same customer would stop them too. Returns the stops by sale key."""
    stops: dict[str, _Stop] = {}
    for n, attempt in enumerate(attempts):
        if journal.known_customer(attempt.sale.store_id, attempt.sale.plan.customer_id):
            with journal.batch():
                for cached in attempts[n:]:
                    stop = cached.run(kinds=(CUSTOMER,))
                    if stop is not None:     # e.g. its lease was lost
                        stops[cached.key] = stop
            return stops
        stop = attempt.run(kinds=(CUSTOMER,))
        if stop is not None:
            stops[attempt.key] = stop
            for later in attempts[n + 1:]:
                stops[later.key] = _Stop(stop.error, stop.retry_at, counted=False)
            return stops
    return stops


def _merged_lines(journal: Journal, client, attempts: list[_Delivery],
                  max_lines: int) -> dict[str, list | AstroError]:
    """Send the open transactions steps of `attempts` in merged calls; by sale key, the
    line results of its step (in its lines' order), or the error of its call."""
    ready = []
    for attempt in attempts:
        records = journal.pending_steps(attempt.key)
        if records and records[0].kind == TRANSACTIONS and records[0].state == PENDING:
            ready.append((attempt.key, attempt.sale.plan.step(records[0].n)))
    calls, call, size = [], [], 0
    for key, step in ready:
        if call and size + len(step.lines) > max_lines:
            calls.append(call)
            call, size = [], 0
        call.append((key, step))
        size += len(step.lines)
    if call:
        calls.append(call)
    answers: dict[str, list | AstroError] = {}
    unsent = None
    for call in calls:
        if unsent is not None:           # Astro did not take the last call: no more
            answers.update((key, unsent) for key, _ in call)
            continue
        try:
            lines = [p for _, step in call for p in purchases(step)]
            # saleID names one sale: a merged call of several sales goes without it.
            results = client.add_transaction_batch(
                call[0][1].customer_id, lines,
                sale_id=call[0][1].sale_id if len(call) == 1 else None)
        except (NotSent, AuthError) as e:
            unsent = e
            answers.update((key, e) for key, _ in call)
            continue
        except AstroError as e:
            answers.update((key, e) for key, _ in call)
            continue
        by_id = {r.transaction_id: r for r in results if r.transaction_id}
        position = 0
        for key, step in call:
            found = []
            for ln in step.lines:
                found.append(by_id.get(ln.transaction_id)
                             or (results[position] if position < len(results) else None))
                position += 1
            answers[key] = found
    return answers


def _answered(attempt: _Delivery, answer):
    """The `send_lines` of a sale whose lines went in a merged call: that call's results
    for them, or its error; refused as a whole, or not in a merged call at all, the
    sale's lines go in a call of their own."""
    def send_lines(step: TransactionsStep) -> list:
        if answer is None or isinstance(answer, BusinessError):
            return attempt.own_batch(step)
        if isinstance(answer, AstroError):
            raise answer
        return answer
    return send_lines
