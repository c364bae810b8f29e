#!/usr/bin/env python3
"""Throughput of whole bridges sharing one journal, against the sandbox Astro.

`astro-bridge serve` processes (their default request threads), 32 concurrent tills
(HTTP clients, each with a customer of its own), sandbox latency L on every call:
sales/s of one bridge on a SQLite file, then of one and two bridges on the PostgreSQL
journal (the tills spread over them, as a load balancer would), each as a ratio to the
first, measured in the same run.

    .venv/bin/python scripts/bench_fleet.py --journal postgresql://user@host/db
        [--latency 0.05] [--tills 32] [--till-sales 10]

On a machine shared with other work the figures are indicative: run it twice.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from bridge.config import DEMO_BUTTON_HASH
from bridge.sandbox.server import SandboxServer

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



CLI = str(Path(sys.executable).with_name("astro-bridge"))


def fleet_config(folder: Path, api_url: str, journal_line: str) -> Path:
    """A bridge.toml for the sandbox's demo store with the given [journal] line."""
    path = folder / f"bridge-{abs(hash(journal_line))}.toml"
    path.write_text(f"""
[journal]
{journal_line}
[stores.demo]
name = "Demo Pet Supply"
[stores.demo.astro]
base_url = "{api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
[[stores.demo.buttons]]
username = "demo"
password_hash = "{DEMO_BUTTON_HASH}"
""")
    return path


def start_bridges(config: Path, count: int, folder: Path) -> tuple[list, list[str]]:
    """`count` astro-bridge serve processes on free ports; (processes, base URLs)."""
    procs = [subprocess.Popen([CLI, "serve", "--config", str(config), "--port", "0"],
                              cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for _ in range(count)]
    urls = []
    for proc in procs:
        for line in proc.stdout:
            if line.startswith("astro-bridge listening on "):
                urls.append(line.split()[-1])
                break
        else:
            sys.exit("bench: a bridge did not start")
    return procs, urls


def stop_bridges(procs) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)


def tills_throughput(urls: list[str], tills: int, sales: int, run: str) -> float:
    """Sales/s of `tills` tills clicking `sales` sales each, till t on urls[t % n],
    each till with its own customer (made and cached by a first, unmeasured sale)."""
    def till(t: int, first: int, count: int, errors: list) -> None:
        http = requests.Session()
        base = urls[t % len(urls)]
        try:
            for i in range(first, first + count):
                click(http, base, button_query(f"{run}-{t}-{i}", f"TILL-{run}-{t}",
                                               f"till{t}.{run}@example.com"))
        except SystemExit as e:
            errors.append(str(e))
        finally:
            http.close()

    def all_tills(first: int, count: int) -> float:
        errors: list = []
        threads = [threading.Thread(target=till, args=(t, first, count, errors))
                   for t in range(tills)]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            sys.exit(errors[0])
        return time.perf_counter() - t0

    all_tills(0, 1)                     # every till's customer made, passwords checked
    return tills * sales / all_tills(1, sales)


def fleet_throughput(args) -> None:
    """One bridge on SQLite, one and two bridges on the PostgreSQL journal."""
    L = args.latency
    run = f"r{int(time.time())}"
    with tempfile.TemporaryDirectory() as tmp, \
            SandboxServer(control=True, threads=4 * args.tills) as sandbox:
        folder = Path(tmp)
        os.environ["BENCH_JOURNAL_URL"] = args.journal
        sqlite = fleet_config(folder, sandbox.api_url, 'path = "bench.db"')
        postgres = fleet_config(folder, sandbox.api_url, 'url_env = "BENCH_JOURNAL_URL"')
        sandbox.set_faults({"endpoints": {"*": {"latency": L}}})
        print(f"throughput, {args.tills} concurrent tills x {args.till_sales} sales, "
              f"sandbox latency L = {L * 1000:.0f} ms per call, whole bridges "
              f"(astro-bridge serve)")
        results = []
        for name, config, count in (("SQLite file, 1 bridge", sqlite, 1),
                                    ("PostgreSQL, 1 bridge", postgres, 1),
                                    ("PostgreSQL, 2 bridges", postgres, 2)):
            procs, urls = start_bridges(config, count, folder)
            try:
                rate = tills_throughput(urls, args.tills, args.till_sales,
                                        f"{run}-{len(results)}")
            finally:
                stop_bridges(procs)
            results.append(rate)
            print(f"   {name:24s} {rate:7.1f} sales/s   x{rate / results[0]:.2f}")
        print(f"   two bridges / one bridge on PostgreSQL: x{results[2] / results[1]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--journal", metavar="URL", required=True,
                    help="the PostgreSQL journal the bridges share (postgresql://...)")
    ap.add_argument("--latency", type=float, default=0.05, help="L, seconds per call")
    ap.add_argument("--tills", type=int, default=32, help="tills clicking at once")
    ap.add_argument("--till-sales", type=int, default=10, help="sales of each till")
    fleet_throughput(ap.parse_args())


if __name__ == "__main__":
    main()
