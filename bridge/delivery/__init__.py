"""Delivery: a recorded sale's steps sent to Astro exactly once, by the button request,
the retry worker and replay alike.

    deliver_sale(journal, client, sale_key, *, deadline=None, now=utcnow,
                 retry=RetryPolicy(), holder=None, rng=None, card_progress=True)
        -> DeliveryOutcome                                     (bridge.delivery.machine)
    deliver_sales(journal, client, sale_keys, *, max_lines=100, now=utcnow,
                  retry=RetryPolicy(), holder=None, rng=None)
        -> [DeliveryOutcome]                                   (bridge.delivery.machine)
    retry_delay(attempt, retry, rng=None) -> seconds           (bridge.delivery.machine)
    receipt_data(sale, status, fetched_at=None) -> dict        (bridge.delivery.receipt)
    reconcile_points(...) -> Reconciliation                    (bridge.delivery.reconcile)
    Worker(journal, client_for, *, retry=..., concurrency=8, ...)        (.worker)

`deliver_sales` is the same attempt for several recorded sales of one customer (replay
sends a customer's history this way): their transaction lines go out in merged
addTransactionBatch calls (each line with its own transactionID and date), and each
sale keeps its own steps, outcome, failures and receipt, as if delivered alone.

Modules: `machine` (one attempt: the lease, the steps in plan order, what each outcome
means; merged batches), `points` (the points step), `reconcile` (was a lost award applied? pure),
`receipt` (what the receipt shows), `worker` (the retry thread).

`deliver_sale` holds the sale (a lease the journal's heartbeat renews; a lease not
renewed for 15 s is free, so a killed process's sales are taken over quickly), runs its
open steps in plan order, records each outcome, and releases it. With a `deadline` no
new call starts after it and each call is cut short by it; what is left stays pending
for the worker.

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
  the done step, which makes the sale `partial`.

When a sale has nothing left to do, customerStatus is read once and the receipt data is
stored with the sale (`SaleRecord.receipt`, shape in bridge.delivery.receipt).

May import: bridge.astro, config, journal, reasons, salelog, translate. Nothing of HTTP
pages (web, admin), replay or migrate.
"""
from bridge.delivery.machine import DeliveryOutcome, deliver_sale, deliver_sales, retry_delay
from bridge.delivery.receipt import receipt_data
from bridge.delivery.reconcile import Reconciliation, reconcile_points
from bridge.delivery.worker import Worker

__all__ = ["DeliveryOutcome", "deliver_sale", "deliver_sales", "retry_delay", "receipt_data",
           "Reconciliation", "reconcile_points", "Worker"]
