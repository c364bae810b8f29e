"""The control routes under /_sandbox/ (only when the app is made with control=True):
faults, reset, token expiry, the store's enrolment in programs, and a read-only view of
what the account holds."""
from __future__ import annotations

import json
from typing import Any

import bottle

from bridge.sandbox.faults import FaultSpecError
from bridge.sandbox.page import account_page, stylesheet
from bridge.sandbox.runtime import Runtime
from bridge.sandbox.wire import dumps

PREFIX = "/_sandbox"


def state_view(rt: Runtime) -> dict[str, Any]:
    """What the account holds, plus call counters and the active faults."""
    acc = rt.account
    enrolled = acc.enrolled_programs()
    with acc.lock:
        state = acc.snapshot()
        by_astro = {c["astro_customer_id"]: c["customerID"] for c in state["customers"].values()}
        customers = [{**c, "points_balance": acc.points_balance(c["astro_customer_id"])}
                     for c in state["customers"].values()]
        cards = [{"astro_customer_id": card["astro_customer_id"],
                  "customerID": by_astro.get(card["astro_customer_id"]),
                  "punches": len(card["punches"]), **acc.card_view(card)}
                 for card in state["cards"]]
    return {
        "account": rt.seed.name,
        "customers": customers,
        "cards": cards,
        "transactions": state["transactions"],
        "points_transactions": state["points_transactions"],
        "redemptions": state["redemptions"],
        "offer_rewards": state["offer_rewards"],
        "programs": [{"astro_program_id": p.id, "astro_program_title": p.title,
                      "enrolled": p in enrolled} for p in rt.seed.programs],
        **rt.counters(),
        "tokens": {"issued": rt.tokens.issued, "live": rt.tokens.live(),
                   "ttl": rt.token_ttl()},
        "faults": rt.faults.as_json(),
    }


def _json(doc: Any, status: int = 200) -> bytes:
    bottle.response.status = status
    bottle.response.content_type = "application/json"
    return dumps(doc)


def install(app: bottle.Bottle, rt: Runtime) -> None:
    @app.get(PREFIX + "/state")
    def get_state():
        return _json(state_view(rt))

    @app.get(PREFIX + "/calls")
    def get_calls():
        return _json({"calls": rt.logged_calls()})

    @app.get(PREFIX + "/faults")
    def get_faults():
        return _json(rt.faults.as_json())

    @app.post(PREFIX + "/faults")
    def post_faults():
        try:
            doc = json.loads(bottle.request.body.read() or b"{}")
            return _json(rt.faults.merge(doc))
        except (ValueError, FaultSpecError) as error:
            return _json({"error": str(error)}, 400)

    @app.delete(PREFIX + "/faults")
    def delete_faults():
        rt.faults.clear()
        return _json(rt.faults.as_json())

    @app.post(PREFIX + "/reset")
    def reset():
        rt.reset()
        return _json({"reset": True})

    @app.post(PREFIX + "/expire-tokens")
    def expire_tokens():
        rt.tokens.expire_all()
        return _json({"expired": True})

    @app.post(PREFIX + "/programs/<program_id:int>")
    def enrol(program_id: int):
        # The state page's buttons post a form (enrolled=1|0) and are sent back to the
        # page; scripts and tests post JSON and get JSON.
        from_page = bottle.request.content_type.startswith(
            "application/x-www-form-urlencoded")
        if from_page:
            doc = {"enrolled": {"1": True, "0": False}.get(
                bottle.request.forms.get("enrolled", ""))}
        else:
            try:
                doc = json.loads(bottle.request.body.read() or b"{}")
            except ValueError as error:
                return _json({"error": str(error)}, 400)
        if not isinstance(doc, dict) or not isinstance(doc.get("enrolled"), bool):
            return _json({"error": 'expected {"enrolled": true} or {"enrolled": false}'}, 400)
        try:
            rt.account.set_enrolled(program_id, doc["enrolled"])
        except KeyError:
            return _json({"error": f"no program {program_id} in the seed"}, 404)
        if from_page:
            return bottle.HTTPResponse(status=303, headers={"Location": PREFIX + "/"})
        return _json({"astro_program_id": program_id, "enrolled": doc["enrolled"]})

    @app.get(PREFIX + "/")
    def overview():
        bottle.response.content_type = "text/html; charset=utf-8"
        return account_page(state_view(rt), rt.seed, PREFIX)

    @app.get(PREFIX + "/page.css")
    def page_css():
        bottle.response.content_type = "text/css; charset=utf-8"
        return stylesheet()
