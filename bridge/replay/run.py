"""Running a replay: stage, group, translate, record, deliver, tell.

The flow (the same modules as the button bridge, no second pipeline)::

    files --readers--> StagedRow --journal.stage_rows--> SQLite
          --journal.staged_groups (ordered)--> grouping.assemble_sales --> ReplaySale
          --intake.prepare--> Plan --intake.record--> (durable)
          --deliver (AstroClient, rate-capped)--> journal step states --> Tally/Report

A sale is prepared (planned) by the thread that sends it, right before it is recorded:
a refund is then planned against its original sale once that is in the journal (the
same customer's sales go through one thread in date order), so with
`refund_remove_items` its items come off the cards as with the button.

Resuming: every sale is recorded in the journal under a key derived from the input
before anything is sent, so running the same command again finds delivered sales
(skipped, "already delivered"), delivers sales left pending by a stop at any point,
and records and delivers the rest.

Concurrency: sales are read in date order and handed to N worker threads by customer
(a customer's sales always go to the same thread, so they arrive at Astro in date
order); the queues are small, so memory stays flat. A shared token bucket caps the
calls per second of all threads together.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass

from bridge import intake
from bridge.astro import AstroClient
from bridge.delivery import deliver_sale
from bridge.journal import SALE_DELIVERED, SALE_PARTIAL, SALE_PENDING, Journal, utcnow
from bridge.replay.errors import UnusableInput
from bridge.replay.grouping import InvalidSale, ReplaySale, assemble_sales
from bridge.replay.progress import Progress
from bridge.replay.readers import check_inputs, read_inputs
from bridge.replay.rows import StagedRow
from bridge.replay.summary import Report, Tally
from bridge.replay.throttle import TokenBucket
from bridge.replay.workers import Workers
from bridge.translate import CUSTOMER

# After this many sales in a row could not be delivered for transport reasons, Astro is
# taken to be down: the run stops (resumable) instead of grinding through the file.
GIVE_UP_AFTER_CONSECUTIVE = 25
# A sale left pending (transport trouble, 429) is tried again in place this many times,
# waiting for its retry time but at most MAX_WAIT seconds, before the final pass.
INLINE_ATTEMPTS = 3
MAX_WAIT = 30.0
DELIVERED = (SALE_DELIVERED, SALE_PARTIAL)
SALE_ID_CONFLICT = "sale id already used by a different sale"


class ThrottledClient(AstroClient):
    """An AstroClient whose calls (one per Astro endpoint call, as deliver makes them)
    first take a token from a bucket shared by all delivery threads."""

    def __init__(self, *args, bucket: TokenBucket, **kwargs):
        super().__init__(*args, **kwargs)
        self._bucket = bucket

    def call(self, endpoint, payload=None):
        self._bucket.take()
        return super().call(endpoint, payload)


@dataclass(frozen=True)
class ReplayOptions:
    """What the user asked for (see `astro-bridge replay --help`)."""

    files: tuple[str, ...]
    store_id: str
    fmt: str | None = None
    preset: str | None = None
    mapping: dict = dataclasses.field(default_factory=dict)
    points: bool = False
    dry_run: bool = False
    concurrency: int = 1
    rate: float | None = None
    report_path: str | None = None
    progress: bool | None = None       # None: a bar on a terminal, lines otherwise
    progress_interval: float = 5.0


def run_id_for(store_id: str, options: ReplayOptions) -> str:
    """The staging id of a replay: the same command on the same files gets the same id,
    so a resumed run replaces what a killed one left staged."""
    parts = [store_id, options.fmt or "", options.preset or "",
             repr(sorted(options.mapping.items()))]
    parts += [os.path.abspath(f) for f in options.files]
    return "replay-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def _store(config, options: ReplayOptions):
    try:
        store = config.store(options.store_id)
    except KeyError:
        known = ", ".join(s.id for s in config.stores)
        raise UnusableInput(f"unknown store {options.store_id!r} (stores in "
                            f"{config.source}: {known})") from None
    if store.phase != "rest" and not options.dry_run:
        raise UnusableInput(f"store {store.id} is in phase {store.phase!r}: replay sends "
                            f"to Astro only for stores in phase 'rest' (or use --dry-run)")
    if not options.dry_run and not (store.astro.username and store.astro.password):
        raise UnusableInput(f"store {store.id} has no Astro login in {config.source} "
                            f"(stores.{store.id}.astro username/password): replay needs one")
    # Points are the replay's decision, not the store's: past sales may have earned
    # theirs already.
    return dataclasses.replace(store, points=options.points)


def _nothing_to_send(plan) -> bool:
    """Only the customer step: no line to punch, no points (e.g. every qty was 0)."""
    return all(step.kind == CUSTOMER for step in plan.steps)


class Replay:
    """One replay run; `run()` returns the Tally (see `replay`)."""

    def __init__(self, config, options: ReplayOptions, out, err):
        self.config, self.options, self.out, self.err = config, options, out, err
        self.store = _store(config, options)
        check_inputs(options.files, options.fmt, options.preset, options.mapping)
        self.tally = Tally(points=options.points, dry_run=options.dry_run)
        self.today = dt.datetime.now(self.store.tz).date()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.stopped_reason: str | None = None
        self.total = 0

    # -- reading -----------------------------------------------------------------------
    def _sales(self, stage, run_id: str):
        """Stage every input record, then yield the sales grouped, in date order."""
        stage.drop_stage(run_id)  # what a killed run of this command left behind
        def counted(rows):
            for row in rows:
                self.tally.line_items += row.items
                yield row

        stage.stage_rows(run_id, counted(read_inputs(
            self.options.files, self.store.id, self.options.fmt, self.options.preset,
            self.options.mapping)))
        self.total = stage.staged_group_count(run_id)
        return assemble_sales([StagedRow(*row) for row in group]
                              for group in stage.staged_groups(run_id))

    # -- one sale ----------------------------------------------------------------------
    def _invalid(self, item: InvalidSale) -> None:
        self.tally.count_invalid(item)
        self.report.invalid(item)

    def _translate(self, item: ReplaySale, journal: Journal) -> intake.Intake | None:
        """The prepared sale (its original looked up in `journal`), or None when it has
        nothing to send: a return whose items are taken off cards by hand, as with the
        button, with points off; or only zero quantities. Skipped, not invalid: the
        input is fine; the report says why."""
        prepared = intake.prepare(journal, self.store, item.sale, today=self.today,
                                  key=item.sale_key(self.store))
        plan = prepared.plan
        if _nothing_to_send(plan):
            why = ("a return: its items are taken off cards by hand" if plan.manual_removals
                   else "no line with a positive quantity")
            if not self.options.points:
                why += ", and points are off"
            self.tally.count_skipped(why)
            self.report.skipped(item.sources, item.sale.sale_id, why)
            return None
        self.tally.count_valid()
        return prepared

    def _dry(self, item: ReplaySale, journal: Journal, lookup) -> None:
        prepared = self._translate(item, journal)
        if prepared is None:
            return
        plan = prepared.plan
        if lookup is not None:
            record = lookup.get_sale(plan.sale_key)
            if record is not None and not record.open_steps:
                self.tally.count_already()
                return
        self.tally.lines_to_send += len(plan.transaction_ids())
        points = plan.points_step()
        if points is not None:
            self.tally.points_to_send += points.dollar_amount

    # -- the run -----------------------------------------------------------------------
    def run(self) -> Tally:
        self.report = Report(self.options.report_path)
        try:
            if self.options.dry_run:
                self._run_dry()
            else:
                self._run_live()
        finally:
            self.report.close()
        return self.tally

    def _progress(self) -> Progress:
        return Progress(self.total, stream=self.err, tty=self.options.progress,
                        interval=self.options.progress_interval,
                        label="dry run" if self.options.dry_run else "replay")

    def _run_dry(self) -> None:
        """Stage in a throw-away journal; read the real one (when there is one) only to
        say which sales are already delivered. No client is made."""
        lookup = Journal(self.config.journal_path) \
            if os.path.exists(self.config.journal_path) else None
        with tempfile.TemporaryDirectory(prefix="astro-bridge-dry-run-") as tmp:
            stage = Journal(os.path.join(tmp, "stage.db"))
            try:
                run_id = run_id_for(self.store.id, self.options)
                sales = self._sales(stage, run_id)
                progress = self._progress()
                for item in sales:
                    self.tally.sales_read += 1
                    if isinstance(item, InvalidSale):
                        self._invalid(item)
                    else:
                        self._dry(item, lookup or stage, lookup)
                    progress.advance()
                progress.close()
            finally:
                stage.close()
                if lookup is not None:
                    lookup.close()

    # -- live --------------------------------------------------------------------------
    def _client(self) -> AstroClient:
        login = self.store.astro
        return ThrottledClient(login.base_url, login.username, login.password.reveal(),
                               login.client_id, bucket=TokenBucket(self.options.rate),
                               pool_size=max(4, self.options.concurrency))

    def _start(self, item: ReplaySale, prepared: intake.Intake) -> bool:
        """Record the sale (before anything is sent) unless the journal has it; False
        when there is nothing to send (already delivered, failed in an earlier run, or
        its sale id is already recorded for a different sale: a failed row)."""
        plan = prepared.plan
        recorded = intake.record(self.journal, prepared, utcnow(),
                                 force_new=True)  # the key is the identity here
        if recorded.created:
            return True
        if recorded.conflict:
            # The key (store and sale id) is recorded for a sale with other contents,
            # e.g. a second file reusing sale ids: this one is not sent.
            self._failed(item, plan.sale_key, SALE_ID_CONFLICT)
            return False
        record = self.journal.get_sale(plan.sale_key)
        if record.status == SALE_PENDING:
            return True  # a stopped run left it: resume
        if record.status in DELIVERED:
            self.tally.count_already()
        else:
            self._failed(item, plan.sale_key, f"{record.status} in an earlier run"
                         + (f": {record.last_error}" if record.last_error else "")
                         + " (see the failure report)")
        return False

    def _failed(self, item: ReplaySale, key: str, reason: str) -> None:
        self.tally.count_failed(reason)
        self.report.failed(item.sources, key, reason)

    def _finish(self, item: ReplaySale, key: str, outcome) -> None:
        """Count a finished delivery: sent, with Astro's answer for lines not punched."""
        if outcome.status not in DELIVERED:
            sale = self.journal.get_sale(key)
            errors = [s.error for s in sale.steps if s.error] if sale else []
            self._failed(item, key, errors[0] if errors else outcome.status)
            return
        self.tally.count_sent()
        for line in (outcome.receipt or {}).get("lines", []):
            if line.get("result") == "failed":
                reason = line.get("message") or "refused"
                self.tally.count_line_outcome(reason)     # Astro's answer, as it said it
                self.report.add(item.line_source(line["index"]), key, "line not punched",
                                f"{line['item_code']}: {reason}")

    def _deliver(self, item: ReplaySale, key: str, attempts: int = INLINE_ATTEMPTS):
        """deliver_sale until it is not pending, waiting for each retry time (capped);
        the outcome of the last attempt."""
        outcome = None
        for attempt in range(attempts):
            if attempt and outcome is not None:
                at = outcome.retry_at or utcnow()
                wait = min(MAX_WAIT, max(0.0, (at - utcnow()).total_seconds()))
                if self.stop.wait(wait):
                    break
            # The worker id is the run's: a resumed run takes back at once the sales a
            # killed run of the same command held (their lease would block it otherwise).
            outcome = deliver_sale(self.journal, self.client, key, retry=self.config.retry,
                                   holder=self.run_id, card_progress=False)
            if outcome.status != SALE_PENDING:
                break
            if not outcome.claimed:
                outcome = dataclasses.replace(
                    outcome, error="another process is delivering it (its lease holds it)")
        return outcome

    def _handle(self, item: ReplaySale) -> None:
        prepared = self._translate(item, self.journal)
        if prepared is not None and self._start(item, prepared):
            key = prepared.sale_key
            outcome = self._deliver(item, key)
            if outcome is not None and outcome.status == SALE_PENDING:
                with self._lock:
                    self.pending.append((item, key, outcome.error))
                    self._streak += 1
                    if self._streak >= GIVE_UP_AFTER_CONSECUTIVE and not self.stop.is_set():
                        self.stopped_reason = (
                            f"Astro is not answering ({self._streak} sales in a row could "
                            f"not be sent; last: {outcome.error})")
                        self.stop.set()
            else:
                with self._lock:
                    self._streak = 0
                if outcome is not None:
                    self._finish(item, key, outcome)
        self._advance()

    def _crashed(self, item: ReplaySale, exc: Exception) -> None:
        self._failed(item, item.sale_key(self.store),
                     f"internal error: {type(exc).__name__}: {exc}")
        self._advance()

    def _advance(self) -> None:
        self.progress.advance()

    def _run_live(self) -> None:
        self.journal = Journal(self.config.journal_path)
        self.client = self._client()
        self.pending: list = []
        self._streak = 0
        self.progress = None
        run_id = self.run_id = run_id_for(self.store.id, self.options)
        workers = None
        try:
            sales = self._sales(self.journal, run_id)
            self.progress = self._progress()
            workers = Workers(self.options.concurrency, self._handle, self._crashed, self.stop)
            try:
                for item in sales:
                    if self.stop.is_set():
                        break
                    self.tally.sales_read += 1
                    if isinstance(item, InvalidSale):
                        self._invalid(item)
                        self._advance()
                        continue
                    workers.submit(item.customer_id, item)
            except KeyboardInterrupt:
                self.stopped_reason = "interrupted"
                self.stop.set()
            workers.close()
            workers = None
            self.progress.close()
            self.progress = None
            self._final_pass()
            if self.stopped_reason is None:
                self.journal.drop_stage(run_id)
        except KeyboardInterrupt:
            self.stopped_reason = "interrupted"
            self.stop.set()
        finally:
            if workers is not None:
                workers.close(timeout=15)
            if self.progress is not None:
                self.progress.close()
            self.client.close()
            self.journal.close()
        self.tally.unfinished = self._unfinished()
        self.tally.stopped = self.stopped_reason

    def _final_pass(self) -> None:
        """One more try for the sales left pending; what is still pending is reported
        as not delivered yet (a later run, or the bridge's worker, delivers it)."""
        left, self.pending = self.pending, []
        for item, key, error in left:
            outcome = None
            if not self.stop.is_set():
                outcome = self._deliver(item, key, attempts=2)
            if outcome is not None and outcome.status != SALE_PENDING:
                self._finish(item, key, outcome)
            else:
                error = (outcome.error if outcome is not None else None) or error
                self._failed(item, key, f"not delivered yet ({error}); run again to resume")

    def _unfinished(self) -> int:
        """Sales read from the stage but not handled (the run was stopped)."""
        handled = (self.tally.sent + self.tally.already + self.tally.invalid_sales
                   + self.tally.failed_sales + sum(self.tally.skipped.values()))
        return max(0, self.total - handled)


def replay(config, options: ReplayOptions, *, out, err) -> Tally:
    """Replay `options.files` for `options.store_id` of `config`; prints progress on
    `err` and the summary on `out`; returns the Tally (`tally.ok()` decides the exit
    status). Raises UnusableInput (nothing sent) for unusable input or options."""
    run = Replay(config, options, out, err)
    tally = run.run()
    for line in run.report.listing(path_hint=bool(options.report_path)):
        print(line, file=out)
    for line in tally.lines():
        print(line, file=out)
    if run.stopped_reason:
        print(f"stopped: {run.stopped_reason}; {tally.unfinished} sales not handled. "
              f"Run the same command again to resume.", file=out)
    if options.report_path:
        print(f"report:            {options.report_path}", file=out)
    out.flush()
    return tally
