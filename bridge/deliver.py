"""Delivery: execute a recorded sale's pending steps with an AstroClient, exactly once.

Public interface::

    deliver_sale(journal, client, sale_key, *, deadline=None, now=utcnow,
                 retry=RetryPolicy(), worker_id=None, lease_seconds=120) -> DeliveryOutcome
    receipt_data(sale: SaleRecord, status: CustomerStatus | None, fetched_at=None) -> dict
    retry_delay(attempt, retry, rng=random) -> seconds
    Worker(journal, client_for, *, retry=..., poll_interval=1.0, ...)   # a thread
        .start() / .stop(timeout=5) -> bool / .run_once(now=None) -> int

`deliver_sale` claims the sale in the journal (so a button request and the worker never
deliver one sale at the same time), runs its open steps in plan order, records each
outcome, and releases it. `deadline` is a `time.monotonic()` value: no new network call
starts after it and each call is cut short by it (AstroClient.deadline: a read cut short
is Ambiguous, handled by the rules below); what is left stays pending for the worker.

Outcomes per step (see bridge.translate for the step kinds):

- NotSent / RateLimited / AuthError: nothing happened; the sale is scheduled again after
  `retry_delay` (at least the server's Retry-After). The step stays pending.
- Ambiguous on customer, transactions or remove_transaction: the step stays pending and is
  re-sent later with the same ids (customer resolution is re-run from customerStatus;
  `TransactionID Already Exists` for an id of this sale counts as delivered).
- points (no idempotency key in Astro): before sending, a snapshot of the customer's
  points (balance and points transaction ids) is stored and the step is marked
  `uncertain` (write-ahead: even a crash mid-call leaves it uncertain). Success -> done;
  NotSent -> pending again; Ambiguous -> stays uncertain. An uncertain step is
  reconciled before any re-send by reading customerPointsStatus: no new points
  transaction and an unchanged balance -> not awarded (re-sent); exactly one new
  transaction that explains the balance change and has the right sign -> awarded (done,
  never re-sent); anything else (e.g. two new transactions because another sale of the
  same customer was awarded meanwhile) cannot be decided -> step failed and a `points`
  failure record asks a person to check. Points are never awarded twice.
- Customer: the cache, customerStatus, then an account found by email or phone that no
  other POS customer is linked to (linkCustomer; 320 "already linked" is checked with
  customerStatus: linked to this customer -> done, else addCustomer), else addCustomer.
  Only links Astro confirmed are cached. `No Customer Found` on a later step (batch,
  points, removal) makes the bridge forget the cached link and resolve the customer
  again, once per attempt, before that step is sent again.
- BusinessError: the step fails, with a failure record (kind customer, transaction or
  points; reason `Customer not accepted by Astro` for the customer step, else the reason
  of Astro's message). When the customer cannot be resolved the later steps fail too.
- addTransactionBatch line results: added, already (delivered before) or failed; a failed
  line (`No Item Found`...) is a `transaction` failure record and counts as a problem of
  the done step, which makes the sale `partial`.

When a sale has nothing left to do, customerStatus is read once and `receipt_data` is
stored with the sale (`SaleRecord.receipt`). Receipt shape::

    {"sale_key", "status", "refund": bool, "fetched_at": iso|None,
     "customer": {"id", "name", "astro_customer_id", "how"},   # how: known|found|linked|created
     "lines": [{"index", "item_code", "description", "qty", "transaction_id",
                "result": added|already|failed|pending, "message", "program_title"}],
     "cards": [{"program_id", "program_title", "punches", "required", "rewards_ready"}],
     "line_cards": {transaction_id: [{"card_id", "punches", "required", "complete"}]},
     "rewards_ready": [{"program_title", "item_description", "free_qty"}],
     "points": None | {"dollar_amount": "45.98", "awarded": int|None, "state",
                       "balance": int|None, "rewards": [{"title", "points_required"}]},
     "removed": [{"transaction_id", "item_code", "quantity", "state"}],
     "manual_removals": [{"item_code", "description", "qty"}]}

`cards` holds the open (active) card of each program: e.g. 7 punches of 12 required;
`line_cards` the cards each line's transaction punched, oldest first, complete or not.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from bridge.astro import (Ambiguous, AstroError, AuthError, BusinessError, CustomerStatus,
                          NotSent, PointsStatus, Purchase, RateLimited)
from bridge.config import RetryPolicy
from bridge.journal import (DONE, FAILED, PENDING, SALE_PENDING, UNCERTAIN, Journal,
                            SaleRecord, StepRecord, utcnow)
from bridge.reasons import Reason, astro_reason
from bridge.salelog import log_sale
from bridge.translate import CUSTOMER, POINTS, REMOVE_TRANSACTION, TRANSACTIONS, Step

log = logging.getLogger(__name__)

NO_CUSTOMER_MESSAGE = "No Customer Found"
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
    """Leave the remaining steps for later: at `retry_at` (None: due at once)."""

    def __init__(self, error: str, retry_at: dt.datetime | None = None):
        super().__init__(error)
        self.error, self.retry_at = error, retry_at


def retry_delay(attempt: int, retry: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt number `attempt` (0-based): exponential backoff
    capped at `retry.backoff_max`, with jitter (50-100%) so retries of many sales do not
    arrive together."""
    rng = rng or random
    raw = min(retry.backoff_max, retry.backoff_base * (2 ** min(attempt, 30)))
    return raw * (0.5 + rng.random() / 2)


