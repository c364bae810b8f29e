"""Retry and Hide of failure report lines, shared by the admin pages and the CLI.

Hide keeps the line in the journal and takes it out of the report. Retry:

- a Transaction Failure (or a customer / points failure) re-delivers its sale with
  `bridge.deliver.deliver_sale`: the failed steps become pending again and are sent
  with the same ids as before, so nothing already delivered is counted twice. The line
  leaves the report; if the sale fails again, the new failure is a new line.
- a Redemption Failure redeems the same reward again through `bridge.redeem` (same
  journal key), if the reward is still ready.

Each line gives an ActionResult; several lines of one sale are delivered once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge import deliver
from bridge import redeem as redemption
from bridge.astro import AstroError
from bridge.translate import TRANSACTIONS


@dataclass(frozen=True)
class ActionResult:
    """What happened to one report line."""

    failure_id: int
    ok: bool
    message: str


def hide(journal, ids) -> list[ActionResult]:
    """Hide each line (kept in the journal, out of the report)."""
    return [ActionResult(i, True, "hidden") if journal.hide_failure(i)
            else ActionResult(i, False, "no such failure") for i in ids]


def retry(journal, config, client_for, ids, *, now: dt.datetime | None = None
          ) -> list[ActionResult]:
    """Retry each line (see the module docstring); `client_for(store_id)` gives the
    store's AstroClient."""
    now = now or dt.datetime.now(dt.timezone.utc)
    wanted = set(ids)
    by_id = {f.id: f for f in journal.failures(include_hidden=True) if f.id in wanted}
    retried = journal.retried_failure_ids()
    results: list[ActionResult] = []
    delivered: dict[str, ActionResult] = {}
    for i in ids:
        failure = by_id.get(i)
        if failure is None:
            results.append(ActionResult(i, False, "no such failure"))
        elif i in retried:
            results.append(ActionResult(i, False, "already retried"))
        elif failure.kind == "redemption":
            results.append(_retry_redemption(journal, client_for, failure, now))
        elif not failure.sale_key:
            results.append(ActionResult(i, False, "no sale to retry"))
        else:
            if failure.sale_key not in delivered:
                delivered[failure.sale_key] = _retry_sale(journal, config, client_for,
                                                          failure, now)
            r = delivered[failure.sale_key]
            results.append(ActionResult(i, r.ok, r.message))
    return results


def _retry_sale(journal, config, client_for, failure, now) -> ActionResult:
    sale = journal.get_sale(failure.sale_key)
    if sale is None:
        return ActionResult(failure.id, False, "the sale is not in the journal")
    before = {f.id for f in journal.failures(sale_key=sale.sale_key, include_hidden=True)}
    # Every line of this sale leaves the report: the retry re-sends all of them.
    for f in journal.failures(sale_key=sale.sale_key):
        journal.mark_failure_retried(f.id, now)
    # Failed steps become pending (retry_sale); so does a transactions step that was done
    # with refused lines, so the whole batch is sent again with the same transactionIDs
    # (lines added before answer "TransactionID Already Exists" = already delivered).
    for step in sale.steps:
        if step.kind == TRANSACTIONS and step.state == "done" and step.problems:
            journal.mark_step_pending(sale.sale_key, step.n)
    journal.retry_sale(sale.sale_key, now)
    outcome = deliver.deliver_sale(journal, client_for(sale.store_id), sale.sale_key)
    new = [f for f in journal.failures(sale_key=sale.sale_key) if f.id not in before]
    if new:
        return ActionResult(failure.id, False, new[0].message)
    if not outcome.finished:
        why = outcome.error or "another delivery is running"
        return ActionResult(failure.id, False, f"not delivered yet ({why}); the bridge "
                                               f"keeps retrying")
    return ActionResult(failure.id, True, "delivered")


def _retry_redemption(journal, client_for, failure, now) -> ActionResult:
    attempt = journal.redemption_by_failure(failure.id)
    if attempt is None:
        return ActionResult(failure.id, False, "no redemption attempt for this line")
    client = client_for(attempt.store_id)
    try:
        status = client.customer_status(attempt.customer_id)
    except AstroError as exc:
        return ActionResult(failure.id, False, f"Astro: {exc}")
    reward = redemption.find_reward(status, attempt.kind, attempt.reward_id)
    if reward is None:
        return ActionResult(failure.id, False, "the reward is no longer ready (redeemed "
                                               "elsewhere, or not enough points)")
    if attempt.state == "uncertain":
        # A person looked in Astro and chose to retry (the guidance says to check first).
        journal.reopen_uncertain_redemption(attempt.key, now)
    outcome = redemption.redeem(client, journal, store=attempt.store_id,
                                customer_id=attempt.customer_id, reward=reward,
                                sale_key=attempt.sale_key, known_email=status.email, now=now)
    if outcome.redeemed:
        journal.mark_failure_retried(failure.id, now)
    return ActionResult(failure.id, outcome.redeemed, outcome.message)
