"""Which programs list the item codes Astro refused with `No Item Found`: asked of Astro
off the cashier's path and kept in the journal, so a refused line can be told routine
(in no program at all: leashes, toys) from one a person must act on.

    known_programs(journal, store_id, codes) -> ItemPrograms      # the journal only
    look_up_programs(journal, client, store_id, codes, now, *, max_age=MAX_AGE)
        -> ItemPrograms                        # asks Astro what is missing or too old
    routine_lines(lines, item_codes, programs) -> (lines, problems)   # pure
    learn_refused_items(journal, client_for, now, *, holder, days=30, max_age=MAX_AGE)
        -> LearnOutcome                        # the retry worker's (and report's) pass
    settle_sale(journal, sale_key, holder) -> str | None

A delivery classifies the lines Astro refused from what the journal knows (no call on the
cashier's path); a line whose code Astro was never asked about counts as a problem
until then. `learn_refused_items` asks Astro (eligiblePurchaseItems for the codes and
their other GTIN forms, listOffers for the store's programs) about the codes of recent
`No Item Found` lines with no answer younger than `max_age`, keeps the answers, and
settles the sales whose classification changed: their transactions step is counted
again and their stored receipt says which lines are routine.

The sale's status when its only refused lines are routine (the decision): `delivered`.
The status says whether the sale needs a person; a line in no program anywhere is
Astro's right answer to a right sale, and nothing of it could have been delivered and
was not. Astro's answer stays on the line (result `failed`, its message, `routine`
true), in the failure report's routine section and in the CSV.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from bridge.astro import AstroError
from bridge.journal import (DONE, SALE_DELIVERED, SALE_PARTIAL, Journal, StepRecord)
from bridge.reasons import ItemPrograms, Program, Reason, astro_reason, other_gtin_form
from bridge.translate import TRANSACTIONS, TransactionsStep

log = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(hours=24)    # an answer older than this is asked again
BATCH = 100                         # item codes per eligiblePurchaseItems call
SETTLE_BATCH = 50                   # sales settled again in one journal transaction


def _forms(codes: Iterable[str]) -> set[str]:
    codes = set(codes)
    return codes | {o for c in codes if (o := other_gtin_form(c))}


def known_programs(journal: Journal, store_id: str, codes: Iterable[str]) -> ItemPrograms:
    """What the journal holds of Astro's answers about `codes` (and their other forms)."""
    return journal.item_programs(store_id, _forms(codes))


def look_up_programs(journal: Journal, client, store_id: str, codes: Iterable[str],
                     now: dt.datetime, *, max_age: dt.timedelta = MAX_AGE) -> ItemPrograms:
    """Astro's answers about `codes`: from the journal, asking Astro (and keeping its
    answers) for what was never asked or was asked more than `max_age` ago. AstroError
    when Astro cannot answer (what was kept before stays)."""
    codes = set(codes)
    known = known_programs(journal, store_id, codes)
    ask, ask_store = _to_ask(known, codes, now - max_age)
    if ask:
        listed: dict[str, tuple[Program, ...]] = {code: () for code in ask}
        for start in range(0, len(ask), BATCH):
            for item in client.eligible_purchase_items(ask[start:start + BATCH]):
                if item.item_code in listed:
                    listed[item.item_code] = tuple(
                        Program(p.program_id, p.title, item.mfg_name)
                        for p in item.programs if p.program_id)
        journal.remember_item_programs(store_id, listed, now)
    if ask_store:
        journal.remember_store_programs(store_id, [
            Program(o.program_id, o.title, o.mfg_name) for o in client.list_offers()
            if o.program_id], now)
    return known_programs(journal, store_id, codes) if ask or ask_store else known


def _to_ask(known: ItemPrograms, codes: set[str], since: dt.datetime
            ) -> tuple[list[str], bool]:
    """The codes to ask Astro about (sorted), and whether to ask for the store's
    programs, for answers no older than `since`."""
    ask = sorted(known.to_ask(codes, since))
    stale = known.enrolled_asked_at is None or known.enrolled_asked_at < since
    return ask, bool(codes) and stale


def routine_lines(lines: list[dict], item_codes: Mapping[str, str],
                  programs: ItemPrograms) -> tuple[list[dict], int]:
    """The transactions step's result lines with `routine` set on each (True: refused
    with `No Item Found` for a code no program lists), and how many refused lines are
    problems (not routine). `item_codes`: transaction id -> item code."""
    marked, problems = [], 0
    for line in lines:
        routine = False
        if line.get("result") == "failed":
            code = item_codes.get(line.get("transaction_id", ""))
            routine = bool(code and astro_reason(line.get("message")) == Reason.NO_ITEM_FOUND
                           and programs.cause_of(code).routine)
            problems += not routine
        marked.append({**line, "routine": routine})
    return marked, problems