def deliver_sale(journal: Journal, client, sale_key: str, *, deadline: float | None = None,
                 now: Callable[[], dt.datetime] = utcnow, retry: RetryPolicy = RetryPolicy(),
                 worker_id: str | None = None, lease_seconds: float = 120.0,
                 rng: random.Random | None = None, card_progress: bool = True) -> DeliveryOutcome:
    """Deliver what is left of the recorded sale `sale_key` and record every outcome.

    Never raises for Astro trouble (it is recorded and scheduled); KeyError when the sale
    is not in the journal. See the module docstring for the rules. `card_progress`
    False: the receipt is stored without reading the customer's cards (one call less;
    replay, where nobody looks at a receipt).
    """
    sale = journal.get_sale(sale_key)
    if sale is None:
        raise KeyError(sale_key)
    if sale.status != SALE_PENDING:
        return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt)
    worker_id = worker_id or f"deliver-{uuid.uuid4().hex[:12]}"
    if not journal.claim_sale(sale_key, worker_id, lease_seconds, now()):
        return DeliveryOutcome(sale_key, sale.status, claimed=False, receipt=sale.receipt)
    try:
        with _bounded(client, deadline):
            return _deliver_claimed(journal, client, sale, deadline, now, retry, rng,
                                    card_progress)
    finally:
        journal.release_sale(sale_key, worker_id)


def _bounded(client, deadline: float | None):
    """Each Astro call of the delivery ends by `deadline` (AstroClient.deadline)."""
    if deadline is None or client is None or not hasattr(client, "deadline"):
        return contextlib.nullcontext()
    return client.deadline(deadline)


def _deliver_claimed(journal: Journal, client, sale: SaleRecord, deadline, now, retry, rng,
                     card_progress: bool) -> DeliveryOutcome:
    sale_key = sale.sale_key
    stop = _Delivery(journal, client, sale, deadline, now, retry, rng).run()
    retry_at = None
    if stop is not None:
        retry_at = stop.retry_at or now()
        journal.schedule_retry(sale_key, retry_at, stop.error)
    sale = journal.get_sale(sale_key)
    receipt = sale.receipt
    if sale.status != SALE_PENDING:
        # Card progress needs one more call; past the deadline the receipt goes without.
        receipt = _store_receipt(journal, client if card_progress and not _past(deadline)
                                 else None, sale, now)
    return DeliveryOutcome(sale_key, sale.status, retry_at=retry_at,
                           error=stop.error if stop else None, receipt=receipt)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


