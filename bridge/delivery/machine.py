"""The step machine: one delivery attempt of one recorded sale, in rounds.

    deliver_sale(journal, client, sale_key, *, deadline=None, now=utcnow,
                 retry=RetryPolicy(), holder=None, rng=None, card_progress=True,
                 claimed=False) -> DeliveryOutcome
    start_delivery(journal, sale_key, holder, *, client=None, deadline=None, now=utcnow)
        -> bool                       # claim + write-ahead, inside the caller's transaction
    deliver_sales(journal, client, sale_keys, *, max_lines=100, now=utcnow,
                  retry=RetryPolicy(), holder=None, rng=None) -> [DeliveryOutcome]
                                      # one customer's sales, lines in merged calls (replay)
    retry_delay(attempt, retry, rng=None) -> seconds

A round is the calls that can go out together (AstroClient.together: they overlap on the
wire), and each round's results are recorded in ONE journal commit, which also writes
ahead what the next round needs before it is sent (the points step taken, uncertain).
The rounds of a sale:

    lookup   customerStatus + searchCustomer by email and by phone     (customer not cached;
             replay: the searches in a round of their own, only when the POS id is
             not in Astro)
    link     linkCustomer (an account found, linked to no other POS customer), or
    add      addCustomer; each followed, when Astro says no, by a customerStatus check
    writes   addTransactionBatch + removeTransaction(s) + addPointsByDollar + customerStatus
    read     customerStatus again, only when the receipt cannot be told from the read
             that went with the writes (bridge.delivery.overlap)

A cached customer's click is one round (writes), a new customer's three. The rules are
in the package docstring (bridge.delivery).
"""
from __future__ import annotations

import datetime as dt
import contextlib
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from bridge.astro import (AstroError, AuthError, BusinessError, CallResult, CustomerNotFound,
                          NotSent, Purchase, RateLimited)
from bridge.config import RetryPolicy
from bridge.delivery.overlap import card_sizes_of, status_after
from bridge.delivery.points import PointsAward, WaitForPoints, note_points
from bridge.delivery.programs import known_programs, routine_lines
from bridge.delivery.receipt import receipt_data
from bridge.journal import (DONE, PENDING, SALE_PENDING, UNCERTAIN, Journal, PointsSnapshot,
                            SaleRecord, StepMove, StepRecord, utcnow)
from bridge.reasons import Reason, astro_reason
from bridge.translate import (CUSTOMER, POINTS, REMOVE_TRANSACTION, TRANSACTIONS, CustomerStep,
                              PointsStep, RemoveStep, Step, TransactionsStep, step_as)

log = logging.getLogger(__name__)

ALREADY_LINKED_CODE = 320
# The punches a card of each program needs, (Astro's address, store) -> {program id:
# count}, as customers' cards read by this process showed them: Astro's programs, the
# same for every customer, so a read from before a customer's first punch of a program
# can still be told. (The address: another Astro, e.g. a sandbox, has its own programs.)
_CARD_SIZES: dict[tuple[str, str], dict[str, int]] = {}
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
    jitter = rng.random() if rng is not None else random.random()
    raw = min(retry.backoff_max, retry.backoff_base * (2 ** min(attempt, 30)))
    return raw * (0.5 + jitter / 2)


def new_holder() -> str:
    """A holder name for one delivery (leases, bridge.journal.sales)."""
    return f"deliver-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Started:
    """A delivery attempt `start_delivery` began: its id, and the sale as the write-ahead
    left it (None: to be read again), so the attempt's first round needs no read."""
    attempt: str
    sale: SaleRecord | None = None


def start_delivery(journal: Journal, sale_key: str, holder: str, *, client=None,
                   deadline: float | None = None, now: Callable[[], dt.datetime] = utcnow,
                   sale: SaleRecord | None = None) -> Started | None:
    """Claim the recorded, pending sale for `holder` and write ahead what its first round
    needs (a cached customer's step done, the points step taken): journal only, so a
    caller can make it part of the transaction that records the sale (one commit).
    `sale`: the sale as the journal has it in this transaction, when the caller knows
    (RecordResult.sale: it was just recorded); else it is read. Returns the attempt when
    claimed (None else), for `deliver_sale(..., holder=holder, started=<it>)`."""
    if sale is None:
        sale = journal.get_sale(sale_key)
    if sale is None or sale.status != SALE_PENDING or not journal.claim_sale(sale_key, holder):
        return None
    delivery = _Delivery(journal, client, sale, holder, _attempt_of(holder), deadline, now,
                         RetryPolicy(), None, True, None)
    delivery.ahead()
    return Started(delivery.attempt, delivery._sale)


def _attempt_of(holder: str) -> str:
    # The attempt that begins an award is known by it: a holder is reused by a resumed
    # replay run, an attempt never.
    return f"{holder}:{uuid.uuid4().hex[:8]}"


