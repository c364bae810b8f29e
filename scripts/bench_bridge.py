#!/usr/bin/env python3
"""What the bridge costs a cashier and a store, against the sandbox Astro, in one run.

The sandbox Astro runs in a process of its own (`astro-bridge sandbox --control`), as
the real Astro is a remote API; `--in-process` serves it from this process instead (the
set-up of the earlier figures: everything shares one interpreter). The bridge (waitress,
a journal on disk with synchronous=FULL, no retry worker) and the tills (HTTP clients)
run in this process. Every figure is a ratio to a baseline measured in the same run.
A till is a POS browser: a keep-alive HTTP/1.1 client (http.client) that follows the
303 to the receipt, as a browser does. A browser's own work is native and not the
bridge's: requests in its place added 2-5 ms of its own to each click, in this process.

1. Our own cost, sandbox at zero latency: N clicks of a known customer through the real
   bridge (click -> 303 -> receipt), against the same REST calls made directly with
   AstroClient one after the other (the calls read off the sandbox's counters during the
   bridge run, so both sides make the same calls): ms per sale, the ratio, and the
   journal commits per click.
2. The cashier's wait with latency L on every Astro call, click to receipt: median and
   p90 of M clicks, in L, one till clicking after the other (each click once the
   background read its receipt may have asked for is in: a till's next sale comes
   seconds later), for a known customer (2 lines), a known customer with 20 lines
   (2 in a program, 18 in none, as a pet store's sale goes), and a new customer (lookup,
   then addCustomer); with the calls per sale of each kind of customer, and how many of
   the known customer's rounds overlapped on the wire (the sandbox's call log).
3. Tills in parallel at L: 1, 8 and 32 tills clicking at the same time, each for a known
   customer of its own: clicks per second, p50 and p99 of the wait in L.

    .venv/bin/python scripts/bench_bridge.py [--sales 200] [--latency 0.05] [--clicks 30]
        [--tills 1,8,32] [--per-till 10] [--in-process]

On a machine shared with other work the figures are indicative: run it twice.
"""
import argparse
import http.client
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from bridge.app import create_app
from bridge.astro import AstroClient, StoreClients
from bridge.config import demo_config
from bridge.journal import Journal
from bridge.web.serving import BridgeServer, tune_gc

KIBBLE = (("012345678905", "Adult Kibble 30 lb"), ("072030001234", "Puppy Kibble 15 lb"))
# A big basket: the two bags and 18 things in no program (toys, leashes, treats).
BASKET = KIBBLE + tuple((f"4000000{n:05d}", f"Toy {n}") for n in range(18))


class RemoteSandbox:
    """The control routes of a sandbox Astro over HTTP (as SandboxServer offers them)."""

    def __init__(self, base_url: str):
        self.base_url, self.api_url = base_url, base_url + "/api/json"
        self.http = requests.Session()

    def _do(self, method: str, path: str, json=None):
        answer = self.http.request(method, f"{self.base_url}/_sandbox{path}", json=json,
                                   timeout=30)
        answer.raise_for_status()
        return answer.json()

    def set_faults(self, faults):
        return self._do("POST", "/faults", faults)

    def clear_faults(self):
        return self._do("DELETE", "/faults")

    def reset(self):
        self._do("POST", "/reset")

    def state(self):
        return self._do("GET", "/state")

    def call_log(self):
        return self._do("GET", "/calls")["calls"]

    def stop(self):
        self.http.close()


