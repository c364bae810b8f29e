"""Redeeming rewards from the cashier's receipt page.

`rewards_panel(web, sale, data, token)` is the "Rewards ready" part of a receipt: the
rewards the customer can take now (free goods of complete cards, point rewards the
balance covers, as the delivery stored them in the receipt data: no Astro call), each
with a Redeem form (POST, receipt token + CSRF token), and what was redeemed (or NOT)
from this receipt already. `install_redeem_routes(app, web)` adds
`POST /receipt/<sale key>/redeem`, which redeems through `bridge.redeem` and answers
with a page that says plainly whether the reward was redeemed; a reward redeemed comes
off the receipt's stored data, with the balance left (`after_redemption`). When the
program needs the customer's email or mailing address, that page is a form asking for
it. `refresh_receipt(journal, client, sale_key)` reads the customer again and stores
the receipt data anew ("refresh from Astro", run in the background).

`web` is the main app's BridgeWeb: its journal, config, clients (by store) and signer
(receipt and CSRF tokens) are used; nothing else is shared.
"""
from __future__ import annotations

from urllib.parse import quote

import bottle

import logging

from bridge import redeem
from bridge.astro import AstroError
from bridge.delivery import after_redemption, current_receipt, receipt_data
from bridge.journal import utcnow
from bridge.web import render

log = logging.getLogger("bridge.web")

_SUCCESS = (redeem.REDEEMED, redeem.ALREADY)
_FROM_RECEIPT_TEXT = {"done": "Redeemed", "failed": "NOT redeemed",
                      "uncertain": "NOT known whether redeemed: check in Astro",
                      "pending": "Being redeemed"}


def _render(name: str, **kw) -> str:
    kw.setdefault("static_prefix", bottle.request.script_name.rstrip("/"))
    return bottle.template(name, template_lookup=render.LOOKUP, **kw)


def _customer_id(sale) -> str | None:
    return (sale.sale.get("customer") or {}).get("id")


def rewards_panel(web, sale, data: dict, token: str) -> str:
    """HTML of the receipt's rewards part for a sale that is not pending any more ("" when
    there is nothing to show), from its stored receipt data `data`."""
    customer_id = _customer_id(sale)
    if not customer_id or sale.sale.get("refund"):
        return ""
    rewards = stored_rewards(data)
    # A card this sale completed whose reward Astro has not shown yet (being read again).
    confirming = [f"Free: {r.get('program_title') or 'item'}"
                  for r in data.get("rewards_ready") or () if not r.get("reward_id")]
    earlier = [(r, _FROM_RECEIPT_TEXT.get(r.state, r.state))
               for r in web.journal.redemptions_of_sale(sale.sale_key)]
    if not rewards and not earlier and not confirming:
        return ""
    return _render("redeem_panel.tpl", rewards=rewards, earlier=earlier,
                   confirming=confirming, action=_action(sale.sale_key), token=token,
                   csrf=web.signer.csrf_token(sale.sale_key))


def stored_rewards(data: dict) -> tuple[redeem.Reward, ...]:
    """The rewards ready in receipt data (bridge.delivery.receipt), as redeem.Rewards."""
    rewards = [redeem.Reward(redeem.FREE_GOOD, str(r["reward_id"]),
                             r.get("item_description") or r.get("program_title") or "Free item",
                             item_id=r.get("item_id"), program_title=r.get("program_title"))
               for r in data.get("rewards_ready") or () if r.get("reward_id")]
    rewards += [redeem.Reward(redeem.POINTS, str(r["reward_id"]), r.get("title") or "Points reward",
                              points_required=r.get("points_required"),
                              reward_type=r.get("reward_type"),
                              reward_value=r.get("reward_value"))
                for r in (data.get("points") or {}).get("rewards") or () if r.get("reward_id")]
    return tuple(rewards)


def refresh_receipt(journal, client, sale_key: str) -> None:
    """Read the sale's customer again and store its receipt data anew (what was redeemed
    from the receipt is kept). Never raises: a failed read leaves the receipt as it was."""
    sale = journal.get_sale(sale_key)
    try:
        status = client.customer_status(sale.plan.customer_id)
    except AstroError as e:
        log.info("receipt %s not refreshed: %s", sale_key, type(e).__name__)
        return
    except Exception:
        log.exception("receipt %s not refreshed", sale_key)
        return
    sale = journal.get_sale(sale_key)
    data = receipt_data(sale, status, utcnow())
    data["redeemed"] = (sale.receipt or {}).get("redeemed") or []
    journal.set_receipt(sale_key, data)


def _action(sale_key: str) -> str:
    prefix = bottle.request.script_name.rstrip("/")
    return f"{prefix}/receipt/{quote(sale_key, safe='')}/redeem"


def install_redeem_routes(app: bottle.Bottle, web) -> None:
    """Add POST /receipt/<sale_key>/redeem to the main app."""

    @app.post(r"/receipt/<sale_key:re:[\s\S]+>/redeem")     # a SaleID may hold "/"
    def redeem_route(sale_key):
        form = bottle.request.forms
        token = form.get("t")
        found = web.posted_sale(sale_key)
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
        if outcome.redeemed:
            _take_off_receipt(web.journal, sale_key, reward)
        needs = outcome.needs if outcome.status in (redeem.NEEDS_INFO, redeem.FAILED) else ()
        http_status = 200 if outcome.status in _SUCCESS or needs else 409
        return _answer(http_status, "Redeemed" if outcome.redeemed else "NOT redeemed",
                       outcome.message, sale_key, token, outcome=outcome, needs=needs,
                       info=info, csrf=web.signer.csrf_token(sale_key))


def _take_off_receipt(journal, sale_key: str, reward: redeem.Reward) -> None:
    """The reward is no longer ready on the receipt; the balance is what is left."""
    sale = journal.get_sale(sale_key)
    data = current_receipt(sale)
    if any(r.get("kind") == reward.kind and str(r.get("reward_id")) == reward.reward_id
           for r in data.get("redeemed") or ()):
        return
    journal.set_receipt(sale_key, after_redemption(
        data, reward.kind, reward.reward_id,
        reward.points_required if reward.kind == redeem.POINTS else None))


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
