"""Routes of the failure report: the page, Retry / Hide (one or many), CSV, customers.

Thin: parse the filters and the chosen lines, call `bridge.admin.report` and
`bridge.admin.actions`, render. State changes are POSTs carrying the session's CSRF
token; after one the browser is sent back (303) to the report with a short summary, so a
reload repeats nothing.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import bottle

from bridge.admin import actions
from bridge.admin.report import Filters, build_report, report_csv


def filters_from(params, default_days: int) -> Filters:
    """Filters from query/form parameters; a bad `days` falls back to the default."""
    try:
        days = int(params.get("days") or default_days)
    except ValueError:
        days = default_days
    days = min(max(days, 1), 3660)
    return Filters(store=params.getunicode("store") or None,
                   reason=params.getunicode("reason") or None, days=days)


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
        return build_report(web.journal, filters, now, stores=stores)

    @app.get("/failures")
    def failures_page():
        session = web.require_session()
        report = report_for(bottle.request.query)
        q = bottle.request.query
        notice, kind = _summary(q)
        return web.page("failures.tpl", session=session, title="Failures", report=report,
                        default_days=default_days, notice=notice, notice_kind=kind,
                        query=filters_query(report.filters, default_days),
                        customer_url=web.customer_url)

    @app.get("/failures.csv")
    def failures_csv():
        web.require_session()
        report = report_for(bottle.request.query)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M")
        bottle.response.content_type = "text/csv; charset=utf-8"
        bottle.response.set_header("Content-Disposition",
                                   f'attachment; filename="astro-bridge-failures-{stamp}.csv"')
        return report_csv(report)

    @app.post("/failures/action")
    def failures_action():
        session = web.require_session()
        web.require_csrf(session)
        forms = bottle.request.forms
        action, ids = _chosen(forms)
        filters = filters_from(forms, default_days)
        back = filters_query(filters, default_days)
        if action not in ("retry", "hide") or not ids:
            summary = {"none": 1}
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
        bottle.redirect(f"{web.prefix()}/failures" + (f"?{query}" if query else ""), 303)

    @app.get("/customers/<store>/<customer_id>")
    def customer_page(store, customer_id):
        session = web.require_session()
        sales = [s for s in web.journal.sales(store_id=store, limit=2000)
                 if (s.sale.get("customer") or {}).get("id") == customer_id][:100]
        return web.page("customer.tpl", session=session, title=f"Customer {customer_id}",
                        store=store, customer_id=customer_id, sales=sales,
                        receipt_url=web.receipt_url)


def _chosen(forms) -> tuple[str | None, list[int]]:
    """The action and the report lines it applies to: a row's own button
    (`only=retry:12`) wins over the bulk buttons with the ticked boxes."""
    only = forms.get("only")
    if only:
        action, _, one = only.partition(":")
        return action, [int(one)] if one.isdigit() else []
    ids = [int(v) for v in forms.getall("ids") if v.isdigit()]
    return forms.get("action"), ids


def _summary(q) -> tuple[str | None, str]:
    def n(name):
        v = q.get(name, "")
        return int(v) if v.isdigit() else 0
    parts, bad = [], False
    if n("retried"):
        parts.append(f"{n('retried')} retried and delivered.")
    if n("still_failing"):
        parts.append(f"{n('still_failing')} still failing after the retry (see the new "
                     f"lines below).")
        bad = True
    if n("hidden"):
        parts.append(f"{n('hidden')} hidden.")
    if n("missing"):
        parts.append(f"{n('missing')} not found.")
        bad = True
    if n("none"):
        parts.append("Nothing selected: tick the lines first.")
        bad = True
    return (" ".join(parts) or None), ("bad" if bad else "ok")
