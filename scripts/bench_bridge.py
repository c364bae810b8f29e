#!/usr/bin/env python3
"""What the bridge costs a sale, measured against the sandbox in one run.

1. Overhead, sandbox at zero latency: N button clicks through the real bridge (waitress,
   journal on disk, 303 to the receipt, receipt fetched) against the same REST calls made
   directly with AstroClient. The calls to replay are read off the sandbox's own call
   counters during the bridge run, so both sides make the same calls. Prints ms per
   sale for each and the ratio.
2. The cashier's wait, sandbox latency L on every call: click to receipt for a known
   customer (Sally, linked and cached) and for a new customer (search, then addCustomer),
   in units of L, with the calls each one made.

    .venv/bin/python scripts/bench_bridge.py [--sales 200] [--latency 0.05]
"""
import argparse
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests

from bridge.astro import AstroClient
from bridge.config import demo_config
from bridge.journal import Journal
from bridge.sandbox.server import SandboxServer
from bridge.app import create_app
from bridge.astro import StoreClients
from bridge.web.serving import BridgeServer

ITEMS = (("012345678905", "Adult Kibble 30 lb"), ("072030001234", "Puppy Kibble 15 lb"))


def button_query(sale_id: str, customer: str, email: str) -> str:
    pairs = [("apiusername", "demo"), ("apipassword", "demo-button"),
             ("CustomerID", customer), ("FirstName", "Bench"), ("LastName", "Customer"),
             ("Email", email), ("SaleID", sale_id)]
    for n, (upc, desc) in enumerate(ITEMS, 1):
        pairs += [(f"UPC{n}", upc), (f"Description{n}", desc), (f"Qty{n}", "1")]
    pairs.append(("SubTotal", "74.98"))
    return urlencode(pairs)


def click(http: requests.Session, base: str, query: str) -> float:
    """One button click followed to its receipt; seconds from click to receipt."""
    t0 = time.perf_counter()
    r = http.get(f"{base}/?{query}", timeout=30)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200 or "/receipt/" not in r.url:
        sys.exit(f"bench: the click did not end on a receipt ({r.status_code} {r.url})")
    return elapsed


def call_counts(sandbox: SandboxServer) -> dict:
    return dict(sandbox.state()["calls"])


def delta(after: dict, before: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if after.get(k, 0) != before.get(k, 0)}


def direct_sale(client: AstroClient, customer: str, n: int, calls_per_sale: dict) -> None:
    """The REST calls the bridge made for one sale, made straight with AstroClient."""
    for _ in range(calls_per_sale.get("customerStatus", 0)):
        client.customer_status(customer)
    if calls_per_sale.get("addTransactionBatch"):
        client.add_transaction_batch(customer, [
            {"transactionID": f"direct-{n}-{i}", "item_code": upc, "item_qty": 1,
             "item_transaction_date": "2026-11-22"}
            for i, (upc, _) in enumerate(ITEMS, 1)], sale_id=f"direct-{n}")
    for _ in range(calls_per_sale.get("customerPointsStatus", 0)):
        client.customer_points_status(customer)
    if calls_per_sale.get("addPointsByDollar"):
        client.add_points_by_dollar(customer, Decimal("74.98"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sales", type=int, default=200, help="sales per measurement")
    ap.add_argument("--latency", type=float, default=0.05, help="L, seconds per call")
    ap.add_argument("--waits", type=int, default=10, help="clicks per cashier-wait case")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SandboxServer(control=True) as sandbox:
        config = demo_config(sandbox.api_url, str(Path(tmp) / "bench.db"))
        journal = Journal(config.journal_path)
        clients = StoreClients(config)
        server = BridgeServer(create_app(config, journal, clients), "127.0.0.1", 0).start()
        http = requests.Session()
        try:
            # Warm up: token, Sally known to the bridge, connections open.
            click(http, server.url, button_query("warm-1", "SALLY-1", "sally@example.com"))

            # 1. Overhead at zero latency. The sandbox is reset before each side so both
            # start from the same account (Sally's card history makes customerStatus
            # slower as it grows).
            sandbox.reset()
            click(http, server.url, button_query("warm-2", "SALLY-1", "sally@example.com"))
            before = call_counts(sandbox)
            t0 = time.perf_counter()
            for i in range(args.sales):
                click(http, server.url, button_query(f"ovh-{i}", "SALLY-1", "sally@example.com"))
            bridge_s = (time.perf_counter() - t0) / args.sales
            made = delta(call_counts(sandbox), before)
            per_sale = {k: round(v / args.sales) for k, v in made.items()}

            sandbox.reset()
            direct = AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client")
            direct.customer_status("SALLY-1")          # token + connection, like the warm-up
            t0 = time.perf_counter()
            for i in range(args.sales):
                direct_sale(direct, "SALLY-1", i, per_sale)
            direct_s = (time.perf_counter() - t0) / args.sales
            direct.close()

            print(f"1. per-sale cost, sandbox at zero latency, {args.sales} sales")
            print(f"   REST calls per sale (from the sandbox's counters): {per_sale}")
            print(f"   bridge (click -> 303 -> receipt): {bridge_s * 1000:8.2f} ms/sale")
            print(f"   same calls with AstroClient:      {direct_s * 1000:8.2f} ms/sale")
            print(f"   ratio bridge/direct: {bridge_s / direct_s:.2f}   "
                  f"overhead: {(bridge_s - direct_s) * 1000:.2f} ms/sale")

            # 2. The cashier's wait with latency L per call.
            L = args.latency
            print(f"2. cashier's wait, click to receipt, sandbox latency L = {L * 1000:.0f} ms "
                  f"per call, {args.waits} clicks each")
            cases = (
                ("known customer (Sally)", lambda i: ("SALLY-1", "sally@example.com")),
                ("new customer", lambda i: (f"NEW-{i}", f"new{i}@example.com")),
            )
            for name, who in cases:
                sandbox.reset()
                click(http, server.url, button_query(f"warm-{name[:3]}", "SALLY-1",
                                                     "sally@example.com"))
                sandbox.set_faults({"endpoints": {"*": {"latency": L}}})
                waits = []
                before = call_counts(sandbox)
                for i in range(args.waits):
                    customer, email = who(i)
                    waits.append(click(http, server.url,
                                       button_query(f"wait-{name[:3]}-{i}", customer, email)))
                made = delta(call_counts(sandbox), before)
                calls = sum(made.values()) / args.waits
                med = statistics.median(waits)
                print(f"   {name:24s} median {med * 1000:7.1f} ms = {med / L:5.2f} L   "
                      f"({calls:.1f} calls/sale: "
                      + ", ".join(f"{k} {v / args.waits:g}" for k, v in sorted(made.items()))
                      + ")")
        finally:
            http.close()
            server.stop(drain=5)
            app_clients_close = getattr(clients, "close", None)
            if app_clients_close:
                app_clients_close()
            journal.close()


if __name__ == "__main__":
    main()