class _Delivery:
    """One attempt at one sale."""

    def __init__(self, journal, client, sale: SaleRecord, deadline, now, retry, rng):
        self.journal, self.client, self.sale = journal, client, sale
        self.deadline, self.now, self.retry, self.rng = deadline, now, retry, rng
        self.key = sale.sale_key
        self.reresolved = False      # the customer was resolved again in this attempt

    def run(self) -> _Stop | None:
        for record in self.journal.pending_steps(self.key):
            step = self.sale.plan.step(record.n)
            try:
                self.check_time()
                if step.kind == CUSTOMER:
                    self.customer(step)
                elif step.kind == TRANSACTIONS:
                    self.transactions(step)
                elif step.kind == POINTS:
                    self.points(step, record)
                elif step.kind == REMOVE_TRANSACTION:
                    self.remove(step)
            except _Stop as stop:
                return stop
            except BusinessError as e:
                if self.stale_customer(step, e):
                    return self.run()        # resolve the customer again, then the rest
                self.fail(step, e)
                if step.kind == CUSTOMER:
                    self.fail_rest(step.n, "the customer could not be linked in Astro")
                    return None
            except (NotSent, AuthError) as e:
                wait = retry_delay(self.sale.attempts, self.retry, self.rng)
                if isinstance(e, RateLimited) and e.retry_after:
                    wait = max(wait, e.retry_after)
                return _Stop(str(e), self.now() + dt.timedelta(seconds=wait))
            except Ambiguous as e:
                wait = retry_delay(self.sale.attempts, self.retry, self.rng)
                return _Stop(str(e), self.now() + dt.timedelta(seconds=wait))
        return None

    def stale_customer(self, step: Step, e: BusinessError) -> bool:
        """Astro answered `No Customer Found` to a write step for the customer the step
        before resolved (e.g. from the cache, and the link is gone in Astro): forget the
        cached link and put the customer step back to pending, once per delivery. True
        when the steps are to be run again."""
        if (self.reresolved or e.message != NO_CUSTOMER_MESSAGE
                or step.kind not in (TRANSACTIONS, POINTS, REMOVE_TRANSACTION)):
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

    def fail(self, step: Step, e: BusinessError) -> None:
        self.journal.mark_step_failed(self.key, step.n, e.message)
        reason = (Reason.CUSTOMER_REFUSED if step.kind == CUSTOMER
                  else astro_reason(e.message))
        self.journal.record_failure(
            self.sale.store_id, FAILURE_KIND[step.kind], e.message, reason=reason,
            sale_key=self.key,
            customer_id=step.customer_id, item_code=step.item_code,
            transaction_id=step.transaction_id, endpoint=e.endpoint, status_code=e.code,
            at=self.now())

    def fail_rest(self, after: int, reason: str) -> None:
        for record in self.journal.pending_steps(self.key):
            if record.n > after:
                self.journal.mark_step_failed(self.key, record.n, reason)

    # -- customer --------------------------------------------------------------------
    def customer(self, step: Step) -> None:
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
            why = f"Astro refused to add POS customer {cid}: {e.message}"
            if taken:
                why += f" ({'; '.join(taken)})"
            raise BusinessError(why, endpoint=e.endpoint, code=e.code, data=e.data) from e
        self.customer_done(step, astro_id, "created")

    def linked_status(self, cid: str) -> CustomerStatus | None:
        """customerStatus of the POS customer, or None when no Astro account is linked."""
        try:
            return self.client.customer_status(cid)
        except BusinessError as e:
            if e.message != NO_CUSTOMER_MESSAGE:
                raise
            return None

    def customer_done(self, step: Step, astro_id: str | None, how: str) -> None:
        if astro_id:   # cache only a link Astro confirmed with its account id
            self.journal.remember_customer(self.sale.store_id, step.customer_id, astro_id,
                                           self.now())
        self.journal.mark_step_done(self.key, step.n,
                                    {"astro_customer_id": astro_id, "how": how})

    # -- transactions ----------------------------------------------------------------
    def transactions(self, step: Step) -> None:
        day = dt.date.fromisoformat(step.transaction_date)
        purchases = [Purchase(ln.transaction_id, ln.item_code, ln.qty, day) for ln in step.lines]
        results = self.client.add_transaction_batch(step.customer_id, purchases,
                                                    sale_id=step.sale_id)
        by_id = {r.transaction_id: r for r in results if r.transaction_id}
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

    # -- points ----------------------------------------------------------------------
    def points(self, step: Step, record: StepRecord) -> None:
        cid = step.customer_id
        if record.state == UNCERTAIN:
            snapshot = (record.result or {}).get("snapshot")
            current = self.client.customer_points_status(cid)
            decision, found = reconcile_points(snapshot, current, step.dollar_amount)
            if decision == "applied":
                self.journal.mark_step_done(self.key, step.n, {
                    "dollar_amount": str(step.dollar_amount), "reconciled": True,
                    "points_transaction_id": found.points_transaction_id,
                    "total_points": found.points})
                return
            if decision == "undecided":
                message = ("points may or may not have been awarded (the answer was lost and "
                           "the points history does not tell); check the customer's points "
                           f"for {step.dollar_amount} dollars")
                self.journal.mark_step_failed(self.key, step.n, message, record.result)
                self.journal.record_failure(
                    self.sale.store_id, "points", message, reason=Reason.POINTS_UNCERTAIN,
                    sale_key=self.key, customer_id=cid, endpoint="addPointsByDollar",
                    at=self.now())
                return
            self.check_time()
        snapshot = _points_snapshot(self.client.customer_points_status(cid), self.now())
        self.check_time()
        # Write-ahead: uncertain BEFORE the call, so a crash mid-call is reconciled too.
        self.journal.mark_step_uncertain(self.key, step.n, "sending addPointsByDollar",
                                         {"snapshot": snapshot})
        try:
            award = self.client.add_points_by_dollar(cid, step.dollar_amount)
        except Ambiguous as e:
            self.journal.mark_step_uncertain(self.key, step.n, str(e), {"snapshot": snapshot})
            raise
        except (NotSent, AuthError, BusinessError):
            # Surely not processed (refused, or not sent): back to pending, a re-send is
            # safe (a business refusal is then recorded as failed by run()).
            self.journal.mark_step_pending(self.key, step.n, {"snapshot": snapshot})
            raise
        self.journal.mark_step_done(self.key, step.n, {
            "dollar_amount": str(step.dollar_amount),
            "points_transaction_id": award.points_transaction_id,
            "total_points": award.total_points})

    # -- refunds ---------------------------------------------------------------------
    def remove(self, step: Step) -> None:
        removed = self.client.remove_transaction(step.customer_id, step.transaction_id,
                                                 step.quantity)
        self.journal.mark_step_done(self.key, step.n, {
            "removed": [{"transaction_id": r.transaction_id, "deleted": r.deleted}
                        for r in removed]})


