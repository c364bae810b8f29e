"""One intake for every way a sale comes in (a button click, a click of a store still on
the legacy URL, a replayed sale): its key, its plan, its fingerprint, recorded in the
journal before anything is sent. The button, bridge.migrate and bridge.replay all take
sales in here, so a sale is translated the same way whichever way it came.

    prepare(journal, store, sale, *, today, key=None, force_new=False) -> Intake
    prepare_at(journal, store, sale, *, now, force_new=False) -> Intake   # today: at `now`
    record(journal, intake, received_at, *, dedupe_window=120, force_new=False,
           first_attempt_at=None) -> RecordResult
    take_in(journal, store, sale, *, now, ...) -> RecordResult    # prepare, then record

Preparing writes nothing: a caller that records in a transaction of its own prepares
first, so the journal's write lock is not held while the sale is translated.

May import: legacy_qs, bridge.config, bridge.translate, bridge.journal.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from bridge import translate
from bridge.config import Store
from bridge.journal import Journal, RecordResult
from legacy_qs import LegacySale


@dataclass(frozen=True)
class Intake:
    """A sale ready for the journal: its store, its plan (every id fixed) and the
    fingerprint that tells a repeat of it."""

    store: Store
    sale: LegacySale
    plan: translate.Plan
    today: dt.date

    @property
    def sale_key(self) -> str:
        return self.plan.sale_key

    @functools.cached_property
    def fingerprint(self) -> str:
        """Worked out when first asked, by `record` (a dry run of a million lines never
        needs it)."""
        return translate.fingerprint(self.sale, self.store, today=self.today)


def prepare(journal: Journal, store: Store, sale: LegacySale, *, today: dt.date,
            key: str | None = None, force_new: bool = False) -> Intake:
    """The plan and fingerprint of `sale` for `store`; reads the journal, writes nothing.

    The sale key is `key` when the caller has one (replay keys sales from its input),
    else `<store>-<SaleID>` (unless `force_new`: "send again as a new sale"), else a new
    key from the journal. A refund of a store with `refund_remove_items` is planned
    against its original sale's plan when the journal has that sale, so its items come
    off the cards. `today` is the day, in the store's zone, of a sale without a date.
    """
    if key is None:
        key = (None if force_new else translate.sale_key_for(store, sale)) \
            or journal.new_sale_key(store.id)
    original = None
    original_key = translate.original_sale_key(store, sale)
    if original_key:
        found = journal.get_sale(original_key)
        original = found.plan if found else None
    plan = translate.plan_sale(sale, store, key, today=today, original=original)
    return Intake(store, sale, plan, today)


def record(journal: Journal, intake: Intake, received_at: dt.datetime, *,
           dedupe_window: float = 120.0, force_new: bool = False,
           first_attempt_at: dt.datetime | None = None) -> RecordResult:
    """Record the prepared sale in the store's phase (`Journal.record_sale`, which says
    whether it is new, a repeat, or a reused SaleID)."""
    return journal.record_sale(
        intake.store.id, intake.sale, intake.plan, intake.fingerprint, received_at,
        phase=intake.store.phase, dedupe_window=dedupe_window, force_new=force_new,
        first_attempt_at=first_attempt_at)


def prepare_at(journal: Journal, store: Store, sale: LegacySale, *, now: dt.datetime,
               force_new: bool = False) -> Intake:
    """`prepare` for a sale received `now` (an aware datetime): today is `now`'s date in
    the store's zone. Its fingerprint is worked out too, for `record`."""
    intake = prepare(journal, store, sale, today=now.astimezone(store.tz).date(),
                     force_new=force_new)
    _ = intake.fingerprint
    return intake


def take_in(journal: Journal, store: Store, sale: LegacySale, *, now: dt.datetime,
            dedupe_window: float = 120.0, force_new: bool = False,
            first_attempt_at: dt.datetime | None = None) -> RecordResult:
    """A sale received `now` (an aware datetime): prepared (`prepare_at`) and
    recorded."""
    return record(journal, prepare_at(journal, store, sale, now=now, force_new=force_new),
                  now, dedupe_window=dedupe_window, force_new=force_new,
                  first_attempt_at=first_attempt_at)
