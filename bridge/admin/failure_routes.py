"""Routes of the failure report: the page, Retry / Hide (one or many), a person's answer
for an undecided award ("were awarded" / "were not awarded", with the customer's points
history around the sale on the page), CSV, customers.

Thin: parse the filters and the chosen lines, call `bridge.admin.report` and
`bridge.admin.actions`, render. The page shows PAGE_SIZE lines of each list at a time
(`page`, `open_page`; previous/next links keep the filters; the CSV has every line) and
each reason's guidance once, below the lists, with each line linking to it. A filter
value the report cannot use (`days=abc`, `days=-5`, `page=0`) is answered 400 with a
message naming the filter, never replaced by a default. State changes are POSTs carrying the
session's CSRF
token; after one the browser is sent back (303) to the report with a short summary, so a
reload repeats nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable
from urllib.parse import urlencode

import bottle

from bridge.admin import actions
from bridge.admin.report import (REPORT_LIMIT, Filters, build_report,
                                 stream_report_csv)
from bridge.webbase.render import see_other

PAGE_SIZE = 100        # lines per page of each list (the CSV export has them all)
MAX_DAYS = 3660
# ASCII digits only ("²" is a digit to str.isdigit, not to int), and few enough for a
# SQLite INTEGER (a longer number is no line of the report).
_NUMBER = re.compile(r"[0-9]{1,18}")


def number(text: str | None) -> int | None:
    """`text` as a whole number when it is one (1 to 18 ASCII digits), else None."""
    return int(text) if text and _NUMBER.fullmatch(text) else None


class FilterError(ValueError):
    """A filter or page value the report cannot use; the message names the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _whole_number(params, name: str, label: str, default: int, most: int) -> int:
    text = (params.get(name) or "").strip()
    if not text:
        return default
    value = number(text)
    if value is None or not 1 <= value <= most:
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise FilterError(name, f"The filter \"{name}\" ({label}) must be a whole number "
                                f"from 1 to {most}; \"{shown}\" is not. Nothing is shown "
                                f"for it: fix the value and try again.")
    return value


def filters_from(params, default_days: int) -> Filters:
    """Filters from query/form parameters; FilterError (naming `days`) for a bad value,
    never a silent default."""
    days = _whole_number(params, "days", "last ... days", default_days, MAX_DAYS)
    return Filters(store=params.getunicode("store") or None,
                   reason=params.getunicode("reason") or None, days=days)


def page_number(params, name: str = "page") -> int:
    """The page asked for (1 when not given); FilterError naming it for a bad value."""
    return _whole_number(params, name, "page number", 1, 10**6)


