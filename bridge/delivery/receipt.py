"""Receipt data: what the cashier's receipt shows of a delivered sale, from its recorded
steps and (when read) the customer's status after delivery.

    receipt_data(sale, status, fetched_at=None) -> dict     # pure
    store_receipt(journal, client, sale, now) -> dict        # reads customerStatus once

Receipt shape::

    {"sale_key", "status", "refund": bool, "fetched_at": iso|None,
     "customer": {"id", "name", "astro_customer_id", "how"},   # how: known|found|linked|created
     "lines": [{"index", "item_code", "description", "qty", "transaction_id",
                "result": added|already|failed|pending, "message", "program_title"}],
     "cards": [{"program_id", "program_title", "punches", "required", "rewards_ready"}],
     "line_cards": {transaction_id: [{"card_id", "punches", "required", "complete"}]},
     "rewards_ready": [{"program_title", "item_description", "free_qty"}],
     "points": None | {"dollar_amount": "45.98", "awarded": int|None, "state",
                       "balance": int|None, "rewards": [{"title", "points_required"}]},
     "removed": [{"transaction_id", "item_code", "quantity", "state"}],
     "manual_removals": [{"item_code", "description", "qty"}]}

`cards` holds the open (active) card of each program: e.g. 7 punches of 12 required;
`line_cards` the cards each line's transaction punched, oldest first, complete or not.
"""
from __future__ import annotations

import datetime as dt
import logging

from bridge.astro import AstroError, CustomerStatus
from bridge.delivery.points import note_points
from bridge.journal import DONE, FAILED, PENDING, Journal, SaleRecord
from bridge.translate import CUSTOMER, CustomerStep, PointsStep, RemoveStep, TransactionsStep

log = logging.getLogger(__name__)


def store_receipt(journal: Journal, client, sale: SaleRecord, now) -> dict:
    """Read the customer's status once (no client: not at all), store the sale's receipt
    data with the sale and return it. What the read shows of the customer's points is
    kept as their points snapshot (bridge.journal.points)."""
    status = None
    if client is not None and _customer_resolved(sale):
        try:
            asked_at = now()
            status = client.customer_status(sale.plan.customer_id)
            note_points(journal, sale.store_id, sale.plan.customer_id, status, asked_at)
        except AstroError as e:
            log.info("receipt without card progress for %s: %s", sale.sale_key, e)
    receipt = receipt_data(sale, status, now() if status else None)
    journal.set_receipt(sale.sale_key, receipt)
    return receipt


def _customer_resolved(sale: SaleRecord) -> bool:
    return bool(sale.steps) and sale.steps[0].kind == CUSTOMER and sale.steps[0].state == DONE


def receipt_data(sale: SaleRecord, status: CustomerStatus | None,
                 fetched_at: dt.datetime | None = None) -> dict:
    """The receipt page's data for `sale`, from its recorded steps and (when given) the
    customer's status read after delivery. Pure; JSON-able. Shape in the module docstring."""
    plan, printable = sale.plan, sale.sale
    c = printable.get("customer", {})
    step_of = {s.n: s for s in sale.steps}
    receipt: dict = {
        "sale_key": sale.sale_key, "status": sale.status, "refund": plan.refund,
        "fetched_at": fetched_at.isoformat() if fetched_at else None,
        "customer": {"id": plan.customer_id,
                     "name": " ".join(p for p in (c.get("first_name"), c.get("last_name")) if p),
                     "astro_customer_id": None, "how": None},
        "lines": [], "cards": [], "line_cards": {}, "rewards_ready": [], "points": None,
        "removed": [],
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
                    "program_title": got.get("program_title")})
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
                    touched = receipt["line_cards"].setdefault(purchase.transaction_id, [])
                    if not touched or touched[-1]["card_id"] != card.card_id:
                        touched.append({
                            "card_id": card.card_id, "punches": len(card.purchases),
                            "required": card.purchase_required_count,
                            "complete": bool(card.purchase_required_count) and
                            len(card.purchases) >= card.purchase_required_count})
            if card.status == "active":
                receipt["cards"].append({
                    "program_id": card.program_id, "program_title": card.program_title,
                    "punches": len(card.purchases), "required": card.purchase_required_count,
                    "rewards_ready": len(ready)})
            receipt["rewards_ready"] += [{"program_title": card.program_title,
                                          "item_description": g.item_description,
                                          "free_qty": g.free_qty} for g in ready]
        points = receipt["points"] or {"dollar_amount": None, "state": None, "awarded": None}
        points.update(balance=status.points_balance, rewards=[
            {"title": r.title, "points_required": r.points_required}
            for r in status.eligible_point_rewards])
        receipt["points"] = points
    return receipt
