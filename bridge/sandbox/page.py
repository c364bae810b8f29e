"""The sandbox account as a page for people (`GET /_sandbox/`): what the fake Astro
holds, in plain words and in the admin pages' look, with a button per program to enrol
the store or end its enrolment.

The look is the admin pages' own stylesheet (bridge/admin/static/admin.css, read as a
file, not imported: the sandbox stays apart from the bridge's layers) followed by a few
rules of its own (static/sandbox.css), served together at `/_sandbox/page.css`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bottle

HERE = Path(__file__).resolve().parent
STYLESHEETS = (HERE.parent / "admin" / "static" / "admin.css", HERE / "static" / "sandbox.css")
_NONE = "—"


def stylesheet() -> str:
    """The page's CSS: the admin pages' stylesheet, then the sandbox's few rules."""
    return "\n".join(path.read_text(encoding="utf-8") for path in STYLESHEETS)


def account_page(view: dict[str, Any], seed, prefix: str) -> str:
    """The HTML page of `view` (control.state_view), the seed naming programs and
    rewards; `prefix` is where the control routes are (/_sandbox)."""
    people = {c["astro_customer_id"]: _name(c) for c in view["customers"]}

    def who(astro_id) -> str:
        return people.get(str(astro_id), f"Astro customer {astro_id}")

    def program(program_id) -> str:
        found = seed.program(program_id) if program_id is not None else None
        return found.title if found else _NONE

    enrolled = {p["astro_program_id"]: p["enrolled"] for p in view["programs"]}
    programs = [{"id": p.id, "title": p.title, "maker": p.mfg_name,
                 "enrolled": enrolled.get(p.id, False)} for p in seed.programs]
    customers = [{"name": _name(c), "pos_id": c["customerID"] or "not linked to a POS "
                  "customer", "astro_id": c["astro_customer_id"],
                  "email": c.get("email_address") or _NONE, "phone": c.get("phone") or _NONE,
                  "points": c["points_balance"]} for c in view["customers"]]
    cards = [{"who": who(c["astro_customer_id"]), "program": c["astro_program_title"],
              "progress": f"{c['punches']}/{c['card_purchase_required_count']}",
              "status": _CARD_STATUS.get(c["astro_card_status"], c["astro_card_status"]),
              "rewards": [f"{g['item_description']}: " + (
                  f"redeemed {g['redeemed_on']}" if g["redeemed_on"] else "ready")
                  for g in c["cardFreeGoods"]]} for c in view["cards"]]
    transactions = [{"id": t["transactionID"], "who": who(t["astro_customer_id"]),
                     "item": t["item_code"], "qty": t["item_qty"],
                     "date": t["item_transaction_date"] or _NONE,
                     "program": program(t.get("astro_program_id")) if t["kind"] == "card"
                     else _offer(seed, t.get("astro_offer_id")),
                     "removed": t["deleted"]} for t in view["transactions"].values()]
    points = [{"who": who(p["astro_customer_id"]), "what": p["pointsDescription"],
               "change": f"{p['pointsQty']:+d}", "balance": p["totalPoints"],
               "when": str(p["pointsDate"])[:16].replace("T", " ")}
              for p in view["points_transactions"]]
    redemptions = [{"who": who(r["astro_customer_id"]), "what": _redeemed(seed, r),
                    "on": r["redeemed_on"], "undone": r["removed"]}
                   for r in view["redemptions"]]
    calls = [{"endpoint": e, "calls": n, "handled": view["handled"].get(e, 0)}
             for e, n in sorted(view["calls"].items())]
    return bottle.template(
        "account", template_lookup=[str(HERE / "templates")], account=view["account"],
        prefix=prefix, programs=programs, customers=customers, cards=cards,
        transactions=transactions, points=points, redemptions=redemptions, calls=calls,
        faults=_faults(view["faults"]), tokens=view["tokens"])


_CARD_STATUS = {"active": "collecting", "completed": "complete: reward ready",
                "redeemed": "reward redeemed"}


def _name(customer: dict) -> str:
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    return name or f"Astro customer {customer['astro_customer_id']}"


def _offer(seed, offer_id) -> str:
    found = seed.offer(offer_id) if offer_id is not None else None
    return f"offer: {found.title}" if found else _NONE


def _redeemed(seed, r: dict) -> str:
    if r["kind"] == "points":
        reward = seed.points_reward(r.get("astro_points_reward_id"))
        return f"{reward.title if reward else 'points reward'} ({r.get('points')} points)"
    if r["kind"] == "card":
        found = seed.program(r.get("astro_program_id"))
        return f"free item of {found.title if found else 'a card'}"
    return "offer reward"


def _faults(spec: dict) -> list[str]:
    """The active faults in words; [] when every call is answered normally."""
    lines = [f"{endpoint if endpoint != '*' else 'every endpoint'}: "
             + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rules.items())
             for endpoint, rules in spec.get("endpoints", {}).items() if rules]
    lines += [f"the next {r['count']} call{'s' * (r['count'] != 1)} of "
              f"{r['endpoint'] if r['endpoint'] != '*' else 'any endpoint'}: {r['fault']}"
              + "".join(f", {k} {v}" for k, v in r.items()
                        if k not in ("endpoint", "count", "fault"))
              for r in spec.get("next", [])]
    if spec.get("token_ttl"):
        lines.append(f"tokens expire after {spec['token_ttl']} s")
    return lines
