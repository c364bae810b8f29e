"""Delivery: a recorded sale's steps sent to Astro exactly once, by the button request,
the retry worker and replay alike.

    deliver_sale(journal, client, sale_key, *, deadline=None, now=utcnow,
                 retry=RetryPolicy(), holder=None, rng=None, card_progress=True,
                 started=None) -> DeliveryOutcome              (bridge.delivery.machine)
    start_delivery(journal, sale_key, holder, *, client=None, deadline=None, now=utcnow,
                   sale=None) -> Started | None   # claim + write-ahead, in the caller's
                                    # transaction; sale: RecordResult.sale (no read back)
    new_holder() -> str                                        (bridge.delivery.machine)
    deliver_sales(journal, client, sale_keys, *, max_lines=100, now=utcnow,
                  retry=RetryPolicy(), holder=None, rng=None)
        -> [DeliveryOutcome]                                   (bridge.delivery.machine)
    retry_delay(attempt, retry, rng=None) -> seconds           (bridge.delivery.machine)
    receipt_data(sale, status, fetched_at=None) -> dict        (bridge.delivery.receipt)
    current_receipt(sale) -> dict; after_redemption(receipt, kind, reward_id, points)
    status_after(read, sale, award=None, removals=False)       (bridge.delivery.overlap)
    reconcile_points(...) -> Reconciliation                    (bridge.delivery.reconcile)
    Worker(journal, client_for, *, retry=..., concurrency=8, ...)        (.worker)
    learn_refused_items(journal, client_for, now, *, holder, days=30) -> LearnOutcome
                                                               (bridge.delivery.programs)

Modules: `machine` (one attempt: the lease, the rounds of calls, what each outcome
means), `points` (the points step), `reconcile` (was a lost award applied? pure),
`overlap` (what a read sent with the writes saw; pure), `receipt` (what the receipt
shows; pure), `programs` (which programs list the refused item codes; routine lines),
`worker` (the retry thread).

`deliver_sales` is the same for several recorded sales of one customer (replay sends a
customer's history this way): their transaction lines go out in merged
addTransactionBatch calls (each line with its own transactionID and date), and each
sale keeps its own steps, outcome, failures and receipt, as if delivered alone.

`deliver_sale` holds the sale (a lease the journal's heartbeat renews; a lease not
renewed for 15 s is free, so a killed process's sales are taken over quickly), sends
its open steps in rounds of calls that overlap on the wire (a cached customer's sale:
addTransactionBatch, addPointsByDollar and customerStatus together), records each
round's outcomes in one journal commit that also writes ahead what the next round needs
(the points step taken, uncertain, before the award is sent), and releases it with the
last one. The button request claims the sale and writes its first round ahead in the
transaction that records it (`start_delivery`, from the record `record_sale` gave
back: nothing is read back) and sends it from what that wrote (`Started`): a cached
customer's click makes two commits and reads no sale between them. With a `deadline`
no new round starts after it and each call is cut short by it; what is left stays
pending for the worker.

Outcomes per step:

- NotSent / RateLimited / AuthError: nothing happened; the sale is scheduled again after
  `retry_delay` (at least the server's Retry-After). The step stays pending.
- Ambiguous, or any other AstroError (an answer the client could not place), on the
  customer, transactions or remove step: the step stays pending and is re-sent later
  with the same ids (customer resolution is re-run from customerStatus; `TransactionID
  Already Exists` for an id of this sale counts as delivered).
- points (no idempotency key in Astro): see bridge.delivery.points. A customer's awards
  are sent one at a time in sale order, the step is uncertain before the call, an
  uncertain award is reconciled exactly once Astro has settled, and only an award the
  bridge did not make (another channel) leaves it for a person to decide. Points are
  never awarded twice, and no sale takes another sale's award as its own.
- Customer: the cache, customerStatus, then an account found by email or phone that no
  other POS customer is linked to (linkCustomer; 320 "already linked" is checked with
  customerStatus: linked to this customer -> done, else addCustomer), else addCustomer.
  Only links Astro confirmed are cached. CustomerNotFound on a later step (batch,
  points, removal) makes the bridge forget the cached link and resolve the customer
  again, once per attempt, before that step is sent again.
- BusinessError: the step fails, with a failure record (kind customer, transaction or
  points). When the customer cannot be resolved the later steps fail too (an uncertain
  award is never failed: a person decides it).
- addTransactionBatch line results: added, already (delivered before) or failed; a failed
  line (`No Item Found`...) is a `transaction` failure record and counts as a problem of
  the done step, which makes the sale `partial`, unless it is routine: `No Item Found`
  for an item no program lists (bridge.delivery.programs; told from what the journal
  knows, and settled again once Astro was asked). A sale whose only refused lines are
  routine is `delivered`.

The receipt data (`SaleRecord.receipt`, shape in bridge.delivery.receipt) is stored with
the results of the attempt's last round, from the customerStatus sent with the writes
(bridge.delivery.overlap tells what it saw; only when that cannot be told is it read
once more). Showing a receipt reads nothing from Astro.

May import: bridge.astro, config, journal, reasons, salelog, translate. Nothing of HTTP
pages (web, admin), replay or migrate.
"""
from bridge.delivery.machine import (DeliveryOutcome, Started, deliver_sale, deliver_sales,
                                     new_holder, retry_delay, start_delivery)
from bridge.delivery.overlap import status_after
from bridge.delivery.programs import LearnOutcome, learn_refused_items
from bridge.delivery.receipt import after_redemption, current_receipt, receipt_data
from bridge.delivery.reconcile import Reconciliation, reconcile_points
from bridge.delivery.worker import Worker

__all__ = ["DeliveryOutcome", "deliver_sale", "deliver_sales", "new_holder", "retry_delay",
           "start_delivery", "Started",
           "status_after", "receipt_data", "current_receipt", "after_redemption",
           "LearnOutcome", "learn_refused_items",
           "Reconciliation", "reconcile_points", "Worker"]