def deliver_sale(journal: Journal, client, sale_key: str, *, deadline: float | None = None,
                 now: Callable[[], dt.datetime] = utcnow, retry: RetryPolicy = RetryPolicy(),
                 holder: str | None = None, rng: random.Random | None = None,
                 card_progress: bool = True, started: Started | None = None,
                 read_again: bool = True,
                 send_lines: Callable[[TransactionsStep], list] | None = None
                 ) -> DeliveryOutcome:
    """Deliver what is left of the recorded sale `sale_key` and record every outcome.

    The sale is held (a lease renewed by the journal's heartbeat) for the attempt, so a
    button request and workers never deliver one sale at the same time; `holder` names
    the holder (default: a new one; a replay run passes its run id to take back what a
    killed run of it held); `started`: the attempt `start_delivery` began for `holder`
    (the sale is claimed already). `deadline` is a `time.monotonic()` value: no new
    round starts after it and each call is cut short by it (AstroClient.deadline); a
    points call only starts with a full read timeout left. What is left stays pending
    for the worker. The receipt data is stored with the last round's results. Never
    raises for Astro trouble (it is recorded and scheduled); KeyError when the sale is
    not in the journal; any other error reaches the caller (the sale stays recorded).
    `card_progress` False: no customerStatus read for the receipt (replay, where nobody
    looks at a receipt). When the read that went with the writes cannot tell the receipt
    exactly (bridge.delivery.overlap), it is read once more; `read_again` False: when
    only a free good of a card this sale completed or the point rewards are in doubt,
    not in this attempt (a cashier is waiting): the receipt is stored with what could be
    told, marked `checking`, for the caller to have it read in the background.
    `send_lines`: what answers the sale's addTransactionBatch instead of a call of its
    own (deliver_sales: the results of a merged call).
    """
    if started is None:
        sale = journal.known_sale(sale_key)
        if sale.status != SALE_PENDING:
            return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt)
        holder = holder or new_holder()
        with journal.atomically():
            started = start_delivery(journal, sale_key, holder, client=client,
                                     deadline=deadline, now=now)
        if started is None:
            sale = journal.known_sale(sale_key)
            return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt,
                                   claimed=sale.status != SALE_PENDING)
    elif holder is None:
        raise ValueError("deliver_sale: `started` is an attempt of a holder: pass `holder`")
    with journal.holding(sale_key, holder, claimed=True) as hold:
        # Held since the write-ahead: the sale is as that left it.
        sale = started.sale or journal.known_sale(sale_key)
        if sale.status != SALE_PENDING:
            return DeliveryOutcome(sale_key, sale.status, receipt=sale.receipt)
        with _bounded(client, deadline):
            return _Delivery(journal, client, sale, holder, started.attempt, deadline, now,
                             retry, rng, card_progress, hold, read_again, send_lines).run()


def _bounded(client, deadline: float | None):
    """Each Astro call of the delivery ends by `deadline` (AstroClient.deadline)."""
    if deadline is None or client is None or not hasattr(client, "deadline"):
        return contextlib.nullcontext()
    return client.deadline(deadline)


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


@dataclass
class _Lookup:
    """What the lookup round found of a POS customer not linked in Astro."""
    match: Any = None                # the CustomerMatch to link, or None: add one
    what: str | None = None          # "email" | "phone"
    taken: list[str] = field(default_factory=list)   # why a found account was not linked
    checking: str | None = None      # "link" | "add": Astro said no; is it linked now?
    refusal: BusinessError | None = None


@dataclass
class _Call:
    what: str                        # status | search | link | add | batch | remove | points
    run: Callable[[], Any]
    step: Step | None = None
    detail: str | None = None        # search: "email" | "phone"
    snapshot: dict | None = None     # points: the customer's points written ahead with it