@dataclass(frozen=True)
class LearnOutcome:
    asked: int              # item codes Astro was asked about
    settled: int            # sales counted again
    error: str | None = None  # why a store's codes could not be asked (tried later)


def learn_refused_items(journal: Journal, client_for: Callable[[str], object | None],
                        now: dt.datetime, *, holder: str, days: int = 30,
                        max_age: dt.timedelta = MAX_AGE,
                        deadline: float | None = None) -> LearnOutcome:
    """Ask Astro about the item codes of the `No Item Found` lines of the last `days`
    days that it was not asked about within `max_age`, keep the answers and settle the
    sales whose lines changed classification (see the module docstring). A store
    without a client (`client_for` gives None) is left out; Astro's trouble is logged
    and named in the outcome, never raised. `deadline` (a time.monotonic() value) cuts
    the calls short (AstroClient.deadline)."""
    asked = settled = 0
    error = None
    since = now - dt.timedelta(days=days)
    for store_id, codes in sorted(journal.failed_item_codes(Reason.NO_ITEM_FOUND,
                                                            since).items()):
        before = known_programs(journal, store_id, codes)
        to_ask, ask_store = _to_ask(before, codes, now - max_age)
        if not to_ask and not ask_store:
            continue
        client = client_for(store_id)
        if client is None:
            continue
        bounded = client.deadline(deadline) if deadline is not None and \
            hasattr(client, "deadline") else contextlib.nullcontext()
        try:
            with bounded:
                after = look_up_programs(journal, client, store_id, codes, now,
                                         max_age=max_age)
        except AstroError as e:
            error = f"{store_id}: {e}"
            log.info("which programs list %d item code(s) of store %s: not known yet "
                     "(%s)", len(to_ask), store_id, e)
            continue
        asked += len(to_ask)
        changed = {c for c in codes if before.cause_of(c) != after.cause_of(c)}
        if changed:
            keys = sorted({f.sale_key for f in journal.failures(
                store=store_id, since=since, reason=Reason.NO_ITEM_FOUND)
                if f.sale_key and f.item_code in changed})
            for at in range(0, len(keys), SETTLE_BATCH):
                with journal.atomically():       # no call inside: one commit a batch
                    settled += sum(settle_sale(journal, key, holder) is not None
                                   for key in keys[at:at + SETTLE_BATCH])
    return LearnOutcome(asked, settled, error)


def settle_sale(journal: Journal, sale_key: str, holder: str) -> str | None:
    """Count the refused lines of a finished sale again with what the journal knows of
    their programs, and mark its stored receipt's lines routine or not. Returns the
    sale's status, or None when it was left alone (not finished, held by a delivery)."""
    sale = journal.get_sale(sale_key)
    if sale is None or sale.status not in (SALE_DELIVERED, SALE_PARTIAL):
        return None
    # One transaction: the claim, the changes and the release (no call inside).
    with journal.atomically(), journal.holding(sale_key, holder) as held:
        if not held:
            return None
        sale = journal.known_sale(sale_key)     # again, under the lease
        if sale.status not in (SALE_DELIVERED, SALE_PARTIAL):
            return None
        codes = {ln.transaction_id: ln.item_code for step in sale.plan.steps
                 if isinstance(step, TransactionsStep) for ln in step.lines}
        programs = known_programs(journal, sale.store_id, codes.values())
        routine: dict[str, bool] = {}
        for record in sale.steps:
            if not _done_transactions(record):
                continue
            lines, problems = routine_lines(record.result.get("lines") or [], codes,
                                            programs)
            routine.update((ln["transaction_id"], ln["routine"]) for ln in lines)
            if lines != record.result.get("lines") or problems != record.problems:
                journal.mark_step_done(sale_key, record.n, {**record.result, "lines": lines},
                                       problems=problems)
        status = journal.known_sale(sale_key).status
        if sale.receipt:
            receipt = {**sale.receipt, "status": status, "lines": [
                {**ln, "routine": routine.get(ln.get("transaction_id"), False)}
                for ln in sale.receipt.get("lines") or ()]}
            if receipt != sale.receipt:
                journal.set_receipt(sale_key, receipt)
        return status


def _done_transactions(record: StepRecord) -> bool:
    return record.kind == TRANSACTIONS and record.state == DONE and \
        isinstance(record.result, dict)