def _page(items, number: int) -> tuple[tuple, int, int]:
    """(the items of page `number`, the page number shown, the number of pages): a page
    past the end shows the last one (lines may have been hidden meanwhile)."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    number = min(number, pages)
    return tuple(items[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]), number, pages


def _guidance_sections(rows) -> tuple[list, Callable]:
    """The guidance of each reason (each cause of `No Item Found`) on the page, once:
    ([(anchor, guidance)], anchor_of(row)). A row's own steps (e.g. the UPC-A of its
    EAN-13, the program that lists its item) stay on the row."""
    sections, anchors = [], {}
    for r in rows:
        shared = r.shared_guidance
        if shared not in anchors:
            anchors[shared] = f"guidance-{len(anchors) + 1}"
            sections.append((anchors[shared], shared))
    return sections, lambda row: anchors[row.shared_guidance]


def _blank(value) -> str:
    """` class="blank"` for a cell with nothing in it (a phone's card leaves it out)."""
    return "" if value else ' class="blank"'



def filters_query(filters: Filters, default_days: int) -> str:
    """The query string that gives these filters back (empty values left out)."""
    pairs = [("store", filters.store), ("reason", filters.reason),
             ("days", filters.days if filters.days != default_days else None)]
    return urlencode([(k, v) for k, v in pairs if v])


def install(app: bottle.Bottle, web) -> None:
    """Add the report routes to the admin app; `web` is its AdminWeb."""
    default_days = web.config.failure_report_days

    def report_for(params):
        filters = filters_from(params, default_days)
        now = dt.datetime.now(dt.timezone.utc)
        stores = tuple(s.id for s in web.config.stores)
        return build_report(web.journal, filters, now, stores=stores, limit=REPORT_LIMIT)

    def bad_filter(session, error: FilterError):
        bottle.response.status = 400
        return web.page("message.tpl", session=session, title="Failures: a filter is not "
                        "right", message=str(error), back=f"{web.prefix()}/failures")

    @app.get("/failures")
    def failures_page():
        session = web.require_session()
        q = bottle.request.query
        try:
            report = report_for(q)
            wanted, wanted_open = page_number(q), page_number(q, "open_page")
        except FilterError as e:
            return bad_filter(session, e)
        rows, page, pages = _page(report.rows, wanted)
        open_rows, open_page, open_pages = _page(report.open_deliveries, wanted_open)
        guidance, anchor_of = _guidance_sections(rows)
        query = filters_query(report.filters, default_days)

        def page_url(**pages_wanted) -> str:
            current = {"page": page, "open_page": open_page, **pages_wanted}
            extra = urlencode([(k, v) for k, v in current.items() if v != 1])
            return f"{web.prefix()}/failures?" + "&".join(x for x in (query, extra) if x)

        notice, kind = _summary(q)
        return web.page("failures.tpl", session=session, title="Failures", report=report,
                        default_days=default_days, notice=notice, notice_kind=kind,
                        query=query, customer_url=web.customer_url,
                        rows=rows, page=page, pages=pages, page_size=PAGE_SIZE,
                        open_rows=open_rows, open_page=open_page, open_pages=open_pages,
                        page_url=page_url, guidance=guidance, anchor_of=anchor_of,
                        blank=_blank)

    @app.get("/failures.csv")
    def failures_csv():
        web.require_session()
        try:
            filters = filters_from(bottle.request.query, default_days)
        except FilterError as e:
            bottle.response.status = 400
            bottle.response.content_type = "text/plain; charset=utf-8"
            return str(e)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M")
        bottle.response.content_type = "text/csv; charset=utf-8"
        bottle.response.set_header("Content-Disposition",
                                   f'attachment; filename="astro-bridge-failures-{stamp}.csv"')
        return stream_report_csv(web.journal, filters, dt.datetime.now(dt.timezone.utc))

    @app.post("/failures/action")
    def failures_action():
        session = web.require_session()
        web.require_csrf(session)
        forms = bottle.request.forms
        action, ids = _chosen(forms)
        try:
            filters = filters_from(forms, default_days)
        except FilterError as e:
            return bad_filter(session, e)
        back = filters_query(filters, default_days)
        if action not in ("retry", "hide", actions.AWARDED, actions.NOT_AWARDED) or not ids:
            summary = {"none": 1}
        elif action in (actions.AWARDED, actions.NOT_AWARDED):
            results = [actions.decide_points(web.journal, web.client_for, i, action,
                                             by=f"admin {session.user}") for i in ids]
            summary = {"decided": sum(r.ok for r in results),
                       "still_failing": sum(not r.ok for r in results)}
        elif action == "hide":
            results = actions.hide(web.journal, ids)
            summary = {"hidden": sum(r.ok for r in results),
                       "missing": sum(not r.ok for r in results)}
        else:
            results = actions.retry(web.journal, web.config, web.client_for, ids)
            summary = {"retried": sum(r.ok for r in results),
                       "still_failing": sum(not r.ok for r in results)}
        query = "&".join(x for x in (back, urlencode({k: v for k, v in summary.items() if v}))
                         if x)
        return see_other(f"{web.prefix()}/failures" + (f"?{query}" if query else ""))

    @app.get("/customers/<store>/<customer_id:path>")     # a CustomerID may hold "/"
    def customer_page(store, customer_id):
        session = web.require_session()
        sales = web.journal.sales(store_id=store, customer_id=customer_id, limit=100)
        return web.page("customer.tpl", session=session, title=f"Customer {customer_id}",
                        store=store, customer_id=customer_id, sales=sales,
                        receipt_url=web.receipt_url)


def _chosen(forms) -> tuple[str | None, list[int]]:
    """The action and the report lines it applies to: a row's own button
    (`only=retry:12`) wins over the bulk buttons with the ticked boxes."""
    only = forms.get("only")
    if only:
        action, _, one = only.partition(":")
        return action, [n for n in [number(one)] if n is not None]
    ids = [n for n in map(number, forms.getall("ids")) if n is not None]
    return forms.get("action"), ids


def _summary(q) -> tuple[str | None, str]:
    def n(name):
        return number(q.get(name)) or 0
    parts, bad = [], False
    if n("retried"):
        parts.append(f"{n('retried')} retried and delivered.")
    if n("still_failing"):
        parts.append(f"{n('still_failing')} still failing after the retry (see the new "
                     f"lines below).")
        bad = True
    if n("decided"):
        parts.append(f"{n('decided')} points decision(s) recorded.")
    if n("hidden"):
        parts.append(f"{n('hidden')} hidden.")
    if n("missing"):
        parts.append(f"{n('missing')} not found.")
        bad = True
    if n("none"):
        parts.append("Nothing selected: tick the lines first.")
        bad = True
    return (" ".join(parts) or None), ("bad" if bad else "ok")
