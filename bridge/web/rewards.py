"""Redeeming rewards from the cashier's receipt page.

`rewards_panel(web, sale, token)` is the "Rewards ready" part of a receipt: the rewards
the customer can take now (read from Astro: free goods of complete cards, point rewards
the balance covers), each with a Redeem form (POST, receipt token + CSRF token), and
what was redeemed (or NOT) from this receipt already. `install_redeem_routes(app, web)`
adds `POST /receipt/<sale key>/redeem`, which redeems through `bridge.redeem` and
answers with a page that says plainly whether the reward was redeemed. When the program
needs the customer's email or mailing address, that page is a form asking for it.

`web` is the main app's BridgeWeb: its journal, config, clients (by store) and signer
(receipt and CSRF tokens) are used; nothing else is shared.
"""
from __future__ import annotations

from urllib.parse import quote

import bottle

from bridge import redeem
from bridge.astro import AstroError
from bridge.web import render

_SUCCESS = (redeem.REDEEMED, redeem.ALREADY)
_FROM_RECEIPT_TEXT = {"done": "Redeemed", "failed": "NOT redeemed",
                      "uncertain": "NOT known whether redeemed: check in Astro",
                      "pending": "Being redeemed"}


def _render(name: str, **kw) -> str:
    kw.setdefault("static_prefix", bottle.request.script_name.rstrip("/"))
    return bottle.template(name, template_lookup=render.LOOKUP, **kw)


def _customer_id(sale) -> str | None:
    return (sale.sale.get("customer") or {}).get("id")


def rewards_panel(web, sale, token: str) -> str:
    """HTML of the receipt's rewards part for a sale that is not pending any more ("" when
    there is nothing to show). Never raises for Astro trouble: it says so instead."""
    customer_id = _customer_id(sale)
    if not customer_id or sale.sale.get("refund"):
        return ""
    client = web.clients(sale.store_id)
    rewards, problem = (), None
    if client is None:
        problem = "Rewards cannot be read: this store has no Astro login of its own yet."
    else:
        try:
            rewards = redeem.rewards_ready(client.customer_status(customer_id))
        except AstroError:
            problem = "Rewards could not be read from Astro just now. Reload to try again."
    earlier = [(r, _FROM_RECEIPT_TEXT.get(r.state, r.state))
               for r in web.journal.redemptions_of_sale(sale.sale_key)]
    if not rewards and not earlier and not problem:
        return ""
    return _render("redeem_panel.tpl", rewards=rewards, earlier=earlier, problem=problem,
                   action=_action(sale.sale_key), token=token,
                   csrf=web.signer.csrf_token(sale.sale_key))


def _action(sale_key: str) -> str:
    prefix = bottle.request.script_name.rstrip("/")
    return f"{prefix}/receipt/{quote(sale_key, safe='')}/redeem"


def install_redeem_routes(app: bottle.Bottle, web) -> None:
    """Add POST /receipt/<sale_key>/redeem to the main app."""

    @app.post(r"/receipt/<sale_key:re:[\s\S]+>/redeem")     # a SaleID may hold "/"
    def redeem_route(sale_key):
        form = bottle.request.forms
        token = form.get("t")
        found = web.journal.get_sale(sale_key) if (
            web.signer.receipt_token_ok(sale_key, token)
            and web.signer.csrf_token_ok(sale_key, form.get("csrf"))) else None
        if found is None:
            return _answer(403, "NOT redeemed", "This form is out of date. Open the receipt "
                                                "again. Nothing was redeemed.", sale_key, token)
        customer_id = _customer_id(found)
        kind, reward_id = form.get("kind"), form.getunicode("reward_id") or ""
        client = web.clients(found.store_id)
        if not customer_id or kind not in (redeem.FREE_GOOD, redeem.POINTS) or client is None:
            return _answer(400, "NOT redeemed", "This reward cannot be redeemed from here.",
                           sale_key, token)
        # Once started (or done), the journal answers for this reward: no Astro read
        # needed, and a double submit shows the first outcome without sending anything.
        key = redeem.attempt_key(found.store_id, customer_id, kind, reward_id, sale_key)
        earlier = web.journal.redemption(key)
        try:
            status = client.customer_status(customer_id)
        except AstroError:
            status = None
        reward = redeem.find_reward(status, kind, reward_id) if status is not None else None
        if reward is None and earlier is not None:
            reward = redeem.Reward(kind, reward_id, earlier.title or "Reward",
                                   item_id=earlier.item_id)
        if reward is None:
            if status is None:
                return _answer(503, "NOT redeemed", "Astro cannot be reached just now. "
                               "Nothing was redeemed: try again in a minute.", sale_key, token)
            return _answer(409, "NOT redeemed", "This reward is not ready any more (redeemed "
                           "elsewhere, or not enough points).", sale_key, token)
        info = redeem.CustomerInfo(
            email=(form.getunicode("email") or "").strip() or None,
            address=(form.getunicode("address") or "").strip() or None,
            city=(form.getunicode("city") or "").strip() or None,
            state=(form.getunicode("state") or "").strip() or None,
            zip=(form.getunicode("zip") or "").strip() or None)
        outcome = redeem.redeem(client, web.journal, store=found.store_id,
                                customer_id=customer_id, reward=reward, sale_key=sale_key,
                                info=info, known_email=status.email if status else None)
        needs = outcome.needs if outcome.status in (redeem.NEEDS_INFO, redeem.FAILED) else ()
        http_status = 200 if outcome.status in _SUCCESS or needs else 409
        return _answer(http_status, "Redeemed" if outcome.redeemed else "NOT redeemed",
                       outcome.message, sale_key, token, outcome=outcome, needs=needs,
                       info=info, csrf=web.signer.csrf_token(sale_key))


def _answer(status: int, heading: str, message: str, sale_key: str, token: str | None,
            **kw) -> bottle.HTTPResponse:
    kw.setdefault("outcome", None)
    kw.setdefault("needs", ())
    kw.setdefault("info", redeem.CustomerInfo())
    kw.setdefault("csrf", "")
    prefix = bottle.request.script_name.rstrip("/")
    back = (f"{prefix}/receipt/{quote(sale_key, safe='')}?t={quote(token or '', safe='')}"
            if token else None)
    html = _render("redeem_result.tpl", heading=heading, message=message, back=back,
                   action=_action(sale_key), token=token, ok=heading == "Redeemed", **kw)
    return bottle.HTTPResponse(html, status, {"Content-Type": "text/html; charset=utf-8"})
