"""Receipt data: what the cashier's receipt shows of a sale, from its recorded steps and
(when read) the customer's status after this sale's writes. Stored with the sale by the
delivery round that finished it (bridge.delivery.machine), so showing a receipt reads
nothing from Astro.

    receipt_data(sale, status, fetched_at=None) -> dict     # pure
    current_receipt(sale) -> dict          # the stored data, brought up to the steps' states
    after_redemption(receipt, kind, reward_id, points=None) -> dict   # pure

THE receipt shape (extend it here, and only here)::

    {"sale_key", "status", "refund": bool, "fetched_at": iso|None,
     "checking": bool,               # the read could not tell all: being read again
     "steps": [state, ...],          # the step states the data was made from
     "customer": {"id", "name", "astro_customer_id", "how"},   # how: known|found|linked|created
     "lines": [{"index", "item_code", "description", "qty", "transaction_id",
                "result": added|already|failed|pending, "message", "program_id",
                "program_title", "routine": bool}],   # routine: refused, in no program
     "cards": [{"program_id", "program_title", "punches", "required", "rewards_ready"}],
     "line_cards": {transaction_id: [{"card_id", "punches", "required", "complete"}]},
     "rewards_ready": [{"reward_id", "item_id", "program_id", "program_title",
                        "item_description", "free_qty"}],
     "points": None | {"dollar_amount": "45.98", "awarded": int|None, "state",
                       "balance": int|None,
                       "rewards": [{"reward_id", "title", "points_required",
                                    "reward_type", "reward_value"}]},
     "redeemed": [{"kind": free_good|points, "reward_id", "title", "points"}],
     "removed": [{"transaction_id", "item_code", "quantity", "state"}],
     "manual_removals": [{"item_code", "description", "qty"}]}

`cards` holds the open (active) card of each program: e.g. 7 punches of 12 required;
`line_cards` the cards each line's transaction punched, oldest first, complete or not;
`rewards_ready` the free goods of complete cards not redeemed yet and `points.rewards`
the point rewards the balance covers, each with the ids its Redeem form sends;
`redeemed` what was redeemed from this receipt (the balance and rewards above are
after it).
"""
from __future__ import annotations

import datetime as dt

from bridge.astro import CustomerStatus
from bridge.journal import DONE, FAILED, PENDING, SaleRecord
from bridge.translate import CustomerStep, PointsStep, RemoveStep, TransactionsStep


def receipt_data(sale: SaleRecord, status: CustomerStatus | None,
                 fetched_at: dt.datetime | None = None, *, checking: bool = False) -> dict:
    """The receipt page's data for `sale`, from its recorded steps and (when given) the
    customer's status after this sale's writes (`checking`: not all of it could be told;
    it is being read again). Pure; JSON-able. Shape in the module docstring."""
    plan, printable = sale.plan, sale.sale
    c = printable.get("customer", {})
    step_of = {s.n: s for s in sale.steps}
    receipt: dict = {
        "sale_key": sale.sale_key, "status": sale.status, "refund": plan.refund,
        "fetched_at": fetched_at.isoformat() if fetched_at else None,
        "checking": bool(checking and status is not None),
        "steps": [s.state for s in sale.steps],
        "customer": {"id": plan.customer_id,
                     "name": " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p),
                     "astro_customer_id": None, "how": None},
        "lines": [], "cards": [], "line_cards": {}, "rewards_ready": [], "points": None,
        "redeemed": [], "removed": [],
        "manual_removals": [{"item_code": m.item_code, "description": m.description,
                             "qty": m.qty} for m in plan.manual_removals],
    }
    for step in plan.steps:
        record = step_of.get(step.n)
        result = (record.result if record else None) or {}
        state = record.state if record else PENDING
        if isinstance(step, CustomerStep) and state == DONE:
            receipt["customer"].update(astro_customer_id=result.get("astro_customer_id"),
                                       how=result.get("how"))
        elif isinstance(step, TransactionsStep):
            outcomes = {ln["transaction_id"]: ln for ln in result.get("lines", [])}
            for ln in step.lines:
                got = outcomes.get(ln.transaction_id, {})
                receipt["lines"].append({
                    "index": ln.line_index, "item_code": ln.item_code,
                    "description": ln.description, "qty": ln.qty,
                    "transaction_id": ln.transaction_id,
                    "result": got.get("result") or ("failed" if state == FAILED else "pending"),
                    "message": got.get("message") or (record.error if record else None),
                    "program_id": got.get("program_id"),
                    "program_title": got.get("program_title"),
                    "routine": bool(got.get("routine"))})
        elif isinstance(step, PointsStep):
            receipt["points"] = {"dollar_amount": str(step.dollar_amount), "state": state,
                                 "awarded": result.get("total_points") if state == DONE else None,
                                 "balance": None, "rewards": []}
        elif isinstance(step, RemoveStep):
            receipt["removed"].append({"transaction_id": step.transaction_id,
                                       "item_code": step.item_code,
                                       "quantity": step.quantity, "state": state})
    if status is not None:
        receipt["customer"]["astro_customer_id"] = (receipt["customer"]["astro_customer_id"]
                                                    or status.astro_customer_id)
        if not receipt["customer"]["name"]:   # the button sent no names: Astro's
            receipt["customer"]["name"] = " ".join(
                p for p in (status.first_name, status.last_name) if p)
        line_of = {ln["transaction_id"]: ln for ln in receipt["lines"]}
        for card in status.cards:
            ready = [g for g in card.free_goods if not g.redeemed_on]
            # The cards each of this sale's transactions punched, in card order (a line
            # can fill one card and open the next): their progress, even once complete.
            for purchase in card.purchases:
                if purchase.transaction_id in line_of:
                    # A line Astro said was already there ("TransactionID Already
                    # Exists" after a lost answer) has no program in its result.
                    line = line_of[purchase.transaction_id]
                    line["program_title"] = line["program_title"] or card.program_title
                    line["program_id"] = line["program_id"] or card.program_id
                    touched = receipt["line_cards"].setdefault(purchase.transaction_id, [])
                    if not touched or touched[-1]["card_id"] != card.card_id:
                        required = card.purchase_required_count
                        touched.append({
                            "card_id": card.card_id, "punches": len(card.purchases),
                            "required": required,
                            "complete": bool(required and len(card.purchases) >= required)})
            if card.status == "active":
                receipt["cards"].append({
                    "program_id": card.program_id, "program_title": card.program_title,
                    "punches": len(card.purchases), "required": card.purchase_required_count,
                    "rewards_ready": len(ready)})
            receipt["rewards_ready"] += [{"reward_id": g.reward_id, "item_id": g.item_id,
                                          "program_id": card.program_id,
                                          "program_title": card.program_title,
                                          "item_description": g.item_description,
                                          "free_qty": g.free_qty} for g in ready]
        points = receipt["points"] or {"dollar_amount": None, "state": None, "awarded": None}
        balance = status.points_balance
        # The point rewards the balance covers (a read may list more than it covers).
        points.update(balance=balance, rewards=[
            {"reward_id": r.reward_id, "title": r.title, "points_required": r.points_required,
             "reward_type": r.reward_type,
             "reward_value": None if r.reward_value is None else str(r.reward_value)}
            for r in status.eligible_point_rewards
            if r.points_required is None or balance is None or r.points_required <= balance])
        receipt["points"] = points
    return receipt


