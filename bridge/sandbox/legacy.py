"""The legacy query URL as Astro answered it: the sale in the query string (or POST
body) is applied to the account, and a small HTML page shows what happened.

Rules (as the legacy Astro did): the login is apiusername/apipassword or
login=user~pass, checked against the API logins; the CustomerID is the linked customer,
else the unlinked Astro customer with the same email is linked to it, else a customer
is created; each UPC line of positive quantity punches its card (one transaction per
line); SubTotal earns points (a refund deducts them). Returned items (Refund=1 or
negative quantities) are not taken off cards: staff did that by hand."""
from __future__ import annotations

import datetime as dt
import html
import uuid

import bottle

from bridge.sandbox.runtime import Reply, Runtime
from bridge.sandbox.wire import SUCCESS, AstroFailure
from legacy_qs import LegacyQSError, parse

HTML = "text/html; charset=utf-8"


def install(app: bottle.Bottle, rt: Runtime) -> None:
    @app.route(rt.seed.legacy_path, method=["GET", "POST"])
    def legacy():
        return rt.serve("legacy", lambda: legacy_reply(rt))


def _page(status: int, title: str, body: str) -> Reply:
    text = (f"<!doctype html><html><head><meta charset='utf-8'><title>Astro Loyalty: "
            f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"{body}</body></html>")
    return Reply(status, body=text.encode("utf-8"), content_type=HTML)


def _query() -> bytes | str:
    request = bottle.request
    if request.method == "POST":
        body = request.body.read()
        if body:
            return body
    return request.query_string


def legacy_reply(rt: Runtime) -> Reply:
    try:
        sale = parse(_query())
    except LegacyQSError as error:
        return _page(400, "Invalid request", f"<p class='error'>{html.escape(str(error))}</p>")
    if not sale.username or not sale.password or rt.seed.login(
            sale.username, sale.password) is None:
        return _page(401, "Invalid login", "<p class='error'>Invalid API username or "
                                           "password.</p>")
    account = rt.account
    with account.lock:
        customer = _customer(rt, sale)
        results = []
        date = sale.date.date() if isinstance(sale.date, dt.datetime) else sale.date
        lines = [ln for ln in sale.lines if ln.qty > 0] if not sale.refund else []
        if lines:
            key = sale.sale_id or uuid.uuid4().hex[:12]
            batch = [{"transactionID": f"legacy-{key}-{ln.index}", "item_code": ln.upc,
                      "item_qty": ln.qty,
                      "item_transaction_date": date.isoformat() if date else None}
                     for ln in lines]
            results = account.add_transactions(customer, batch, sale.sale_id)
        points = None
        if sale.subtotal is not None:
            amount = -abs(sale.subtotal) if sale.refund else sale.subtotal
            points = account.add_points_by_dollar(customer, str(amount))
        status = account.customer_status(customer)
    rows = "".join(
        f"<tr><td>{html.escape(ln.upc)}</td><td>{html.escape(ln.description or '')}</td>"
        f"<td>{ln.qty}</td><td>{html.escape(r['transaction_status_message'])}</td>"
        f"<td>{html.escape(r['astro_program_title'] or '')}</td></tr>"
        for ln, r in zip(lines, results, strict=True))
    ok = sum(1 for r in results if r["transaction_status"] == SUCCESS)
    parts = [f"<p>Customer: {html.escape(status['first_name'])} "
             f"{html.escape(status['last_name'])} ({html.escape(customer)})</p>"]
    if rows:
        parts.append("<table><tr><th>Item</th><th>Description</th><th>Qty</th>"
                     f"<th>Result</th><th>Program</th></tr>{rows}</table>"
                     f"<p class='summary'>{ok} of {len(results)} items added.</p>")
    if sale.refund:
        parts.append("<p>Refund: items stay on the cards; remove them by hand.</p>")
    if points is not None:
        parts.append(f"<p class='points'>Points: {points['total_points']:+d}, "
                     f"balance {status['astroPointsBalance']}</p>")
    ready = [g for card in status["astroCardData"] for g in card["cardFreeGoods"]
             if not g["redeemed_on"]]
    if ready:
        parts.append("<p class='rewards'>Rewards ready: " + ", ".join(
            html.escape(g["item_description"]) for g in ready) + "</p>")
    return _page(200, "Sale recorded", "".join(parts))


def _customer(rt: Runtime, sale) -> str:
    """The POS id of the sale's customer, linked or created on the way."""
    account = rt.account
    c = sale.customer
    try:
        account.customer(c.id)
        return c.id
    except AstroFailure:
        pass
    if c.email or c.phone:
        try:
            match = account.search_customer(c.email, c.phone if not c.email else None)
            if not match["customerID"]:
                account.link_customer(c.id, match["astro_customer_id"])
                return c.id
        except AstroFailure:
            pass
    account.add_customer(c.id, {"first_name": c.first_name, "last_name": c.last_name,
                                "email_address": c.email, "phone": c.phone})
    return c.id