def _points_snapshot(status: PointsStatus, at: dt.datetime) -> dict:
    return {"balance": status.balance, "taken_at": at.isoformat(),
            "transaction_ids": [t.points_transaction_id for t in status.transactions]}


def reconcile_points(snapshot: dict | None, current: PointsStatus, amount):
    """Was an award of `amount` dollars applied after `snapshot` was taken?

    Returns ("applied", transaction) | ("not_applied", None) | ("undecided", None).
    """
    if not snapshot or "transaction_ids" not in snapshot:
        return "undecided", None
    before = set(snapshot["transaction_ids"])
    new = [t for t in current.transactions if t.points_transaction_id not in before]
    old_balance, balance = snapshot.get("balance"), current.balance
    moved = None if old_balance is None or balance is None else balance - old_balance
    if not new and moved in (0, None):
        return "not_applied", None
    if len(new) == 1:
        t = new[0]
        points = t.points if t.points is not None else moved
        right_sign = points is not None and (points == 0 or (points > 0) == (amount > 0))
        explains = moved is None or points == moved
        if right_sign and explains:
            return "applied", t
    return "undecided", None


# -- receipt ---------------------------------------------------------------------------
def _store_receipt(journal: Journal, client, sale: SaleRecord, now) -> dict:
    status = None
    if client is not None and _customer_resolved(sale):
        try:
            status = client.customer_status(sale.plan.customer_id)
        except AstroError as e:
            log.info("receipt without card progress for %s: %s", sale.sale_key, e)
    receipt = receipt_data(sale, status, now() if status else None)
    journal.set_receipt(sale.sale_key, receipt)
    return receipt