class _Delivery:
    """One attempt at one sale (see the module docstring)."""

    def __init__(self, journal: Journal, client, sale: SaleRecord, holder: str, attempt: str,
                 deadline, now, retry: RetryPolicy, rng, card_progress: bool, hold,
                 read_again: bool = True,
                 send_lines: Callable[[TransactionsStep], list] | None = None):
        self.journal, self.client, self.holder = journal, client, holder
        self._sale: SaleRecord | None = sale
        self.astro = str(getattr(client, "base_url", ""))
        self.attempt, self.deadline, self.now, self.retry = attempt, deadline, now, retry
        self.rng, self.card_progress, self.hold = rng, card_progress, hold
        self.read_again = read_again
        self.send_lines = send_lines
        self.key, self.store, self.cid = sale.sale_key, sale.store_id, sale.plan.customer_id
        self.reresolved = False      # the customer was resolved again in this attempt
        self.lookup: _Lookup | None = None
        self.sent: set[int] = set()  # steps sent in this attempt (never twice in one)
        self.stop: _Stop | None = None
        self.read: tuple[Any, dt.datetime] | None = None   # the receipt's latest read
        self.read_after_writes = False   # ...sent after every write had its answer
        self.award: tuple[str, int | None] | None = None   # answered in this attempt
        self.removed = False         # a removal was answered in this attempt
        self.snapshot_needed = False   # the customer's points are read before the award
        self.writing = False         # the round in flight sends writes
        self.points_in_doubt = False   # the award of this attempt is uncertain
        self._seen: tuple | None = None   # the last `seen`: (read, sale, given, Overlap)
        # The customer's email and phone were looked up (set by got_search, not by
        # customer_round, which also runs to peek).
        self.searched = False

    # -- the attempt ---------------------------------------------------------------------
    def run(self) -> DeliveryOutcome:
        try:
            if self.reconcile_points():
                with self.journal.atomically():
                    self.refresh()
                    self.ahead()
        except _Stop as stop:
            self.stop_for(stop)
        except AstroError as e:
            self.stop_for(self.transport_stop(e))
        while True:
            calls = self.next_round()
            if not calls:
                break
            if _past(self.deadline):
                self.stop_for(_Stop("request deadline reached; the worker finishes the "
                                    "delivery"))
                break
            if not self.journal.still_holding(self.key, self.holder):
                self.stop_for(_Stop("the lease on this sale was lost; another delivery has "
                                    "it"))
                break
            self.writing = any(c.what in WRITES for c in calls)
            results = self.client.together([c.run for c in calls])
            with self.journal.atomically():
                self.refresh()
                for call, result in zip(calls, results, strict=True):
                    self.record(call, result)
                self.refresh()
                if self.stop is None or not self.stop.counted:
                    self.ahead()
                if not self.next_round(peek=True):
                    return self.finish()
        with self.journal.atomically():
            self.refresh()
            return self.finish()

    @property
    def sale(self) -> SaleRecord:
        """The sale as the journal has it (read again after each `refresh`)."""
        if self._sale is None:
            self._sale = self.journal.known_sale(self.key)
        return self._sale

    def refresh(self) -> None:
        """The journal's sale changed (or may have): read it when next needed, not now
        (a step marked, then the points step taken, is one read, not two)."""
        self._sale = None

    def moved(self, move: StepMove) -> None:
        """The journal moved one of the sale's steps in this transaction: the sale as a
        read would give it now, without reading it."""
        if self._sale is not None:
            self._sale = self._sale.after(move)

    def finish(self) -> DeliveryOutcome:
        """Inside the last round's transaction: the receipt stored, the retry scheduled
        when work is left, the lease given back."""
        retry_at, stop = None, self.stop
        if self.sale.status == SALE_PENDING:
            if stop is None:
                stop = _Stop("not finished in this attempt", self.now() + dt.timedelta(
                    seconds=retry_delay(self.sale.attempts, self.retry, self.rng)))
            if stop.scheduled:
                retry_at = self.sale.next_attempt_at
            else:
                retry_at = stop.retry_at or self.now()
                self.journal.schedule_retry(self.key, retry_at, stop.error,
                                            counted=stop.counted)
        receipt = self.receipt()
        self.journal.set_receipt(self.key, receipt, hold=self.hold)   # the lease given back
        status = self.sale.status
        return DeliveryOutcome(self.key, status, retry_at=retry_at,
                               error=stop.error if stop and status == SALE_PENDING else None,
                               receipt=receipt)

    def receipt(self) -> dict:
        if self.read is None or not self.card_progress:
            return receipt_data(self.sale, None)
        read, asked_at = self.read
        if self.read_after_writes:
            return receipt_data(self.sale, read, asked_at)
        seen = self.seen(read)
        return receipt_data(self.sale, seen.status, asked_at, checking=not seen.exact)

    def seen(self, read):
        """What `read`, sent with the writes, tells (bridge.delivery.overlap)."""
        sizes = dict(_CARD_SIZES.get((self.astro, self.store), {}))
        sale, given = self.sale, (self.award, self.removed, sizes)
        # Asked twice at the end of a round (is a read still needed? the receipt): the
        # same read of the same sale is told once (a customer's cards are hundreds of
        # purchases).
        if self._seen and self._seen[0] is read and self._seen[1] is sale \
                and self._seen[2] == given:
            return self._seen[3]
        found = status_after(read, sale, award=self.award, removals=self.removed,
                             card_sizes=sizes)
        self._seen = (read, sale, given, found)
        return found

    def stop_for(self, stop: _Stop) -> None:
        """Keep the first reason to leave work for later (a wait gives way to an error)."""
        if self.stop is None or (not self.stop.counted and stop.counted):
            self.stop = stop

    def transport_stop(self, e: AstroError) -> _Stop:
        wait = retry_delay(self.sale.attempts, self.retry, self.rng)
        if isinstance(e, RateLimited) and e.retry_after:
            wait = max(wait, e.retry_after)
        return _Stop(str(e), self.now() + dt.timedelta(seconds=wait))

    # -- planning ------------------------------------------------------------------------
    def step_record(self, n: int) -> StepRecord | None:
        return next((s for s in self.sale.steps if s.n == n), None)

    def known_step_record(self, n: int) -> StepRecord:
        """The record of step `n`: the journal records every step of a sale's plan."""
        record = self.step_record(n)
        if record is None:
            raise RuntimeError(f"{self.key}: the journal has no record of step {n}")
        return record

    def looked_up(self) -> _Lookup:
        """The lookup round's findings, which a link or add round follows."""
        if self.lookup is None:
            raise RuntimeError(f"{self.key}: a link or add answered before the lookup")
        return self.lookup

    def customer_open(self) -> bool:
        record = self.step_record(0)
        return record is not None and record.kind == CUSTOMER and record.state == PENDING

    def customer_done_now(self) -> bool:
        record = self.step_record(0)
        return record is not None and record.kind == CUSTOMER and record.state == DONE

    def next_round(self, peek: bool = False) -> list[_Call]:
        """The calls of the next round ([] when nothing is left to send in this attempt);
        `peek`: only say what they would be (inside a transaction: nothing is sent)."""
        if self.stop is not None and self.stop.counted:
            return []
        if self.customer_open():
            return self.customer_round()
        calls = []
        for step in self.sale.plan.steps:
            record = self.step_record(step.n)
            if record is None or step.n in self.sent:
                continue
            if isinstance(step, TransactionsStep) and record.state == PENDING:
                calls.append(_Call("batch", self.batch_call(step), step))
            elif isinstance(step, RemoveStep) and record.state == PENDING:
                calls.append(_Call("remove", self.remove_call(step), step))
            elif (isinstance(step, PointsStep) and record.state == UNCERTAIN
                  and (record.result or {}).get("attempt") == self.attempt):
                calls.append(_Call("points", self.points(step).call, step,
                                   snapshot=(record.result or {}).get("snapshot")))
        if calls:
            if self.card_progress or self.snapshot_needed:
                calls.append(_Call("status", self.status_call()))   # last: see together()
        elif self.read_needed():
            calls.append(_Call("status", self.status_call()))
        if not peek:
            self.sent.update(c.step.n for c in calls if c.step is not None)
        return calls

    def read_needed(self) -> bool:
        """A read of its own: the customer's points before their first award, or the
        receipt's, when the read that went with the writes could not tell it (or there
        was none: nothing to send in this attempt but the sale's receipt)."""
        if not self.customer_done_now():
            return False
        if self.snapshot_needed:
            return True
        if not self.card_progress or self.read_after_writes:
            return False
        if self.sale.status == SALE_PENDING and not self.sent:
            return False           # waiting (e.g. for another sale's points): no receipt yet
        if self.read is None:
            return True
        seen = self.seen(self.read[0])
        return not seen.cards_known or (self.read_again and not seen.exact)

    def customer_round(self) -> list[_Call]:
        step = self.sale.plan.customer_step()
        c = step.customer
        lookup = self.lookup
        searches = [_Call("search", self.search_call(what, value), step, what)
                    for what, value in (("email", c.email), ("phone", c.phone)) if value]
        if lookup is None:
            calls = [_Call("status", self.status_call(), step)]
            if self.card_progress:
                # A cashier waits: the searches go with customerStatus, one round less.
                # Replay (nobody waits) searches only for a POS id Astro does not know:
                # a store's customers mostly are in Astro already, from the legacy
                # integration, and each search is a call.
                calls += searches
            return calls
        if lookup.checking:
            return [_Call("status", self.status_call(), step)]
        if searches and not self.searched:
            return searches
        if lookup.match is not None:
            astro_id = lookup.match.astro_customer_id
            return [_Call("link", lambda: self.client.link_customer(self.cid, astro_id), step)]
        return [_Call("add", lambda: self.client.add_customer(
            self.cid, c.first_name or "", c.last_name or "", email=c.email, phone=c.phone),
            step)]

    def status_call(self):
        # Replay's reads serve only the points snapshot: customerPointsStatus is enough.
        points_only = not self.card_progress and not self.customer_open()

        def read():
            asked_at = self.now()
            if points_only:
                return self.client.customer_points_status(self.cid), asked_at
            return self.client.customer_status(self.cid), asked_at
        return read

    def search_call(self, what: str, value: str):
        return lambda: self.client.search_customer(**{what: value})

    def batch_call(self, step: TransactionsStep):
        if self.send_lines is not None:
            return lambda: self.send_lines(step)
        return lambda: self.client.add_transaction_batch(step.customer_id, purchases(step),
                                                         sale_id=step.sale_id)

    def remove_call(self, step: RemoveStep):
        return lambda: self.client.remove_transaction(step.customer_id, step.transaction_id,
                                                      step.quantity)

    def points(self, step: PointsStep) -> PointsAward:
        return PointsAward(self.journal, self.client, self.key, self.store, step, self.holder,
                           self.now, self.deadline, self.attempt)

    # -- writing ahead (inside a transaction) --------------------------------------------
    def ahead(self) -> None:
        """Write what the next round needs before it is sent: a cached customer's step
        done (no call needed), the points step taken when that round sends it."""
        if self.customer_open():
            known = self.journal.known_customer(self.store, self.cid)
            if not known:
                return
            self.customer_done(self.sale.plan.customer_step(), known, "known")
        record = next((s for s in self.sale.steps if s.kind == POINTS), None)
        if (record is None or record.state != PENDING or record.n in self.sent
                or not self.customer_done_now() or self.snapshot_needed):
            return
        award = self.points(self.sale.plan.step_of(record.n, PointsStep))
        if not award.time_left():
            self.stop_for(_Stop("points are sent by the worker: too little time left in "
                                "this request for a full read timeout", counted=False))
            return
        turn = award.begin()
        if turn.needs_read:
            self.snapshot_needed = True      # the next round reads their points first
        elif turn.lease_lost:
            self.stop_for(_Stop("another delivery took this sale over"))
        elif turn.waiting_for:
            self.stop_for(_Stop(f"waiting for the points of {turn.waiting_for} (the same "
                                f"customer's awards go one at a time)", counted=False,
                                scheduled=True))
            self.refresh()                   # made due again: the sale's row changed
        elif turn.step is not None:
            self.moved(turn.step)
        else:
            self.refresh()

    # -- recording a round's results (inside its transaction) ----------------------------
    def record(self, call: _Call, result: CallResult) -> None:
        try:
            getattr(self, f"got_{call.what}")(call, result)
        except BusinessError as e:
            step = call.step
            if step is None:
                raise        # a read's refusals are handled by got_read: none reach here
            if isinstance(e, CustomerNotFound) and not isinstance(step, CustomerStep):
                if self.customer_open():     # being resolved again since another answer
                    self.sent.discard(step.n)
                    return
                if self.stale_customer(step):
                    return
            self.fail(step, e)
            if isinstance(step, CustomerStep):
                self.fail_rest(step.n, "the customer could not be linked in Astro")
        except (NotSent, AuthError) as e:
            self.stop_for(self.transport_stop(e))
        except AstroError as e:
            # Ambiguous, or an answer the client could not place: maybe processed. Ids
            # make customer and transaction steps safe to re-send; points stay uncertain
            # until reconciled.
            self.stop_for(_Stop(str(e), self.now() + dt.timedelta(
                seconds=retry_delay(self.sale.attempts, self.retry, self.rng))))

    def got_status(self, call: _Call, result: CallResult) -> None:
        if call.step is None:
            return self.got_read(result)
        # The customer's lookup, or a check after Astro said no to a link or an add.
        lookup = self.lookup or _Lookup()
        if not result.ok and isinstance(result.error, CustomerNotFound):
            if lookup.checking == "link":
                lookup.taken.append(f"its {lookup.what} belongs to Astro customer "
                                    f"{lookup.match.astro_customer_id}, already linked to "
                                    f"another POS customer")
                lookup.match = None
            elif lookup.checking == "add":
                e = lookup.refusal
                if e is None:
                    raise RuntimeError(f"{self.key}: an add check without Astro's refusal")
                why = f"Astro refused to add POS customer {self.cid}: {e.message}"
                if lookup.taken:
                    why += f" ({'; '.join(lookup.taken)})"
                raise BusinessError(why, endpoint=e.endpoint, code=e.code, data=e.data)
            lookup.checking = None
            self.lookup = lookup
            return
        status, asked_at = result.get()
        note_points(self.journal, self.store, self.cid, status, asked_at)
        how = "linked" if lookup.checking == "link" else "found"
        self.customer_done(step_as(call.step, CustomerStep), status.astro_customer_id, how)

    def got_read(self, result: CallResult) -> None:
        """The receipt's read (with the writes, or after them)."""
        if not result.ok:
            if isinstance(result.error, CustomerNotFound) and self.customer_open():
                return                   # the customer is being resolved again
            log.info("receipt without card progress for %s: %s", self.key, result.error)
            self.read, self.read_after_writes = None, True     # no second try for it
            return
        status, asked_at = result.value
        self.read, self.read_after_writes = (status, asked_at), not self.writing
        if hasattr(status, "cards"):
            _CARD_SIZES.setdefault((self.astro, self.store), {}).update(card_sizes_of(status))
        if self.snapshot_needed:
            # The points as they are before the award: its snapshot.
            self.snapshot_needed = False
            note_points(self.journal, self.store, self.cid, status, asked_at,
                        history_needed=False)
            return
        if self.points_in_doubt:
            return                       # an award in doubt is decided by its own snapshot
        if self.award is None:
            note_points(self.journal, self.store, self.cid, status, asked_at)
        elif any(str(t.points_transaction_id) == str(self.award[0])
                 for t in getattr(status, "points_transactions", ())):
            # finish_points_award added the award to the snapshot already; a read that
            # shows it is newer still (another channel's transactions too).
            note_points(self.journal, self.store, self.cid, status, self.now())

    def got_search(self, call: _Call, result: CallResult) -> None:
        self.searched = True
        if not self.customer_open():
            return                       # customerStatus found it: the search is moot
        match = result.get()
        lookup = self.lookup = self.lookup or _Lookup()
        if match is None or not match.astro_customer_id:
            return
        if match.customer_id and match.customer_id != self.cid:
            lookup.taken.append(f"its {call.detail} belongs to Astro customer "
                                f"{match.astro_customer_id}, linked to POS customer "
                                f"{match.customer_id}")
            return
        if lookup.match is None or (lookup.what == "phone" and call.detail == "email"):
            lookup.match, lookup.what = match, call.detail

    def got_link(self, call: _Call, result: CallResult) -> None:
        try:
            astro_id = result.get()
        except BusinessError as e:
            if e.code != ALREADY_LINKED_CODE:
                raise
            # Already linked: to this POS customer (done), or not: add our own.
            self.looked_up().checking = "link"
            return
        self.customer_done(step_as(call.step, CustomerStep), astro_id, "linked")

    def got_add(self, call: _Call, result: CallResult) -> None:
        try:
            astro_id = result.get()
        except BusinessError as e:
            # Another register (or a delivery of another sale) may have added the same
            # POS customer meanwhile: then it is linked now.
            lookup = self.looked_up()
            lookup.checking, lookup.refusal = "add", e
            return
        self.customer_done(step_as(call.step, CustomerStep), astro_id, "created")
        # A new account has no points history yet: the snapshot its first award needs.
        self.journal.note_points_read(self.store, self.cid, 0, [], self.now())

    def got_batch(self, call: _Call, result: CallResult) -> None:
        step = step_as(call.step, TransactionsStep)
        results = result.get()
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
                    self.store, "transaction", message,
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
        if problems:
            # Refused lines in no program at all are routine, not problems: told from
            # what the journal knows of their programs (no call on the cashier's path).
            codes = {ln.transaction_id: ln.item_code for ln in step.lines}
            lines, problems = routine_lines(lines, codes, known_programs(
                self.journal, self.sale.store_id, codes.values()))
        self.journal.mark_step_done(self.key, step.n, {"lines": lines}, problems=problems)

    def got_remove(self, call: _Call, result: CallResult) -> None:
        removed = result.get()
        self.removed = True
        self.journal.mark_step_done(self.key, step_as(call.step, RemoveStep).n, {
            "removed": [{"transaction_id": r.transaction_id, "deleted": r.deleted}
                        for r in removed]})

    def got_points(self, call: _Call, result: CallResult) -> None:
        step = step_as(call.step, PointsStep)
        snapshot = call.snapshot         # as the step was when sent (no read needed)
        if result.ok:
            self.award = (result.value.points_transaction_id, result.value.total_points)
        else:
            self.points_in_doubt = not isinstance(result.error,
                                                  (NotSent, AuthError, BusinessError))
        self.points(step).answered(
            result, PointsSnapshot.from_dict(snapshot) if snapshot else None)

    # -- customers -----------------------------------------------------------------------
    def customer_done(self, step: CustomerStep, astro_id: str | None, how: str) -> None:
        # Cache only a link Astro confirmed with its account id (one from the cache is
        # there already).
        if astro_id and how != "known":
            self.journal.remember_customer(self.store, step.customer_id, astro_id,
                                           self.now())
        self.moved(self.journal.mark_step_done(self.key, step.n,
                                               {"astro_customer_id": astro_id, "how": how}))

    def stale_customer(self, step: Step) -> bool:
        """Astro answered `No Customer Found` to a write step for the customer the step
        before resolved (e.g. from the cache, and the link is gone in Astro): forget the
        cached link and put the customer step back to pending, once per delivery. True
        when the customer is to be resolved again (and the step sent again)."""
        if self.reresolved or not self.customer_done_now():
            return False
        self.reresolved = True
        log.info("%s: Astro does not know customer %s any more; resolving it again",
                 self.key, step.customer_id)
        self.journal.forget_customer(self.store, step.customer_id)
        self.journal.mark_step_pending(self.key, 0)
        self.refresh()
        self.lookup, self.read, self.read_after_writes = None, None, False
        self.sent.discard(step.n)
        return True

    # -- failures ------------------------------------------------------------------------
    def fail(self, step: Step, e: BusinessError) -> None:
        self.refresh()
        current = self.known_step_record(step.n)
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
            self.store, FAILURE_KIND[step.kind], message, reason=reason,
            sale_key=self.key,
            customer_id=step.customer_id, item_code=getattr(step, "item_code", None),
            transaction_id=getattr(step, "transaction_id", None), endpoint=e.endpoint,
            status_code=e.code, at=self.now())
        self.refresh()

    def fail_rest(self, after: int, reason: str) -> None:
        for record in self.journal.pending_steps(self.key):
            if record.n > after and record.state == PENDING:
                self.journal.mark_step_failed(self.key, record.n, reason)
        self.refresh()

    # -- an award left uncertain by an earlier attempt -----------------------------------
    def reconcile_points(self) -> bool:
        """Decide an award an earlier attempt left uncertain, before anything else of the
        sale's points (reads only; each outcome its own commit). True when it was not
        applied: the award is to be sent (again)."""
        record = next((s for s in self.sale.steps if s.kind == POINTS), None)
        if (record is None or record.state != UNCERTAIN or self.customer_open()
                or (record.result or {}).get("attempt") == self.attempt):
            return False
        if _past(self.deadline):
            raise _Stop("request deadline reached; the worker finishes the delivery")
        step = self.sale.plan.step_of(record.n, PointsStep)
        try:
            return not self.points(step).reconciled(record)
        except WaitForPoints as wait:
            raise _Stop(str(wait), wait.retry_at, counted=wait.counted,
                        scheduled=wait.scheduled) from None
        except BusinessError as e:
            with self.journal.atomically():
                self.refresh()
                if isinstance(e, CustomerNotFound) and self.stale_customer(step):
                    raise _Stop(str(e)) from None
                self.fail(step, e)
            return False
        finally:
            self.refresh()


