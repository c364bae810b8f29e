"""The readiness report as an HTML page (/admin/migration).

`REPORT_BODY` is a bottle SimpleTemplate of the page's content; `render_html(report)`
gives a standalone page, and `install_admin_route(app, web)` adds `GET /migration` to
the admin app (bridge.admin.app), rendered inside the admin layout, behind its login.
Values are HTML-escaped by the template; the report holds no secrets.
"""
from __future__ import annotations

import datetime

import bottle

from bridge.migrate.report import ReadinessReport, readiness

REPORT_BODY = """\
<h1>Migration readiness</h1>
<p class="muted">Sales seen under passthrough and shadow{{' since ' + report.since.isoformat() if report.since else ''}};
generated {{report.generated_at.strftime('%Y-%m-%d %H:%M UTC')}}.</p>
% for s in report.stores:
<section class="store" id="store-{{s.store}}">
<h2>{{s.name}} <span class="muted">({{s.store}}, phase {{s.phase}})</span></h2>
<p class="verdict {{'ok' if s.ready else 'bad'}}"><strong>{{s.verdict}}</strong></p>
<ul class="reasons">
% for reason in s.reasons:
<li>{{reason}}</li>
% end
</ul>
<table class="figures">
<tr><th>Sales seen</th><td>{{s.sales_seen}} (passthrough {{s.passthrough_sales}}, shadow {{s.shadow_sales}})</td></tr>
<tr><th>Evaluated</th><td>{{s.evaluated}}</td></tr>
<tr><th>Would fully succeed</th><td>{{s.would_succeed}}{{'' if s.share is None else ' (%d%%)' % int(s.share * 100 + 1e-9)}}</td></tr>
% if s.unreadable:
<tr><th>Unreadable queries</th><td>{{s.unreadable}}</td></tr>
% end
% if s.not_evaluated:
<tr><th>Not evaluated</th><td>{{s.not_evaluated}}</td></tr>
% end
% if s.points_sales:
<tr><th>Points</th><td>{{s.points_sales}} sales, addPointsByDollar total ${{s.points_dollars}}</td></tr>
% end
</table>
% if s.failing_codes:
<h3>Item codes that would fail</h3>
<table class="failing-codes">
<tr><th>Item code</th><th>Lines</th><th>Why</th></tr>
% for c in s.failing_codes:
<tr><td><code>{{c.item_code}}</code></td><td>{{c.count}}</td><td>{{c.explain()}}</td></tr>
% end
</table>
% end
% if s.new_customers:
<h3>Customers that would be created ({{len(s.new_customers)}})</h3>
<ul class="new-customers">
% for c in s.new_customers:
<li><code>{{c.customer_id}}</code> {{c.name or ''}}</li>
% end
</ul>
% end
% for note in s.notes:
<p class="muted note">{{note}}</p>
% end
</section>
% end
% if not report.stores:
<p>No stores are configured.</p>
% end
"""

_STANDALONE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration readiness · astro-bridge</title></head>
<body><main>
""" + REPORT_BODY + "</main></body></html>\n"

_IN_ADMIN = "% rebase('admin_layout.tpl', title='Migration readiness')\n" + REPORT_BODY


def render_html(report: ReadinessReport) -> str:
    """The report as a complete HTML page of its own."""
    return bottle.template(_STANDALONE, report=report)


def install_admin_route(app: bottle.Bottle, web) -> None:
    """Add `GET /migration` (optional `?store=<id>&since=YYYY-MM-DD`) to the admin app;
    `web` is its bridge.admin.app.AdminWeb (config, journal, session, page)."""

    @app.get("/migration")
    def migration():
        session = web.require_session()
        query = bottle.request.query
        store = query.getunicode("store") or None
        since = None
        try:
            if query.getunicode("since"):
                since = datetime.date.fromisoformat(query.getunicode("since"))
            report = readiness(web.config, web.journal, store=store, since=since)
        except (ValueError, KeyError):
            bottle.response.status = 400
            return web.page("message.tpl", session=session, title="Bad request",
                            message="store must be a configured store id and since a "
                                    "date YYYY-MM-DD.")
        return web.page(_IN_ADMIN, session=session, report=report)
