"""Running a replay: stage, group, translate, record, deliver, tell.

The flow (the same modules as the button bridge, no second pipeline)::

    files --readers--> StagedRow --Stage (scratch SQLite beside the journal)
          --Stage.groups (by customer, oldest first)--> grouping.assemble_sales
          --> ReplaySale, a customer's sales in groups of up to --batch-lines lines
          --intake.prepare--> Plan --intake.record--> (durable, in the journal)
          --delivery.deliver_sales (merged addTransactionBatch calls)--> step states
          --> Tally/Report

Fewer calls than sales: a customer is resolved once per run (its first sale does it;
the others find the link in the journal's cache), and the lines of a customer's sales
go to Astro in merged addTransactionBatch calls, each line with its own transactionID
and date; every sale stays a sale of its own in the journal (its key, its steps, its
report line), so resuming, "already delivered" and the failure report work per sale.
Points (`--points`) go per sale, a customer's in sale order.

A sale is prepared (planned) by the thread that sends it, right before it is recorded:
a refund is then planned against its original sale once that is in the journal (a
customer's sales go through one thread, oldest first; an original recorded in the same
group is found too), so with `refund_remove_items` its items come off the cards as with
the button.

The journal may be the one a bridge is serving from: a group's sales are recorded in
one transaction and delivery's journal work goes in a few (Journal.batch), and the run
opens the journal with `yield_writes`, so a cashier's click is not kept waiting behind
the run's writes.

Resuming: every sale is recorded in the journal under a key derived from the input
before anything is sent, so running the same command again finds delivered sales
(skipped, "already delivered"), delivers sales left pending by a stop at any point,
and records and delivers the rest.

Concurrency: customers in parallel, each customer in order: a customer's groups always
go to the same one of N threads; the queues are small, so memory stays flat. A shared
token bucket caps the calls per second of all threads together (`--rate`).

When Astro cannot be reached the run says so once and, after `--give-up-after` calls
in a row were not sent, stops (exit 2; bridge.replay.reach); the same command resumes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass

from bridge import intake, translate
from bridge.delivery import deliver_sales, learn_refused_items
from bridge.journal import SALE_DELIVERED, SALE_PARTIAL, SALE_PENDING, Journal, utcnow
from bridge.replay.errors import UnusableInput
from bridge.replay.grouping import InvalidSale, ReplaySale, assemble_sales
from bridge.replay.progress import Console
from bridge.replay.reach import Reach, ReplayClient
from bridge.replay.readers import check_inputs, read_inputs
from bridge.replay.stage import Stage
from bridge.replay.summary import Report, Tally
from bridge.replay.throttle import TokenBucket
from bridge.replay.workers import Workers

# A group of sales left pending (transport trouble, 429, a lost answer) while Astro
# answers is tried again in place this many times, waiting for its retry time but at
# most MAX_WAIT seconds, before the final pass. While Astro does not take calls, it is
# left for the final pass at once: the next sales find out whether Astro is back.
INLINE_ATTEMPTS = 3
MAX_WAIT = 30.0
# The Astro client's own resends of a call it could not send: one, quickly; the run
# tries the sale again itself, and counts the calls in a row not sent.
CLIENT_RETRIES = 1
# A sale this run records is due for a bridge's worker (serve on the same journal) only
# this long after: the run sends it itself, with the other sales of its customer.
LEFT_TO_THE_RUN = dt.timedelta(minutes=10)
DELIVERED = (SALE_DELIVERED, SALE_PARTIAL)
SALE_ID_CONFLICT = "sale id already used by a different sale"


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
    batch_lines: int = 100             # lines of a customer's sales in one call, at most
    give_up_after: int = 20            # calls in a row not sent: Astro is away, stop
    quiet: bool = False
    verbose: bool = False
    json: bool = False                 # the summary as one JSON object


def run_id_for(store_id: str, options: ReplayOptions) -> str:
    """The id of a replay: the same command on the same files gets the same id, so a
    resumed run takes back what a killed one held, and replaces its scratch file."""
    parts = [store_id, options.fmt or "", options.preset or "",
             repr(sorted(options.mapping.items()))]
    parts += [os.path.abspath(f) for f in options.files]
    return "replay-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def scratch_path(journal_path: str | None, run_id: str) -> str:
    """The scratch file of a run: beside the journal, named after it and the run; in the
    current folder when the journal is a PostgreSQL database (`journal_path` None)."""
    journal_path = os.path.abspath(journal_path or "astro-bridge-replay")
    return os.path.join(os.path.dirname(journal_path),
                        f"{os.path.basename(journal_path)}.{run_id}.scratch")


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


def _wants_original(store, prepared: intake.Intake) -> bool:
    """A refund that names an original sale its plan was not made against (yet)."""
    return (translate.original_sale_key(store, prepared.sale) is not None
            and prepared.plan.original_sale_key is None)


def _nothing_to_send(plan) -> bool:
    """Only the customer step: no line to punch, no points (e.g. every qty was 0)."""
    return all(step.kind == translate.CUSTOMER for step in plan.steps)


class Replay:
    """One replay run; `run()` returns the Tally (see `replay`)."""

    def __init__(self, config, options: ReplayOptions, console: Console):
        self.config, self.options, self.console = config, options, console
        self.store = _store(config, options)
        check_inputs(options.files, options.fmt, options.preset, options.mapping)
        self.tally = Tally(points=options.points, dry_run=options.dry_run)
        self.today = dt.datetime.now(self.store.tz).date()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.stopped_reason: str | None = None
        self.total = 0
        self.progress = None
        self.run_id = run_id_for(self.store.id, options)

    # -- reading -----------------------------------------------------------------------
    def _sales(self, stage: Stage):
        """Stage every input record, then yield the sales grouped, by customer."""
        staging = self.console.progress(None, label="staging", unit="lines")

        def counted(rows):
            for row in rows:
                self.tally.line_items += row.items
                staging.advance()
                yield row

        stage.add(counted(read_inputs(self.options.files, self.store.id, self.options.fmt,
                                      self.options.preset, self.options.mapping)))
        staging.close()
        self.total = stage.count()
        return assemble_sales(stage.groups())

    # -- one sale ----------------------------------------------------------------------
    def _invalid(self, item: InvalidSale) -> None:
        self.tally.count_invalid(item)
        self.report.invalid(item)

    def _prepare(self, item: ReplaySale, journal: Journal) -> intake.Intake:
        """The sale prepared (keyed and planned), its original looked up in `journal`."""
        return intake.prepare(journal, self.store, item.sale, today=self.today,
                              key=item.sale_key(self.store))

    def _accept(self, item: ReplaySale, prepared: intake.Intake) -> bool:
        """Count the prepared sale; False when it has nothing to send: a return whose
        items are taken off cards by hand, as with the button, with points off; or only
        zero quantities. Skipped, not invalid: the input is fine; the report says why.
        The input's warnings go to the report."""
        if item.warnings:
            self.tally.count_warnings(len(item.warnings))
            self.report.warned(item.warnings, item.sale.sale_id)
        plan = prepared.plan
        if _nothing_to_send(plan):
            why = ("a return: its items are taken off cards by hand" if plan.manual_removals
                   else "no line with a positive quantity")
            if not self.options.points:
                why += ", and points are off"
            self.tally.count_skipped(why)
            self.report.skipped(item.sources, item.sale.sale_id, why)
            return False
        self.tally.count_valid()
        return True

    def _dry(self, item: ReplaySale, journal: Journal, lookup) -> None:
        prepared = self._prepare(item, journal)
        if not self._accept(item, prepared):
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
        shown = ("invalid", "failed") + (("warning",) if self.options.dry_run else ())
        self.report = Report(self.options.report_path, shown=shown)
        try:
            if self.options.dry_run:
                self._run_dry()
            else:
                self._run_live()
        finally:
            if self.progress is not None:
                self.progress.close()
            self.report.close()
        return self.tally

    def _progress(self):
        self.progress = self.console.progress(
            self.total, label="dry run" if self.options.dry_run else "replay")
        return self.progress

    def _run_dry(self) -> None:
        """Stage in a temporary folder; read the real journal (when there is one) only
        to say which sales are already delivered. No client is made."""
        lookup = Journal(self.config.journal_location) \
            if self.config.journal_path is None or os.path.exists(self.config.journal_path) \
            else None
        try:
            with tempfile.TemporaryDirectory(prefix="astro-bridge-dry-run-") as tmp, \
                    Stage(os.path.join(tmp, "stage.scratch")) as stage, \
                    Journal(os.path.join(tmp, "journal.db")) as scratch_journal:
                sales = self._sales(stage)
                progress = self._progress()
                for item in sales:
                    self.tally.sales_read += 1
                    if isinstance(item, InvalidSale):
                        self._invalid(item)
                    else:
                        self._dry(item, lookup or scratch_journal, lookup)
                    progress.advance()
        finally:
            if lookup is not None:
                lookup.close()

    # -- live --------------------------------------------------------------------------
    def _client(self) -> ReplayClient:
        login = self.store.astro
        self.reach = Reach(login.base_url, self.options.give_up_after,
                           say=self.console.say, give_up=self._astro_away)
        return ReplayClient(login.base_url, login.username, login.password.reveal(),
                            login.client_id, bucket=TokenBucket(self.options.rate),
                            reach=self.reach, max_retries=CLIENT_RETRIES,
                            pool_size=max(4, self.options.concurrency))

    def _astro_away(self) -> None:
        with self._lock:
            if self.stopped_reason is None:
                self.stopped_reason = (f"{self.reach.last_error} "
                                       f"({self.reach.streak} calls in a row not sent)")
                self.tally.gave_up = True
        self.stop.set()

    def _start(self, item: ReplaySale, prepared: intake.Intake) -> bool:
        """Record the sale (before anything is sent) unless the journal has it; False
        when there is nothing to send (already delivered, failed in an earlier run, or
        its sale id is already recorded for a different sale: a failed row)."""
        plan = prepared.plan
        now = utcnow()
        # The key is the identity here (force_new). The run delivers the sale itself:
        # a bridge's worker on the same journal leaves it alone unless the run stops.
        recorded = intake.record(self.journal, prepared, now, force_new=True,
                                 first_attempt_at=now + LEFT_TO_THE_RUN)
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
        refused = [ln for ln in (outcome.receipt or {}).get("lines", [])
                   if ln.get("result") == "failed"]
        if refused:
            with self._lock:
                self.refused.append(key)
        for line in refused:
            reason = line.get("message") or "refused"
            self.tally.count_line_outcome(reason)     # Astro's answer, as it said it
            self.report.add(item.line_source(line["index"]), key, "line not punched",
                            f"{line['item_code']}: {reason}")

    def _deliver(self, items: list[tuple[ReplaySale, str]], attempts: int = INLINE_ATTEMPTS):
        """deliver_sales until none is pending, waiting for their retry time (capped),
        while Astro takes calls; the sales still pending, with why."""
        pending = [(item, key, None) for item, key in items]
        for attempt in range(attempts):
            if attempt:
                if self.reach.down or self.stop.is_set():
                    break
                at = min(outcome.retry_at or utcnow() for _, _, outcome in pending)
                if self.stop.wait(min(MAX_WAIT, max(0.0, (at - utcnow()).total_seconds()))):
                    break
            # The holder is the run's id: a resumed run takes back at once the sales a
            # killed run of the same command held (their lease would block it otherwise).
            outcomes = deliver_sales(self.journal, self.client, [key for _, key, _ in pending],
                                     max_lines=self.options.batch_lines,
                                     retry=self.config.retry, holder=self.run_id)
            left = []
            for (item, key, _), outcome in zip(pending, outcomes, strict=True):
                if outcome.status != SALE_PENDING:
                    self._finish(item, key, outcome)
                    continue
                if not outcome.claimed:
                    outcome = dataclasses.replace(
                        outcome, error="another process is delivering it (its lease holds it)")
                left.append((item, key, outcome))
            pending = left
            if not pending:
                break
        return [(item, key, outcome.error if outcome else None)
                for item, key, outcome in pending]

    def _handle(self, group: list[ReplaySale]) -> None:
        """A customer's sales (in order): each prepared and recorded, then delivered
        together; every one of them is handled when this returns."""
        prepared = []
        for item in group:             # planned before the journal's write lock is taken
            try:
                prepared.append((item, self._prepare(item, self.journal)))
            except Exception as exc:   # one bad sale must not stop the others
                self._crashed(item, exc)
        to_send = []
        with self.journal.atomically():     # recorded in one transaction: one commit, not one each
            for item, ready in prepared:
                try:
                    if _wants_original(self.store, ready):
                        # A refund whose original may be an earlier sale of this group,
                        # recorded just now: planned again against it.
                        ready = self._prepare(item, self.journal)
                    if self._accept(item, ready) and self._start(item, ready):
                        to_send.append((item, ready.sale_key))
                except Exception as exc:
                    self._crashed(item, exc)
        try:
            left = self._deliver(to_send) if to_send else []
        except Exception as exc:
            for item, _ in to_send:
                self._crashed(item, exc)
            left = []
        with self._lock:
            self.pending.extend(left)
        self._advance(len(group))

    def _crashed(self, item: ReplaySale, exc: Exception) -> None:
        self._failed(item, item.sale_key(self.store),
                     f"internal error: {type(exc).__name__}: {exc}")

    def _crashed_group(self, group: list[ReplaySale], exc: Exception) -> None:
        for item in group:
            self._crashed(item, exc)
        self._advance(len(group))

    def _advance(self, n: int = 1) -> None:
        self.progress.advance(n)

    def _groups(self, sales):
        """The valid sales in groups of one customer's sales, up to --batch-lines lines
        (at least one sale); invalid sales are counted here."""
        group: list[ReplaySale] = []
        lines = 0
        for item in sales:
            self.tally.sales_read += 1
            if isinstance(item, InvalidSale):
                self._invalid(item)
                self._advance()
                continue
            size = len(item.sale.lines)
            if group and (item.customer_id != group[0].customer_id
                          or lines + size > self.options.batch_lines):
                yield group
                group, lines = [], 0
            group.append(item)
            lines += size
        if group:
            yield group

    def _run_live(self) -> None:
        # The bridge may be serving from this journal: its clicks' writes go first.
        self.journal = Journal(self.config.journal_location, yield_writes=True)
        self.client = self._client()
        self.pending: list = []
        self.refused: list[str] = []     # keys of the sales sent with refused lines
        workers = None
        try:
            with Stage(scratch_path(self.config.journal_path, self.run_id)) as stage:
                sales = self._sales(stage)
                self._progress()
                workers = Workers(self.options.concurrency, self._handle,
                                  self._crashed_group, self.stop)
                try:
                    for group in self._groups(sales):
                        if self.stop.is_set():
                            break
                        workers.submit(group[0].customer_id, group)
                except KeyboardInterrupt:
                    self._interrupted()
                workers.close()
                workers = None
            self.progress.close()
            self._final_pass()
            if not self.stop.is_set():
                self._learn_refused_items()
        except KeyboardInterrupt:
            self._interrupted()
        finally:
            if workers is not None:
                workers.close(timeout=15)
            self.client.close()
            self.journal.close()
            self.tally.calls = self.reach.calls
        self.tally.unfinished = self._unfinished()
        self.tally.stopped = self.stopped_reason

    def _learn_refused_items(self) -> None:
        """Which programs list the items Astro refused: their sales are settled (lines
        in no program at all are no problem), the report tells them apart, and the
        summary counts them."""
        learn_refused_items(self.journal, lambda _store: self.client, utcnow(),
                            holder=f"{self.run_id}-programs",
                            days=self.config.failure_report_days)
        for key in self.refused:
            receipt = self.journal.get_sale(key).receipt or {}
            self.tally.routine_lines += sum(
                1 for ln in receipt.get("lines", ())
                if ln.get("result") == "failed" and ln.get("routine"))

    def _interrupted(self) -> None:
        with self._lock:
            self.stopped_reason = self.stopped_reason or "interrupted"
        self.stop.set()

    def _final_pass(self) -> None:
        """One more try for the sales left pending; what is still pending is reported
        as not delivered yet (a later run, or the bridge's worker, delivers it)."""
        left, self.pending = self.pending, []
        for item, key, error in left:
            if not self.stop.is_set():
                still = self._deliver([(item, key)], attempts=2)
                if not still:
                    continue
                error = still[0][2] or error
            self.tally.count_pending()
            self.report.failed(item.sources, key, f"not delivered yet ({error}); run again "
                                                  f"to resume", status="not sent yet")

    def _unfinished(self) -> int:
        """Sales read from the stage but not handled (the run was stopped)."""
        handled = (self.tally.sent + self.tally.already + self.tally.invalid_sales
                   + self.tally.failed_sales + self.tally.pending
                   + sum(self.tally.skipped.values()))
        return max(0, self.total - handled)


def replay(config, options: ReplayOptions, *, out, err) -> Tally:
    """Replay `options.files` for `options.store_id` of `config`; prints progress and
    messages on `err` and the summary on `out` (lines, or one JSON object); returns the
    Tally (`tally.exit_status()` is the command's). Raises UnusableInput (nothing sent)
    for unusable input or options."""
    import json

    console = Console(err, tty=options.progress, quiet=options.quiet,
                      interval=options.progress_interval)
    with console.logging(verbose=options.verbose):
        run = Replay(config, options, console)
        tally = run.run()
    if options.json:
        data = tally.to_json()
        data.update(report=options.report_path, listed=run.report.to_json())
        print(json.dumps(data, indent=2), file=out)
        out.flush()
        return tally
    if not options.quiet:
        for line in run.report.listing(path_hint=bool(options.report_path)):
            print(line, file=out)
    for line in tally.lines():
        print(line, file=out)
    if run.stopped_reason:
        print(f"stopped: {run.stopped_reason}; {tally.unfinished} sales not handled. "
              f"Run the same command again to resume"
              + (" once Astro answers." if tally.gave_up else "."), file=out)
    if options.report_path:
        print(f"report:            {options.report_path}", file=out)
    out.flush()
    return tally