class SandboxProcess(RemoteSandbox):
    """`astro-bridge sandbox --control` on a free port, in a process of its own."""

    def __init__(self):
        cli = Path(sys.executable).with_name("astro-bridge")
        self.proc = subprocess.Popen([str(cli), "sandbox", "--control", "--port", "0"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("Astro sandbox: "):
            self.proc.kill()
            sys.exit(f"bench: the sandbox did not start ({line!r})")
        super().__init__(line.split(": ", 1)[1].strip().removesuffix("/api/json"))

    def stop(self):
        super().stop()
        self.proc.terminate()
        self.proc.wait(10)


class SandboxInProcess(RemoteSandbox):
    def __init__(self):
        from bridge.sandbox.server import SandboxServer
        self.server = SandboxServer(control=True).start()
        super().__init__(self.server.base_url)

    def stop(self):
        super().stop()
        self.server.stop()


def button_query(sale_id: str, customer: str, items=KIBBLE) -> str:
    pairs = [("apiusername", "demo"), ("apipassword", "demo-button"),
             ("CustomerID", customer), ("FirstName", "Bench"), ("LastName", "Customer"),
             ("Email", f"{customer.lower()}@example.com"), ("SaleID", sale_id)]
    for n, (upc, desc) in enumerate(items, 1):
        pairs += [(f"UPC{n}", upc), (f"Description{n}", desc), (f"Qty{n}", "1")]
    pairs.append(("SubTotal", f"{37.49 * len(items):.2f}"))
    return urlencode(pairs)


class Till:
    """A POS browser at a till: one keep-alive connection to the bridge, opened again
    when the bridge closed it."""

    def __init__(self, base: str):
        where = urlsplit(base)
        self.host, self.port, self.conn = where.hostname, where.port, None

    def get(self, path: str) -> tuple[int, str | None, str]:
        """(status, Location, body) of a GET of `path`."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("GET", path)
                answer = self.conn.getresponse()
                body = answer.read().decode("utf-8", "replace")
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
                continue
            if answer.will_close:
                self.close()
            return answer.status, answer.getheader("Location"), body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def click(till: Till, query: str) -> float:
    """One button click followed to its receipt; seconds from click to receipt."""
    t0 = time.perf_counter()
    status, location, _ = till.get(f"/?{query}")
    if status != 303 or not location or "/receipt/" not in location:
        sys.exit(f"bench: the click was not sent to a receipt ({status} {location})")
    status, _, page = till.get(location)
    elapsed = time.perf_counter() - t0
    if status != 200:
        sys.exit(f"bench: the receipt did not open ({status} {location})")
    if "Saved. It is being sent" in page:
        sys.exit("bench: a click ended on a pending receipt: the bridge could not deliver "
                 "within its deadline (a loaded machine?)")
    return elapsed


def settle(timeout: float = 10.0) -> None:
    """Wait (at most `timeout` s) until the receipts' background reads are in: a read
    still on its way would be counted in the next case, or cut by the sandbox's reset."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up and any(
            t.name == "astro-bridge-refresh" for t in threading.enumerate()):
        time.sleep(0.005)


def delta(after: dict, before: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if after.get(k, 0) != before.get(k, 0)}


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def direct_sales(client: AstroClient, customer: str, n: int, totals: dict) -> None:
    """The REST calls the bridge made for `n` sales (`totals` per endpoint), made
    straight with AstroClient, one after the other, sale by sale."""
    for i in range(n):
        per_sale = {k: v // n + (1 if i < v % n else 0) for k, v in totals.items()}
        for _ in range(per_sale.get("addTransactionBatch", 0)):
            client.add_transaction_batch(customer, [
                {"transactionID": f"direct-{i}-{j}", "item_code": upc, "item_qty": 1,
                 "item_transaction_date": "2026-11-22"}
                for j, (upc, _) in enumerate(KIBBLE, 1)], sale_id=f"direct-{i}")
        for _ in range(per_sale.get("addPointsByDollar", 0)):
            client.add_points_by_dollar(customer, Decimal("74.98"))
        for _ in range(per_sale.get("customerStatus", 0)):
            client.customer_status(customer)
        for _ in range(per_sale.get("customerPointsStatus", 0)):
            client.customer_points_status(customer)


def overlapped_rounds(log: list[dict]) -> tuple[int, int]:
    """(rounds whose batch, award and read overlapped on the wire, rounds): for each
    batch, the award and the customerStatus that came in nearest to it; overlapped when
    all three had come in before any was answered."""
    rounds, overlapped = 0, 0
    for batch in (c for c in log if c["endpoint"] == "addTransactionBatch"):
        trio = [batch]
        for endpoint in ("addPointsByDollar", "customerStatus"):
            near = [c for c in log if c["endpoint"] == endpoint]
            if near:
                trio.append(min(near, key=lambda c: abs(c["received"] - batch["received"])))
        if len(trio) < 3:
            continue
        rounds += 1
        if max(c["received"] for c in trio) < min(c["answered"] for c in trio):
            overlapped += 1
    return overlapped, rounds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sales", type=int, default=200, help="sales of the zero-latency run")
    ap.add_argument("--latency", type=float, default=0.05, help="L, seconds per call")
    ap.add_argument("--clicks", type=int, default=30, help="clicks per cashier-wait case")
    ap.add_argument("--tills", default="1,8,32", help="tills clicking at once")
    ap.add_argument("--per-till", type=int, default=10, help="clicks of each till")
    ap.add_argument("--in-process", action="store_true",
                    help="serve the sandbox from this process (one interpreter for all)")
    args = ap.parse_args()
    L = args.latency

    sandbox = SandboxInProcess() if args.in_process else SandboxProcess()
    tmp = tempfile.TemporaryDirectory()
    config = demo_config(sandbox.api_url, str(Path(tmp.name) / "bench.db"))
    journal = Journal(config.journal_location)
    clients = StoreClients(config)
    app = create_app(config, journal, clients)
    server = BridgeServer(app, "127.0.0.1", 0, threads=config.threads)
    tune_gc()                                  # as `astro-bridge serve` does
    server.start()
    till = Till(server.url)
    # The bridge warns when requests queue for its threads: expected with 32 tills.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    where = "in this process" if args.in_process else "in its own process"
    print(f"astro-bridge bench: sandbox {where}, "
          f"journal {config.journal_path} (synchronous=FULL), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    try:
        # 1. Our own cost at zero latency. The sandbox is reset before each side so both
        # start from the same account (Sally's card history makes customerStatus slower
        # as it grows).
        sandbox.reset()
        click(till, button_query("warm-1", "SALLY-1"))
        click(till, button_query("warm-2", "SALLY-1"))
        settle()
        before, commits = sandbox.state()["calls"], journal.commits
        t0 = time.perf_counter()
        for i in range(args.sales):
            click(till, button_query(f"ovh-{i}", "SALLY-1"))
        bridge_s = (time.perf_counter() - t0) / args.sales
        settle()
        made = delta(sandbox.state()["calls"], before)
        per_click_commits = (journal.commits - commits) / args.sales

        sandbox.reset()
        direct = AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client")
        direct.customer_status("SALLY-1")          # token + connection, like the warm-up
        direct.add_points_by_dollar("SALLY-1", Decimal("74.98"))
        t0 = time.perf_counter()
        direct_sales(direct, "SALLY-1", args.sales, made)
        direct_s = (time.perf_counter() - t0) / args.sales
        direct.close()

        print(f"1. our own cost, sandbox at zero latency, {args.sales} sales of a known customer")
        print("   REST calls per sale (sandbox's counters): "
              + ", ".join(f"{k} {v / args.sales:g}" for k, v in sorted(made.items())))
        print(f"   bridge (click -> 303 -> receipt): {bridge_s * 1000:8.2f} ms/sale, "
              f"{per_click_commits:.2f} journal commits per click")
        print(f"   same calls with AstroClient:      {direct_s * 1000:8.2f} ms/sale")
        print(f"   ratio bridge/direct: {bridge_s / direct_s:.2f}   "
              f"difference: {(bridge_s - direct_s) * 1000:+.2f} ms/sale")

        # 2. The cashier's wait with latency L per call.
        print(f"2. cashier's wait, click to receipt, sandbox latency L = {L * 1000:.0f} ms "
              f"per call, {args.clicks} clicks each")
        cases = (
            ("known customer, 2 lines", lambda i: ("SALLY-1", KIBBLE)),
            ("known customer, 20 lines", lambda i: ("SALLY-1", BASKET)),
            ("new customer, 2 lines", lambda i: (f"NEW-{i}", KIBBLE)),
        )
        for n, (name, who) in enumerate(cases):
            settle()
            sandbox.reset()
            click(till, button_query(f"case-warm-{n}", "SALLY-1"))
            settle()
            sandbox.set_faults({"endpoints": {"*": {"latency": L}}})
            waits = []
            before, log_from = sandbox.state()["calls"], len(sandbox.call_log())
            for i in range(args.clicks):
                customer, items = who(i)
                waits.append(click(till, button_query(f"wait-{n}-{i}", customer, items)))
                settle()
            made = delta(sandbox.state()["calls"], before)
            calls = sum(made.values()) / args.clicks
            med, p90 = statistics.median(waits), percentile(waits, 90)
            print(f"   {name:26s} median {med / L:5.2f} L  p90 {p90 / L:5.2f} L  "
                  f"({med * 1000:6.1f} / {p90 * 1000:6.1f} ms)")
            print(f"   {'':26s} {calls:.2f} calls/sale: "
                  + ", ".join(f"{k} {v / args.clicks:g}" for k, v in sorted(made.items())))
            if n == 0:
                overlapped, rounds = overlapped_rounds(sandbox.call_log()[log_from:])
                print(f"   {'':26s} rounds overlapping on the wire (sandbox call log): "
                      f"{overlapped} of {rounds}")

        # 3. Tills in parallel.
        print(f"3. tills clicking at the same time, L = {L * 1000:.0f} ms, "
              f"{args.per_till} clicks per till, a known customer per till")
        tills = [int(t) for t in args.tills.split(",")]
        settle()
        sandbox.reset()
        for t in range(max(tills)):           # each till's customer: new once, then known
            click(till, button_query(f"till-warm-{t}", f"TILL-{t}"))
        sandbox.set_faults({"endpoints": {"*": {"latency": L}}})
        for count in tills:
            waits: list[float] = []
            lock = threading.Lock()
            go = threading.Barrier(count + 1)

            def run_till(t: int, count=count, go=go, lock=lock, waits=waits) -> None:
                own = Till(server.url)
                go.wait()
                for i in range(args.per_till):
                    w = click(own, button_query(f"till-{count}-{t}-{i}", f"TILL-{t}"))
                    with lock:
                        waits.append(w)
                own.close()

            threads = [threading.Thread(target=run_till, args=(t,)) for t in range(count)]
            for th in threads:
                th.start()
            go.wait()
            t0 = time.perf_counter()
            for th in threads:
                th.join()
            took = time.perf_counter() - t0
            print(f"   {count:3d} till(s): {len(waits) / took:6.1f} clicks/s   "
                  f"p50 {statistics.median(waits) / L:5.2f} L   "
                  f"p99 {percentile(waits, 99) / L:5.2f} L")
    finally:
        settle()
        till.close()
        server.stop(drain=5)
        app.config["bridge.web"].close()
        clients.close()
        journal.close()
        sandbox.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