WRITES = ("batch", "remove", "points")


def purchases(step: TransactionsStep) -> list[Purchase]:
    """The lines of a transactions step as addTransactionBatch sends them."""
    day = dt.date.fromisoformat(step.transaction_date)
    return [Purchase(ln.transaction_id, ln.item_code, ln.qty, day) for ln in step.lines]


# -- several sales of one customer, their lines in merged calls (replay) --------------------
def deliver_sales(journal: Journal, client, sale_keys, *, max_lines: int = 100,
                  now: Callable[[], dt.datetime] = utcnow, retry: RetryPolicy = RetryPolicy(),
                  holder: str | None = None,
                  rng: random.Random | None = None) -> list[DeliveryOutcome]:
    """Deliver what is left of several recorded sales of ONE customer, in the order given
    (oldest first), their transaction lines merged into addTransactionBatch calls of at
    most `max_lines` lines (whole sales: a sale with more lines goes alone), each line
    with its own transactionID and date. Returns one DeliveryOutcome per key, in order.
    Receipts are stored without card progress (nobody waits at a till).

    Each sale keeps its own steps, outcome, failure records and receipt, exactly as
    `deliver_sale` records them (it is what records them, its addTransactionBatch
    answered from the merged call): a line Astro refuses fails that line of its own sale
    only; `TransactionID Already Exists` for an id of the sale is delivered; points and
    removals go sale by sale, in order. The customer is resolved once: when it is not in
    the journal's cache, the first sale is delivered alone and resolves it; when that
    cannot be done now (Astro not reached), the later sales are not tried. A merged call
    Astro did not take (NotSent) leaves its sales and the later ones pending and no
    further merged call is made; one whose answer was lost leaves them pending, to be
    sent again with the same ids; one Astro refused as a whole (a business error) is
    sent again sale by sale, so the refusal fails only the sale it concerns. The sales
    are held (leases) from their claim to their end; the journal work of the sales that
    need no call of their own is one transaction (one commit) for all of them."""
    keys = list(sale_keys)
    holder = holder or new_holder()
    sales = {key: journal.known_sale(key) for key in keys}
    if len({(s.store_id, s.plan.customer_id) for s in sales.values()}) > 1:
        raise ValueError("deliver_sales takes the sales of one customer")
    outcomes = {k: DeliveryOutcome(k, s.status, receipt=s.receipt)
                for k, s in sales.items() if s.status != SALE_PENDING}
    pending = [k for k in keys if k not in outcomes]
    if pending:
        outcomes.update(_deliver_pending(journal, client, pending, sales[pending[0]],
                                         max_lines, now, retry, holder, rng))
    return [outcomes[key] for key in keys]


