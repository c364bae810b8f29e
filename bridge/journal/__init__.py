"""The journal: every sale, its plan and delivery state, the customer cache, the failure
report, redemption attempts, what the phased migration keeps, and generated secrets.
The only package with SQL, but for replay's scratch store (bridge.replay.stage: a
throw-away SQLite file of its own, never the journal, whatever its backend).

Two backends behind one interface: a SQLite file in WAL mode with synchronous=FULL (a
commit is on disk when it returns; one connection per thread; `sqlite`), or a
PostgreSQL database shared by several bridges (a connection pool; `postgres`). Every
transaction runs in one place (`base`: a failed COMMIT is rolled back and reaches the
caller as JournalError; `atomically` makes several calls one transaction; on SQLite
this process's writers take turns on a lock of their own); one list of migrations
serves both (`schema`). The interface speaks in domain values (plans, steps, failures, aware
datetimes), never SQL, and keeps
to unique constraints (`INSERT ... ON CONFLICT`) and conditional updates with row counts
(never read-then-write for uniqueness); the few read-then-write transactions lock
first (`_lock_customer`, then `_lock_sale`: no-ops on SQLite, whose writers are
serialized). Times are stored as exact integer microseconds.

`Journal` is composed of parts, one module each: `base` (the backend, transactions, the
journal's clock, secrets, health), `sales` (with leases), `points`, `customers`,
`failures`, `redemptions`, `migration` (shadow outcomes, unreadable sales), `logins`
(the login throttle's records, ended admin sessions) and `programs` (what Astro lists of item
codes and stores). `copy` copies one
journal into another (`astro-bridge journal copy`).

Public interface (times are aware datetimes)::

    j = Journal(location, lease_seconds=15, yield_writes=False)
                                             # a file path, sqlite:///path, or a
                                             # postgresql:// URL (text or a Secret);
                                             # creates/migrates the schema (j.migrated:
                                             # steps applied); j.close(); a context
                                             # manager; j.name: for messages (no
                                             # password); yield_writes: a bulk job
                                             # leaves room for others' writes (SQLite)
    with j.atomically(): ...                 # this thread's journal calls in ONE write
                                             # transaction, one commit (nests; never
                                             # across an Astro call)
    j.commits -> int                         # write transactions committed so far
    with j.reading(): ...                    # this thread's reads in ONE read transaction
    j.reads -> int                           # read transactions run so far
    # sales (bridge.journal.sales)
    j.new_sale_key(store_id) -> "<store>-B<time-sortable id>"
    j.record_sale(store_id, sale, plan, fingerprint, received_at, phase="rest",
                  *, dedupe_window=120, force_new=False, first_attempt_at=None)
                  -> RecordResult(sale_key, created, conflict, sale)  # sale: as recorded
    j.get_sale(key) -> SaleRecord | None     j.sales(store_id=None, status=None, limit=100)
    j.pending_steps(key) -> tuple[StepRecord] (states pending and uncertain, in order)
    j.due_sales(now, limit=20) -> list[str]  # due at `now`, lease free on j.clock(),
                                             # oldest sale first
    j.claim_due_sales(now, holder, limit=20) -> list[str]   # the same, claimed in one
                                             # statement (SKIP LOCKED: workers of several
                                             # bridges get different sales)
    j.backlog(now) -> (pending, uncertain, undecided per store, worker lag seconds)
    # leases (on the journal's clock, j.clock(); free after lease_seconds unrenewed)
    j.claim_sale(key, holder) -> bool        j.release_sale(key, holder)
    j.renew_leases([(key, holder)]) -> [lost keys]
    with j.holding(key, holder, claimed=False) as hold: ...
                                             # claim (unless claimed), heartbeat renewal,
                                             # release (hold.release() inside atomically
                                             # releases with that commit)
    j.still_holding(key, holder) -> bool     # False once the heartbeat lost the lease
    # mark_step_* and finish_points_award return the StepMove they wrote (with the
    # sale's status after it): sale.after(move) is the sale a read would give back
    j.mark_step_done(key, n, result=None, *, problems=0)   # problems: failed lines inside
    j.mark_step_failed(key, n, error, result=None)         # business failure, final
    j.mark_step_uncertain(key, n, error, result=None)      # points maybe applied
    j.mark_step_undecided(key, n, error, result=None)      # points: a person decides
    j.mark_step_pending(key, n, result=None, error=None)   # (back) to pending
    j.schedule_retry(key, at, error, *, counted=True)   # counted: an attempt, not a wait
    j.give_up(key, reason) -> list[StepRecord]
    j.retry_sale(key, now=None) -> bool      # person's Retry: failed/given_up -> pending
    j.retry_with_customer(key, customer, plan, now=None) -> bool
                                             # a refused customer, corrected: sent again
    j.set_receipt(key, receipt)
    # points (bridge.journal.points): one award of a customer at a time, in sale order
    j.points_snapshot(store_id, customer_id) -> PointsSnapshot | None
    j.note_points_read(store_id, customer_id, balance, transaction_ids, at)
    j.begin_points_award(key, n, holder, *, store_id, customer_id, result, wait_until)
        -> PointsTurn                        # the turn taken, or why not (then due at
                                             # wait_until, or woken earlier)
    j.finish_points_award(key, n, *, store_id, customer_id, dollar_amount,
                          points_transaction_id, points, result)
    j.points_attributions(store_id, customer_id) -> {points transaction id: sale key}
    j.points_rates(store_id, limit=20) -> [(dollars, points)]
    j.decide_points(key, awarded, *, by, now=None) -> bool  # a person's answer
    # customers (bridge.journal.customers)
    j.known_customer(store_id, customer_id) -> astro_customer_id | None
    j.remember_customer(store_id, customer_id, astro_customer_id, at=None)
    j.forget_customer(store_id, customer_id) -> bool   # Astro no longer knows the link
    # failure report (bridge.journal.failures)
    j.record_failure(store_id, kind, message, *, reason, sale_key=None,
                     customer_id=None, item_code=None, description=None,
                     transaction_id=None, endpoint=None, status_code=None, at=None) -> id
                     # reason: a bridge.reasons.Reason, stored with the line
    j.failures(store=None, since=None, reason=None, kind=None, include_hidden=False,
               sale_key=None, *, ids=None, exclude_retried=False, limit=None,
               older_than=None) -> list[Failure]   # newest first; older_than: next batch
    j.count_failures(store, since, reason, include_hidden, *, exclude_retried) -> int
    j.failure_reasons(store, since, *, exclude_retried) -> set[Reason]
    j.hide_failure(id) -> bool               j.mark_failure_retried(id, when) -> bool
    j.retried_failure_ids(since=None) -> set[int]
    j.failed_item_codes(reason, since) -> {store_id: {item codes}}  # listed, not hidden
    # what Astro lists (bridge.journal.programs)
    j.item_programs(store_id, codes) -> ItemPrograms   # last answers, with when
    j.remember_item_programs(store_id, {code: (Program, ...)}, at)
    j.remember_store_programs(store_id, programs, at)
    # redemptions (bridge.journal.redemptions)
    j.begin_redemption(key, *, store, customer_id, sale_key, kind, reward_id, item_id,
                       title, when) -> RedemptionClaim(started, status)
    j.finish_redemption(key, state, *, when, endpoint=None, status_code=None,
                        message=None, reason=None) -> failure id | None
    j.reopen_uncertain_redemption(key, when) -> bool
    j.redemption(key) -> RedemptionRecord | None
    j.redemption_by_failure(failure_id) -> RedemptionRecord | None
    j.redemptions_of_sale(sale_key) -> list[RedemptionRecord]
    # phased migration (bridge.journal.migration)
    j.record_shadow_outcome(sale_key, outcome, at=None)
    j.record_unreadable_sale(store_id, phase, problem, received_at) -> id
    j.migration_sales(store=None, since=None) -> list[dict]
    # logins (bridge.journal.logins), shared by every bridge on the journal
    j.login_record(address) -> (record, last seen) | None
    j.change_login_record(address, change, *, now, window, max_records) -> result
    j.end_session(sid, expires, *, now)      j.session_ended(sid) -> bool
    # secrets and health (bridge.journal.base)
    j.secret(name) -> str                    j.health_check() -> bool

Step states: pending, done, failed (business reason; final until a person retries),
uncertain (sent, outcome unknown: reconcile before any re-send), undecided (points whose
outcome Astro's history cannot tell: a person decides, no retry re-sends them),
given_up, skipped (phase passthrough/shadow: recorded, not sent). Sale status, derived from its
steps
whenever one changes: pending (something left to do), delivered (all done, no failed
line), partial (something failed, something delivered), failed (nothing but the
customer step got through), given_up, or the phase name for passthrough/shadow sales.

What is stored of a sale is its printable form (`LegacySale.to_printable()`): never the
button's password.

May import: legacy_qs, bridge.translate, bridge.reasons (and psycopg for PostgreSQL).
Nothing of Astro or of HTTP pages.
"""
from __future__ import annotations