# What a receipt keeps from its customer's read when its steps move on without a new one
# (a person's Retry or decision): the steps' parts are made again, these stay.
_FROM_READ = ("fetched_at", "checking", "cards", "line_cards", "rewards_ready", "redeemed")


def current_receipt(sale: SaleRecord) -> dict:
    """The sale's receipt data as of its steps now: the stored data when it was made from
    these step states, else made again from the steps, with what the stored data had
    read of the customer (cards, rewards, balance) kept. Pure."""
    stored = sale.receipt
    if stored and stored.get("steps") == [s.state for s in sale.steps] \
            and stored.get("status") == sale.status:
        return stored
    fresh = receipt_data(sale, None)
    if not stored:
        return fresh
    for key in _FROM_READ:
        fresh[key] = stored.get(key, fresh[key])
    for key in ("name", "astro_customer_id"):
        fresh["customer"][key] = fresh["customer"][key] or (stored.get("customer") or {}).get(key)
    titles = {ln.get("transaction_id"): ln for ln in stored.get("lines") or ()}
    for line in fresh["lines"]:
        old = titles.get(line["transaction_id"]) or {}
        line["program_id"] = line["program_id"] or old.get("program_id")
        line["program_title"] = line["program_title"] or old.get("program_title")
    old_points = stored.get("points") or {}
    if fresh["points"] is not None:
        fresh["points"].update(balance=old_points.get("balance"),
                               rewards=old_points.get("rewards") or [])
    elif old_points.get("balance") is not None:
        fresh["points"] = old_points
    return fresh


def after_redemption(receipt: dict, kind: str, reward_id: str,
                     points: int | None = None) -> dict:
    """The receipt data once the reward `kind` ("free_good" | "points") `reward_id` was
    redeemed from it (`points`: what a points reward took off the balance): the reward
    is no longer ready, the balance is what is left, and only the point rewards it still
    covers are offered. Pure: a new dict."""
    data = {**receipt, "redeemed": list(receipt.get("redeemed") or ())}
    title = None
    if kind == "free_good":
        left = []
        for r in receipt.get("rewards_ready") or ():
            if str(r.get("reward_id")) == str(reward_id) and title is None:
                title = r.get("item_description") or r.get("program_title")
                data["cards"] = [{**c, "rewards_ready": max(0, (c.get("rewards_ready") or 0) - 1)}
                                 if c.get("program_id") == r.get("program_id") else c
                                 for c in receipt.get("cards") or ()]
                continue
            left.append(r)
        data["rewards_ready"] = left
    else:
        p = dict(receipt.get("points") or {})
        reward: dict = next((r for r in p.get("rewards") or ()
                       if str(r.get("reward_id")) == str(reward_id)), {})
        title = reward.get("title")
        cost = points if points is not None else reward.get("points_required")
        if p.get("balance") is not None and cost is not None:
            p["balance"] -= abs(cost)
        p["rewards"] = [r for r in p.get("rewards") or ()
                        if p.get("balance") is None or r.get("points_required") is None
                        or r["points_required"] <= p["balance"]]
        data["points"] = p
    data["redeemed"].append({"kind": kind, "reward_id": str(reward_id), "title": title,
                             "points": points})
    return data