def _deliver_pending(journal: Journal, client, keys: list[str], first: SaleRecord,
                     max_lines: int, now, retry, holder: str, rng) -> dict[str, DeliveryOutcome]:
    outcomes: dict[str, DeliveryOutcome] = {}
    answers: dict[str, list | AstroError] = {}

    def start(keys) -> dict[str, Started]:
        """Claim the sales and write ahead (a cached customer's step done): one commit."""
        started = {}
        with journal.atomically():
            for key in keys:
                attempt = start_delivery(journal, key, holder, client=client, now=now)
                if attempt is None:
                    sale = journal.known_sale(key)
                    outcomes[key] = DeliveryOutcome(key, sale.status, receipt=sale.receipt,
                                                    claimed=sale.status != SALE_PENDING)
                else:
                    started[key] = attempt
        return started

    def deliver(key: str, send_lines=None) -> DeliveryOutcome:
        return deliver_sale(journal, client, key, now=now, retry=retry, holder=holder,
                            rng=rng, card_progress=False, started=started[key],
                            send_lines=send_lines or _answered(client, answers.get(key)))

    def known() -> bool:
        return bool(journal.known_customer(first.store_id, first.plan.customer_id))

    def deliver_started() -> None:
        """The claimed sales, their outcomes into `outcomes`."""
        left = list(started)
        if left and not known():
            # The first sale resolves the customer; its addTransactionBatch is the first
            # merged call, which carries the next sales' lines too.
            lead, left = left[0], left[1:]
            lines = _open_lines(journal, [lead] + left)

            def lead_lines(step: TransactionsStep) -> list:
                answers.update(_merged_lines(client, lines, max_lines, calls=1))
                return _answered(client, answers.get(lead))(step)

            outcomes[lead] = deliver(lead, lead_lines)
            if not known():
                for key in left:
                    if outcomes[lead].status == SALE_PENDING:   # not resolved now
                        outcomes[key] = DeliveryOutcome(
                            key, SALE_PENDING, retry_at=outcomes[lead].retry_at,
                            error=outcomes[lead].error)
                    else:                                       # refused: one by one
                        outcomes[key] = deliver(key)
                return
            started.update(start(left))      # the customer's steps done, from the cache
            left = [key for key in left if key in started]
        rest = _open_lines(journal, [k for k in left if k not in answers])
        unsent = next((a for a in answers.values() if isinstance(a, (NotSent, AuthError))),
                      None)
        if unsent is not None:           # Astro did not take the lead's call: no more
            answers.update((key, unsent) for key in rest)
        else:
            answers.update(_merged_lines(client, rest, max_lines))
        quiet = [k for k in left if not _calls_left(journal, k, answers.get(k))]
        with journal.atomically():          # no call to make: their results in one commit
            for key in quiet:
                outcomes[key] = deliver(key)
        for key in left:                    # points, removals, lines sent alone: in order
            if key not in outcomes:
                outcomes[key] = deliver(key)

    with contextlib.ExitStack() as leases:
        started = start(keys)
        for key in started:                 # renewed by the heartbeat until delivered
            leases.enter_context(journal.holding(key, holder, claimed=True))
        deliver_started()
        with journal.atomically():          # the leases given back in one commit
            leases.close()
    return outcomes