def _customer_resolved(sale: SaleRecord) -> bool:
    return bool(sale.steps) and sale.steps[0].kind == CUSTOMER and sale.steps[0].state == DONE


def receipt_data(sale: SaleRecord, status: CustomerStatus | None,
                 fetched_at: dt.datetime | None = None) -> dict:
    """The receipt page's data for `sale`, from its recorded steps and (when given) the
    customer's status read after delivery. Pure; JSON-able. Shape in the module docstring."""
    plan, printable = sale.plan, sale.sale
    c = printable.get("customer", {})
    step_of = {s.n: s for s in sale.steps}
    receipt: dict = {
        "sale_key": sale.sale_key, "status": sale.status, "refund": plan.refund,
        "fetched_at": fetched_at.isoformat() if fetched_at else None,
        "customer": {"id": plan.customer_id,
                     "name": " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p),
                     "astro_customer_id": None, "how": None},
        "lines": [], "cards": [], "line_cards": {}, "rewards_ready": [], "points": None,
        "removed": [],
        "manual_removals": [{"item_code": m.item_code, "description": m.description,
                             "qty": m.qty} for m in plan.manual_removals],
    }
    for step in plan.steps:
        record = step_of.get(step.n)
        result = (record.result if record else None) or {}
        state = record.state if record else PENDING
        if step.kind == CUSTOMER and state == DONE:
            receipt["customer"].update(astro_customer_id=result.get("astro_customer_id"),
                                       how=result.get("how"))
        elif step.kind == TRANSACTIONS:
            outcomes = {ln["transaction_id"]: ln for ln in result.get("lines", [])}
            for ln in step.lines:
                got = outcomes.get(ln.transaction_id, {})
                receipt["lines"].append({
                    "index": ln.line_index, "item_code": ln.item_code,
                    "description": ln.description, "qty": ln.qty,
                    "transaction_id": ln.transaction_id,
                    "result": got.get("result") or ("failed" if state == FAILED else "pending"),
                    "message": got.get("message") or (record.error if record else None),
                    "program_title": got.get("program_title")})
        elif step.kind == POINTS:
            receipt["points"] = {"dollar_amount": str(step.dollar_amount), "state": state,
                                 "awarded": result.get("total_points") if state == DONE else None,
                                 "balance": None, "rewards": []}
        elif step.kind == REMOVE_TRANSACTION:
            receipt["removed"].append({"transaction_id": step.transaction_id,
                                       "item_code": step.item_code,
                                       "quantity": step.quantity, "state": state})
    if status is not None:
        receipt["customer"]["astro_customer_id"] = (receipt["customer"]["astro_customer_id"]
                                                    or status.astro_customer_id)
        if not receipt["customer"]["name"]:   # the button sent no names: Astro's
            receipt["customer"]["name"] = " ".join(
                p for p in (status.first_name, status.last_name) if p)
        line_of = {ln["transaction_id"]: ln for ln in receipt["lines"]}
        for card in status.cards:
            ready = [g for g in card.free_goods if not g.redeemed_on]
            # The cards each of this sale's transactions punched, in card order (a line
            # can fill one card and open the next): their progress, even once complete.
            for purchase in card.purchases:
                if purchase.transaction_id in line_of:
                    # A line Astro said was already there ("TransactionID Already
                    # Exists" after a lost answer) has no program in its result.
                    line = line_of[purchase.transaction_id]
                    line["program_title"] = line["program_title"] or card.program_title
                    touched = receipt["line_cards"].setdefault(purchase.transaction_id, [])
                    if not touched or touched[-1]["card_id"] != card.card_id:
                        touched.append({
                            "card_id": card.card_id, "punches": len(card.purchases),
                            "required": card.purchase_required_count,
                            "complete": bool(card.purchase_required_count) and
                            len(card.purchases) >= card.purchase_required_count})
            if card.status == "active":
                receipt["cards"].append({
                    "program_id": card.program_id, "program_title": card.program_title,
                    "punches": len(card.purchases), "required": card.purchase_required_count,
                    "rewards_ready": len(ready)})
            receipt["rewards_ready"] += [{"program_title": card.program_title,
                                          "item_description": g.item_description,
                                          "free_qty": g.free_qty} for g in ready]
        points = receipt["points"] or {"dollar_amount": None, "state": None, "awarded": None}
        points.update(balance=status.points_balance, rewards=[
            {"title": r.title, "points_required": r.points_required}
            for r in status.eligible_point_rewards])
        receipt["points"] = points
    return receipt


