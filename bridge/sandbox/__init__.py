"""A fake Astro Loyalty for the demo, the tests and benchmarks.

It speaks Astro's REST wire format under ``/api/json`` (``POST /api/json/token/`` and
every endpoint of ASTRO_API.md, each with its trailing slash; without it the answer is
404, as the real API needs the slash), models the business rules (Buy X Get Y cards,
enrolment, transaction ids used once per account, points, rewards, redemptions, offers),
answers the legacy query URL (``/legacy`` by default), and injects faults.

    from bridge.sandbox import create_app          # WSGI app factory (bottle)
    from bridge.sandbox.server import SandboxServer
    from bridge.sandbox.wire import Wire
    with SandboxServer(config_path=None, state_path=None, control=True,
                       wire=Wire(variants="public-variants", strict=True,
                                 remove_count_field="item_qty")) as sb:
        sb.api_url, sb.legacy_url, sb.set_faults({...}), sb.state(), sb.call_log(),
        sb.reset(),
        sb.enrol(104), sb.enrol(101, enrolled=False)

Seed: ``config/sandbox.toml`` (the packaged ``bridge/sandbox/default.toml`` is the same
file). Everything the API leaves undocumented is chosen in ``bridge.sandbox.wire``:
codes, HTTP statuses, token and rate-limit answers in ``UNDOCUMENTED``; the forms of
answers where public clients have seen more than one in ``SHAPES`` (the public
fixtures' forms by default, the others with ``variants="public-variants"``), each with
its public source in ``SOURCES``; the name of a partial removal's count in
``REMOVE_COUNT_FIELDS``. ``strict=True`` refuses a request field the sandbox does not
read (HTTP 400, ``Unknown Field: <name>``).

Modules, each importing only those below it: ``wire``, ``seed``, ``state_store``,
``tokens``, ``faults`` -> ``account`` -> ``endpoints`` -> ``runtime`` -> ``control``,
``legacy`` -> ``app`` -> ``server``.

Rules the API leaves open, as decided here
------------------------------------------
- Payload only in the form field ``jsonData`` (form-encoded); anything else, or
  ``jsonData`` that is not a JSON object: ``Incomplete Request``.
- transactionIDs are unique per account (all customers). A failed line (``No Item
  Found``...) does not use its id up; a removed transaction keeps its id used.
- A line with a negative ``item_qty`` is a return: it is recorded (``Transaction
  Added``) and takes that many of the newest punches of the item's program off the
  customer's cards (a card that falls below X loses its unredeemed free good; cards
  whose reward was redeemed are not touched). Quantity 0 or not whole: ``Invalid
  Quantity``.
- ``removeTransaction`` takes off the punches that transaction added (all, or as many
  as the count under the name the wire reads, ``quantity`` by default).
- ``addPointsByDollar``: points = dollars x points per dollar rounded toward zero
  (``12.99`` -> 12, ``-5.50`` -> -5); the balance may go negative. ``total_points`` is
  the points of this call; ``astroPointsBalance`` (an addition) is the new balance.
- ``customerStatus`` lists active and completed cards; with ``completed_cards=1`` also
  cards whose rewards were all redeemed.
- ``eligiblePurchaseItems`` lists only the codes found, each with every program that
  lists it, enrolled or not (``listOffers`` names the programs the store is enrolled
  in): with the two a client tells an item of a program the store is not enrolled in
  from one in no program at all. None found: ``No Item Found``.
- Tokens live in memory: a restart (even with a state file) invalidates them.

Fault JSON
----------
``POST /_sandbox/faults`` (control on) takes this object; every key is optional. The
same keys may stand in the seed's ``[faults]`` table. A POST merges: ``endpoints``
entries merge key by key, ``next`` rules are appended, ``seed`` and ``token_ttl``
replace. ``DELETE /_sandbox/faults`` removes all faults; ``POST /_sandbox/reset``
restores the seed state and the seed's faults. A bad document is answered 400
``{"error": "..."}`` and changes nothing.

    {
      "seed": 42,              # RNG seed for the random shares and latency ranges
      "token_ttl": 2,          # seconds; tokens issued from now on expire after it
      "endpoints": {           # random faults per endpoint; "*" = any endpoint,
        "*": {"latency": 0.05},#   an endpoint's own keys override those of "*"
        "addPointsByDollar": {
          "latency": [0.1, 0.5],      # fixed seconds, or [min, max] uniform
          "error_rate": 0.1,          # share of calls answered with error_status
          "error_status": [500, 503], # one status or a list to pick from
          "work_error_rate": 0.05,    # share of calls answered 500 AFTER the work
          "hang_rate": 0.05,          # share of calls that hang hang_seconds
          "hang_seconds": 30,         #   then answer
          "hang_work": true,          #   do the work before hanging (default true)
          "drop_rate": 0.05,          # share of calls whose answer is cut (work done)
          "rate_limit_rate": 0.1,     # share of calls answered 429
          "retry_after": 2            #   with this Retry-After (seconds)
        }
      },
      "next": [                # deterministic: the next `count` calls of `endpoint`
        {"endpoint": "addPointsByDollar", "count": 1, "fault": "status",
         "status": 500, "work": false},   # answer status; work=true: do it first
        {"endpoint": "customerStatus", "count": 1, "fault": "hang",
         "seconds": 1.5, "work": true},   # do the work, sleep, answer; work=false:
                                          #   sleep, then 503 without the work
        {"endpoint": "addTransactionBatch", "count": 1, "fault": "drop"},
                                          # do the work, then send half the body
                                          #   under a larger Content-Length and close
        {"endpoint": "token", "count": 2, "fault": "rate_limit", "retry_after": 1},
        {"endpoint": "customerStatus", "count": 1, "fault": "answer", "status": 404},
                                          # answer this body (default: an HTML 404
                                          #   page, as a wrong base_url would) with
                                          #   this status, without the work; a "body"
                                          #   not starting with "<" goes as JSON
        {"endpoint": "*", "count": 3, "fault": "latency", "seconds": 0.2}
      ]
    }

Endpoint names are the REST endpoint names plus ``token`` and ``legacy``. ``next``
rules are used before random shares, oldest first; a rule matching a call is used
up by it. Latency applies before any fault. ``work`` defaults to false for
``status``, true for ``hang`` and ``drop``.

Control routes: ``GET /_sandbox/`` (the account as a page, bridge.sandbox.page, with
``/_sandbox/page.css``), ``GET /_sandbox/calls`` (the call log, below),
``GET /_sandbox/state`` (JSON:
customers, cards with punches and free goods, transactions by id, points transactions,
redemptions, offer rewards, programs with their enrolment, ``calls`` and ``handled`` per
endpoint, ``write_calls``, tokens, faults), ``GET|POST|DELETE /_sandbox/faults``,
``POST /_sandbox/reset``, ``POST /_sandbox/expire-tokens``,
``POST /_sandbox/programs/<program id>``.

Enrolment at run time
---------------------
The seed says which programs the store is enrolled in (``enrolled`` of each
``[[programs]]``). ``POST /_sandbox/programs/<program id>`` with ``{"enrolled": true}``
enrols the store in that program of the seed now (``false`` ends the enrolment), the
way a store changes its Astro account while the bridge runs: its item codes are found
from the next call on (``addTransactionBatch``, ``eligiblePurchaseItems``,
``listOffers``, the legacy URL). The change is account state: it is kept in the state
file like any other and ``POST /_sandbox/reset`` undoes it. Answers
``{"astro_program_id": 104, "enrolled": true}``; a program the seed does not have is
404, a body without a boolean ``enrolled`` is 400, both ``{"error": "..."}``.

    curl -X POST -d '{"enrolled": true}' http://127.0.0.1:8765/_sandbox/programs/104

``GET /_sandbox/state`` (abridged)::

    {"account": "Demo Pet Supply",
     "customers": [{"astro_customer_id": "1001", "customerID": "SALLY-1",
                    "first_name": "Sally", ..., "points_balance": 12}],
     "cards": [{"astro_card_id": 1, "astro_customer_id": "1001", "customerID": "SALLY-1",
                "punches": 2, "astro_program_id": 101, "astro_card_status": "active",
                "cardPurchases": [...], "cardFreeGoods": [...], ...}],
     "transactions": {"S1-1": {"transactionID": "S1-1", "astro_transaction_id": 1,
                               "kind": "card", "customerID": "SALLY-1", "saleID": "S1",
                               "item_code": "012345678905", "item_qty": 2,
                               "item_amount": "39.99", "punched": 2, "deleted": false, ...}},
     "points_transactions": [{"astro_points_transaction_id": 1,
                              "astro_customer_id": "1001", "pointsQty": 12,
                              "totalPoints": 12, ...}],
     "redemptions": [{"kind": "card" | "points" | "offer", ...}], "offer_rewards": [...],
     "programs": [{"astro_program_id": 101, "astro_program_title": "...",
                   "enrolled": true}, ...],
     "calls": {"token": 1, "addTransactionBatch": 1}, "handled": {...}, "write_calls": 1,
     "tokens": {"issued": 1, "live": 1, "ttl": 1800}, "faults": {...}}

``GET /_sandbox/calls`` lists the latest 1000 calls, oldest first:
``{"calls": [{"endpoint": "customerStatus", "received": 5123.201, "answered": 5123.252}]}``
(seconds on the sandbox's monotonic clock: which calls overlapped).

``calls`` counts every request received per endpoint (faulted ones too); ``handled``
those whose work was done; ``write_calls`` the calls of endpoints that change the account.

May import: legacy_qs, bottle, waitress, requests;
nothing else of the bridge (it stands apart, as Astro does).
"""
from bridge.sandbox.app import create_app

__all__ = ["create_app"]