def _open_lines(journal: Journal, keys: list[str]) -> dict[str, TransactionsStep]:
    """The transactions step still to send of each sale that has one, by key, in order."""
    steps: dict[str, TransactionsStep] = {}
    for key in keys:
        sale = journal.known_sale(key)
        record = next((s for s in sale.steps if s.kind == TRANSACTIONS
                       and s.state == PENDING), None)
        if record is not None:
            steps[key] = sale.plan.step_of(record.n, TransactionsStep)
    return steps


def _calls_left(journal: Journal, key: str, answer) -> bool:
    """Whether the rest of a sale's attempt calls Astro: points or a removal to send or
    to check, or lines that go in a call of their own (see `_answered`)."""
    sale = journal.known_sale(key)
    kinds = {s.kind for s in sale.steps if s.state in (PENDING, UNCERTAIN)}
    if kinds & {POINTS, REMOVE_TRANSACTION}:
        return True
    return TRANSACTIONS in kinds and (answer is None or isinstance(answer, BusinessError))


def _merged_lines(client, steps: dict[str, TransactionsStep], max_lines: int,
                  calls: int | None = None) -> dict[str, list | AstroError]:
    """Send the transactions steps in merged calls, in order (only the first `calls` of
    them, when given); by sale key, the line results of its step (in its lines' order),
    or the error of its call."""
    groups: list[list[tuple[str, TransactionsStep]]] = []
    call: list[tuple[str, TransactionsStep]] = []
    size = 0
    for key, step in steps.items():
        if call and size + len(step.lines) > max_lines:
            groups.append(call)
            call, size = [], 0
        call.append((key, step))
        size += len(step.lines)
    if call:
        groups.append(call)
    answers: dict[str, list | AstroError] = {}
    unsent = None
    for call in groups[:calls]:
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


def _answered(client, answer):
    """The `send_lines` of a sale whose lines went in a merged call: that call's results
    for them, or its error; refused as a whole, or not in a merged call at all, the
    sale's lines go in a call of their own."""
    def send_lines(step: TransactionsStep) -> list:
        if answer is None or isinstance(answer, BusinessError):
            return client.add_transaction_batch(step.customer_id, purchases(step),
                                                sale_id=step.sale_id)
        if isinstance(answer, AstroError):
            raise answer
        return answer
    return send_lines
