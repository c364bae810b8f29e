"""The retry worker: a thread that delivers the journal's due sales until each is
delivered, failed for a business reason, or too old (given up).

    Worker(journal, client_for, *, retry=RetryPolicy(), poll_interval=0.5, batch=16,
           concurrency=8, now=utcnow, worker_id=None)
        .start() / .stop(timeout=5) -> bool / .run_once(now=None) -> int

A pass delivers the due sales `concurrency` at a time (waiting on Astro, retries and
their backoff overlap; the journal's leases and the customers' points turns keep each
sale and each customer's awards to one delivery at a time). Each sale is isolated:
whatever one sale raises is logged with its key, the sale is scheduled again with
backoff, and the pass goes on with the others.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from bridge.config import RetryPolicy
from bridge.delivery.machine import FAILURE_KIND, deliver_sale, retry_delay
from bridge.journal import SALE_PENDING, UNCERTAIN, Journal, SaleRecord, utcnow
from bridge.reasons import Reason
from bridge.salelog import log_sale

log = logging.getLogger(__name__)


class Worker(threading.Thread):
    """Background delivery (see the module docstring). A sale older than
    `retry.give_up_after` is given up, with failure records for what was not delivered
    (an award that may have been applied is left for a person to decide).

    `client_for(store_id)` returns the AstroClient for a store, or None when the worker
    cannot deliver for it (e.g. a `delegate` store without its own login); such sales
    are looked at again after `retry.backoff_max`.
    """

    def __init__(self, journal: Journal, client_for: Callable[[str], object | None], *,
                 retry: RetryPolicy = RetryPolicy(), poll_interval: float = 0.5,
                 batch: int = 16, concurrency: int = 8,
                 now: Callable[[], dt.datetime] = utcnow, worker_id: str | None = None):
        super().__init__(name="astro-bridge-worker", daemon=True)
        self.journal, self.client_for, self.retry = journal, client_for, retry
        self.poll_interval, self.batch = poll_interval, batch
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="astro-bridge-worker") \
            if concurrency > 1 else None
        self.now = now
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self._stopping = threading.Event()
        self._rng = random.Random()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:  # e.g. the journal itself failing: keep the loop alive
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
        if self._pool is not None:
            self._pool.shutdown(wait=not self.is_alive(), cancel_futures=True)
        return not self.is_alive()

    def run_once(self, now: dt.datetime | None = None) -> int:
        """One pass over the sales due now; returns how many were attempted."""
        now = now or self.now()
        keys = self.journal.due_sales(now, self.batch)
        if self._pool is None or len(keys) < 2:
            for key in keys:
                self._isolated(key, now)
        else:
            for _ in self._pool.map(lambda key: self._isolated(key, now), keys):
                pass
        return len(keys)

    def _isolated(self, key: str, now: dt.datetime) -> None:
        if self._stopping.is_set():
            return
        try:
            self._attempt(key, now)
        except Exception as e:
            # One sale must never stop the others: log it, try it again later.
            sale = self.journal.get_sale(key)
            wait = retry_delay(sale.attempts if sale else 0, self.retry, self._rng)
            log.exception("delivery of %s failed unexpectedly (%s); retried in %.0f s",
                          key, type(e).__name__, wait)
            self.journal.schedule_retry(key, self.now() + dt.timedelta(seconds=wait),
                                        f"unexpected error ({type(e).__name__}); "
                                        f"retried later")

    def _attempt(self, key: str, now: dt.datetime) -> None:
        sale = self.journal.get_sale(key)
        if sale is None or sale.status != SALE_PENDING:
            return
        age = (now - sale.received_at).total_seconds()
        if age > self.retry.give_up_after:
            self._give_up(sale)
            return
        client = self.client_for(sale.store_id)
        if client is None:
            self.journal.schedule_retry(
                key, now + dt.timedelta(seconds=self.retry.backoff_max),
                "no Astro login for this store in the worker")
            return
        started = time.monotonic()
        outcome = deliver_sale(self.journal, client, key, now=self.now, retry=self.retry,
                               holder=self.worker_id, rng=self._rng)
        if outcome.claimed and outcome.status != SALE_PENDING:   # finished here
            log_sale(sale.store_id, key, outcome.status, time.monotonic() - started,
                     via="worker")
        elif outcome.claimed and outcome.error:
            log.info("%s: not delivered yet (%s); next attempt %s", key, outcome.error,
                     outcome.retry_at.isoformat(timespec="seconds") if outcome.retry_at
                     else "now")

    def _give_up(self, sale: SaleRecord) -> None:
        started = time.monotonic()
        with self.journal.holding(sale.sale_key, self.worker_id) as held:
            if not held:
                return
            hours = self.retry.give_up_after / 3600
            reason = f"gave up after {hours:g} hours: {sale.last_error or 'not delivered'}"
            for record in self.journal.give_up(sale.sale_key, reason):
                step = sale.plan.step(record.n)
                message, why = reason, Reason.GIVEN_UP
                if record.state == UNCERTAIN:
                    message = (f"Points uncertain: {reason}; the points may or may not have "
                               f"been awarded: a person decides")
                    why = Reason.POINTS_UNCERTAIN
                lines = getattr(step, "lines", None) or (None,)
                for ln in lines:
                    self.journal.record_failure(
                        sale.store_id, FAILURE_KIND[step.kind], message, reason=why,
                        sale_key=sale.sale_key, customer_id=step.customer_id,
                        item_code=ln.item_code if ln else getattr(step, "item_code", None),
                        description=ln.description if ln else None,
                        transaction_id=(ln.transaction_id if ln
                                        else getattr(step, "transaction_id", None)),
                        at=self.now())
        log_sale(sale.store_id, sale.sale_key, "given-up", time.monotonic() - started,
                 via="worker")