# -- the retry worker ------------------------------------------------------------------
class Worker(threading.Thread):
    """Background delivery: loops over due sales until each is delivered, failed for a
    business reason, or older than `retry.give_up_after` (then given up, with failure
    records for what was not delivered).

    `client_for(store_id)` returns the AstroClient for a store, or None when the worker
    cannot deliver for it (e.g. a `delegate` store without its own login); such sales
    are looked at again after `retry.backoff_max`.
    """

    def __init__(self, journal: Journal, client_for: Callable[[str], object | None], *,
                 retry: RetryPolicy = RetryPolicy(), poll_interval: float = 1.0,
                 batch: int = 20, lease_seconds: float = 300.0,
                 now: Callable[[], dt.datetime] = utcnow, worker_id: str | None = None):
        super().__init__(name="astro-bridge-worker", daemon=True)
        self.journal, self.client_for, self.retry = journal, client_for, retry
        self.poll_interval, self.batch, self.lease_seconds = poll_interval, batch, lease_seconds
        self.now = now
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._rng = random.Random()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:  # keep the loop alive; the sale stays due and is retried
                log.exception("delivery worker pass failed")
                busy = 0
            if not busy:
                self._stopping.wait(self.poll_interval)

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the worker to stop after the current sale; True when it has stopped within
        `timeout` seconds."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    def run_once(self, now: dt.datetime | None = None) -> int:
        """One pass over the sales due now; returns how many were attempted."""
        now = now or self.now()
        attempted = 0
        for key in self.journal.due_sales(now, self.batch):
            if self._stopping.is_set():
                break
            sale = self.journal.get_sale(key)
            if sale is None or sale.status != SALE_PENDING:
                continue
            attempted += 1
            age = (now - sale.received_at).total_seconds()
            if age > self.retry.give_up_after:
                self._give_up(sale)
                continue
            client = self.client_for(sale.store_id)
            if client is None:
                self.journal.schedule_retry(
                    key, now + dt.timedelta(seconds=self.retry.backoff_max),
                    "no Astro login for this store in the worker")
                continue
            started = time.monotonic()
            outcome = deliver_sale(self.journal, client, key, now=self.now, retry=self.retry,
                                   worker_id=self.worker_id, lease_seconds=self.lease_seconds,
                                   rng=self._rng)
            if outcome.claimed and outcome.status != SALE_PENDING:   # finished here
                log_sale(sale.store_id, key, outcome.status, time.monotonic() - started,
                         via="worker")
        return attempted

    def _give_up(self, sale: SaleRecord) -> None:
        if not self.journal.claim_sale(sale.sale_key, self.worker_id, self.lease_seconds):
            return
        started = time.monotonic()
        try:
            hours = self.retry.give_up_after / 3600
            reason = f"gave up after {hours:g} hours: {sale.last_error or 'not delivered'}"
            for record in self.journal.give_up(sale.sale_key, reason):
                step = sale.plan.step(record.n)
                message, why = reason, Reason.GIVEN_UP
                if record.state == UNCERTAIN:
                    message = f"{reason}; points may or may not have been awarded, check"
                    why = Reason.POINTS_UNCERTAIN
                lines = step.lines or (None,)
                for ln in lines:
                    self.journal.record_failure(
                        sale.store_id, FAILURE_KIND[step.kind], message, reason=why,
                        sale_key=sale.sale_key, customer_id=step.customer_id,
                        item_code=ln.item_code if ln else step.item_code,
                        description=ln.description if ln else None,
                        transaction_id=ln.transaction_id if ln else step.transaction_id,
                        at=self.now())
        finally:
            self.journal.release_sale(sale.sale_key, self.worker_id)
        log_sale(sale.store_id, sale.sale_key, "given-up", time.monotonic() - started,
                 via="worker")
