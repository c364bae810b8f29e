"""The readiness report: per store, what REST would have done with the sales seen under
`passthrough` and `shadow`, and whether the store can switch to `rest`.

`build_report(records, stores)` is pure: it takes the journal's migration records
(bridge.migrate.outcome.MigrationRecord) and returns a `ReadinessReport` value, which
`to_dict()` turns into the `--json` form, `to_text()` into the CLI's text and
`render_html()` into the /admin/migration page.

What counts:
- *sales seen*: every record of the store (both phases), in the time window.
- *evaluated*: a shadow record whose dry run finished, plus every record whose query did
  not parse (REST would reject it too, so it is a known failure without a dry run).
- *would fully succeed*: an evaluated sale whose customer would be found, linked or
  created and whose every line would punch a card.
- a store is *ready* when at least `min_sales` sales were evaluated and at least
  `min_share` of them would fully succeed.
"""
from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from bridge.migrate.outcome import CUSTOMER_CREATE, MigrationRecord

DEFAULT_MIN_SHARE = 0.95
DEFAULT_MIN_SALES = 20


@dataclass(frozen=True)
class FailingCode:
    """An item code REST would answer `No Item Found` for, and how often it was sold.

    `listed_as` is set when the code is another form of a code Astro does list (the
    EAN-13 of a listed UPC-A, or the other way round): the fix is the store's
    UPC-A conversion setting, not the programs.
    """

    item_code: str
    count: int
    listed_as: str | None = None

    def explain(self) -> str:
        if self.listed_as is None:
            return "not in any program the store is enrolled in"
        if len(self.item_code) == 13:
            return f"EAN-13 of the listed UPC-A {self.listed_as}"
        return f"UPC-A of the listed EAN-13 {self.listed_as}"


@dataclass(frozen=True)
class NewCustomer:
    customer_id: str
    name: str | None
    sales: int


@dataclass(frozen=True)
class StoreReadiness:
    """The figures and verdict for one store."""

    store: str
    name: str
    phase: str
    sales_seen: int
    passthrough_sales: int
    shadow_sales: int
    evaluated: int
    would_succeed: int
    unreadable: int                 # queries the bridge cannot parse
    not_evaluated: int              # passthrough, still queued, or the dry run failed
    failing_codes: tuple[FailingCode, ...]
    new_customers: tuple[NewCustomer, ...]
    ready: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    points_dollars: Decimal = Decimal("0.00")   # sum REST would send to addPointsByDollar
    points_sales: int = 0                       # evaluated sales that would earn/deduct points

    @property
    def share(self) -> float | None:
        """Share of evaluated sales that would fully succeed (None when none evaluated)."""
        return self.would_succeed / self.evaluated if self.evaluated else None

    @property
    def verdict(self) -> str:
        return "ready" if self.ready else "not ready"

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store, "name": self.name, "phase": self.phase,
            "sales_seen": self.sales_seen,
            "by_phase": {"passthrough": self.passthrough_sales, "shadow": self.shadow_sales},
            "evaluated": self.evaluated, "would_succeed": self.would_succeed,
            "share": None if self.share is None else round(self.share, 4),
            "unreadable": self.unreadable, "not_evaluated": self.not_evaluated,
            "failing_codes": [{"item_code": c.item_code, "count": c.count,
                               "listed_as": c.listed_as, "why": c.explain()}
                              for c in self.failing_codes],
            "new_customers": [{"customer_id": c.customer_id, "name": c.name,
                               "sales": c.sales} for c in self.new_customers],
            "points": {"sales": self.points_sales, "dollars": str(self.points_dollars)},
            "verdict": self.verdict, "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ReadinessReport:
    generated_at: datetime.datetime
    since: datetime.date | None
    stores: tuple[StoreReadiness, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"generated_at": self.generated_at.isoformat(timespec="seconds"),
                "since": None if self.since is None else self.since.isoformat(),
                "stores": [s.to_dict() for s in self.stores]}

    def to_text(self) -> str:
        """The report as the CLI prints it."""
        out: list[str] = []
        for s in self.stores:
            out.append(f"{s.store} ({s.name}), phase {s.phase}: {s.verdict}")
            for reason in s.reasons:
                out.append(f"  {reason}")
            out.append(f"  sales seen: {s.sales_seen} (passthrough {s.passthrough_sales}, "
                       f"shadow {s.shadow_sales})")
            share = "-" if s.share is None else _percent(s.share)
            out.append(f"  evaluated: {s.evaluated}, would fully succeed: "
                       f"{s.would_succeed} ({share})")
            if s.unreadable:
                out.append(f"  unreadable queries: {s.unreadable}")
            if s.not_evaluated:
                out.append(f"  not evaluated: {s.not_evaluated}")
            if s.failing_codes:
                out.append("  item codes that would fail:")
                for c in s.failing_codes:
                    out.append(f"    {c.item_code:<14} x{c.count:<5} {c.explain()}")
            if s.points_sales:
                out.append(f"  points: {s.points_sales} sales, addPointsByDollar total "
                           f"${s.points_dollars}")
            if s.new_customers:
                out.append(f"  customers that would be created: {len(s.new_customers)}")
                for c in s.new_customers:
                    name = f" {c.name}" if c.name else ""
                    out.append(f"    {c.customer_id}{name}")
            for note in s.notes:
                out.append(f"  note: {note}")
            out.append("")
        if not self.stores:
            out.append("no stores")
        return "\n".join(out).rstrip() + "\n"