import os

from bridge.journal.base import LEASE_SECONDS, JournalError, utcnow
from bridge.journal.customers import CustomerJournal
from bridge.journal.failures import FAILURE_KINDS, Failure, FailureJournal
from bridge.journal.migration import MIGRATION_PHASES, MigrationJournal
from bridge.journal.points import PointsJournal, PointsSnapshot, PointsTurn
from bridge.journal.programs import ProgramsJournal
from bridge.journal.redemptions import (REDEMPTION_STATES, RedemptionClaim,
                                        RedemptionJournal, RedemptionRecord)
from bridge.journal.sales import (DONE, FAILED, GIVEN_UP, OPEN_STATES, PENDING,
                                  SALE_DELIVERED, SALE_FAILED, SALE_GIVEN_UP, SALE_PARTIAL,
                                  SALE_PENDING, SKIPPED, UNCERTAIN, UNDECIDED,
                                  RecordResult, SaleRecord, StepMove, StepRecord,
                                  derive_status)
from bridge.journal.schema import MIGRATIONS, migrate
from bridge.journal.logins import LoginJournal

__all__ = [
    "Journal", "JournalError", "utcnow", "MIGRATIONS", "LEASE_SECONDS",
    "PENDING", "DONE", "FAILED", "UNCERTAIN", "UNDECIDED", "GIVEN_UP", "SKIPPED",
    "OPEN_STATES", "PointsSnapshot", "PointsTurn",
    "SALE_PENDING", "SALE_DELIVERED", "SALE_PARTIAL", "SALE_FAILED", "SALE_GIVEN_UP",
    "RecordResult", "StepMove", "StepRecord", "SaleRecord", "derive_status",
    "FAILURE_KINDS", "Failure", "REDEMPTION_STATES", "RedemptionRecord", "RedemptionClaim",
    "MIGRATION_PHASES",
]


class Journal(PointsJournal, CustomerJournal, FailureJournal, RedemptionJournal,
              MigrationJournal, LoginJournal, ProgramsJournal):
    """The durable record of sales and their delivery. Thread-safe.

    `location`: a SQLite file's path (or `sqlite:///path`), or a `postgresql://` URL,
    as text or as a secret (an object with `reveal()`). Opening it brings its schema up
    to date; `migrated` says how many steps that took (0: it was current)."""

    def __init__(self, location: str | os.PathLike, *,
                 lease_seconds: float = LEASE_SECONDS, yield_writes: bool = False):
        super().__init__(location, lease_seconds=lease_seconds, yield_writes=yield_writes)
        try:
            with self._write() as conn:
                self.migrated = migrate(self._backend, conn, self.name)
        except BaseException:
            self._backend.close()
            raise