def build_report(records: Iterable[MigrationRecord], stores: Iterable[Any], *,
                 since: datetime.date | None = None,
                 min_share: float = DEFAULT_MIN_SHARE,
                 min_sales: int = DEFAULT_MIN_SALES,
                 now: datetime.datetime | None = None) -> ReadinessReport:
    """The readiness of each of `stores` (bridge.config.Store) from `records`.

    Records of stores not in `stores` are ignored; `since` is only echoed (the caller
    already selected the records).
    """
    by_store: dict[str, list[MigrationRecord]] = {}
    for record in records:
        by_store.setdefault(record.store, []).append(record)
    result = tuple(_store_readiness(store, by_store.get(store.id, []), min_share, min_sales)
                   for store in stores)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return ReadinessReport(generated_at=now, since=since, stores=result)


def _store_readiness(store, records: list[MigrationRecord], min_share: float,
                     min_sales: int) -> StoreReadiness:
    evaluated = succeed = unreadable = not_evaluated = 0
    failing: Counter[str] = Counter()
    listed_as: dict[str, str] = {}
    created: dict[str, list] = {}
    points_sales, points_dollars = 0, Decimal("0.00")
    for r in records:
        if r.sale is None:
            evaluated += 1
            unreadable += 1
            continue
        o = r.outcome
        if o is None or not o.evaluated:
            not_evaluated += 1
            continue
        evaluated += 1
        succeed += o.fully_succeeds
        if o.points_dollars is not None:
            points_sales += 1
            points_dollars += o.points_dollars
        for line in o.lines:
            if line.fails:
                failing[line.item_code] += 1
                if line.hint_code:
                    listed_as[line.item_code] = line.hint_code
        if o.customer == CUSTOMER_CREATE and o.customer_id:
            entry = created.setdefault(o.customer_id, [o.customer_name, 0])
            entry[1] += 1
    codes = tuple(FailingCode(code, n, listed_as.get(code))
                  for code, n in sorted(failing.items(), key=lambda kv: (-kv[1], kv[0])))
    new = tuple(NewCustomer(cid, name, n) for cid, (name, n) in sorted(created.items()))
    passthrough = sum(r.phase == "passthrough" for r in records)
    figures = dict(sales_seen=len(records), evaluated=evaluated, would_succeed=succeed,
                   unreadable=unreadable, not_evaluated=not_evaluated)
    ready, reasons = _verdict(store, figures, codes, min_share, min_sales)
    notes = []
    if records:
        notes.append(f"the {len(records)} sales seen under passthrough/shadow already "
                     "reached Astro through the legacy URL; switching to rest never "
                     "re-sends them")
    return StoreReadiness(store=store.id, name=store.name, phase=store.phase,
                          passthrough_sales=passthrough,
                          shadow_sales=len(records) - passthrough,
                          failing_codes=codes, new_customers=new, ready=ready,
                          points_sales=points_sales, points_dollars=points_dollars,
                          reasons=tuple(reasons), notes=tuple(notes), **figures)


def _verdict(store, f: dict[str, int], codes: tuple[FailingCode, ...], min_share: float,
             min_sales: int) -> tuple[bool, list[str]]:
    n, ok = f["evaluated"], f["would_succeed"]
    if f["sales_seen"] == 0:
        return False, ["not ready: no sales seen yet"]
    if n == 0:
        return False, [f"not ready: {f['sales_seen']} sales seen, none evaluated; "
                       "put the store in phase shadow to find out what REST would do"]
    share = ok / n
    head = f"{_percent(share)} of {n} sales would fully succeed"
    ready = share >= min_share and n >= min_sales
    if ready:
        first = f"ready: {head}"
    elif n < min_sales:
        first = f"not ready: only {n} sales evaluated (need {min_sales}); {head}"
    else:
        first = f"not ready: {head} (need {_percent(min_share)})"
    failures = _failure_summary(f, codes)
    if failures and ok < n:
        first += f"; the {_percent(1 - share)} are {failures}"
    reasons = [first]
    eans = [c for c in codes if c.listed_as]
    if eans:
        fix = "turn UPC-A conversion on" if not getattr(store, "convert_upc", True) \
            else "check the store's UPC-A conversion"
        reasons.append(f"{_count(len(eans), 'item code')} "
                       f"{'is' if len(eans) == 1 else 'are'} another form of a listed "
                       f"UPC ({', '.join(c.item_code for c in eans)}): {fix}")
    return ready, reasons


def _failure_summary(f: dict[str, int], codes: tuple[FailingCode, ...]) -> str:
    parts = []
    plain = [c for c in codes if not c.listed_as]
    eans = [c for c in codes if c.listed_as]
    if plain:
        parts.append(f"{_number_word(len(plain))} item "
                     f"{'code' if len(plain) == 1 else 'codes'} not in any program")
    if eans:
        parts.append(f"{_number_word(len(eans))} EAN/UPC "
                     f"{'mismatch' if len(eans) == 1 else 'mismatches'}")
    if f["unreadable"]:
        parts.append(f"{_count(f['unreadable'], 'unreadable query', 'unreadable queries')}")
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _percent(share: float) -> str:
    # Round down so "100%" only ever means every sale.
    return f"{int(share * 100 + 1e-9)}%"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _number_word(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < len(words) else str(n)


def readiness(config, journal, *, store: str | None = None,
              since: datetime.date | None = None, min_share: float = DEFAULT_MIN_SHARE,
              min_sales: int = DEFAULT_MIN_SALES) -> ReadinessReport:
    """The report for `store` (a store id; KeyError if unknown) or every configured store,
    from the journal's passthrough/shadow records received on or after `since` (a day,
    from 00:00 UTC)."""
    stores = [config.store(store)] if store else list(config.stores)
    start = None
    if since is not None:
        start = datetime.datetime.combine(since, datetime.time(), datetime.timezone.utc)
    rows = journal.migration_sales(store=store, since=start)
    records = [MigrationRecord.from_row(row) for row in rows]
    return build_report(records, stores, since=since, min_share=min_share,
                        min_sales=min_sales)
