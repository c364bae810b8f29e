#!/usr/bin/env python3
"""Chaos run: many sales through real `astro-bridge serve` processes that get SIGKILLed,
against a sandbox Astro (its own process) that fails a share of every call; then a check
of Astro's side (the sandbox's state) against what was clicked.

    .venv/bin/python scripts/chaos.py [--sales 600] [--kills 6] [--customers 60]
        [--unavailable 0.30] [--dropped 0.10] [--server-errors 0.10]
        [--token-ttl 5] [--tills 8] [--seed 1] [--drain-limit 180]

What it does:

1. Starts `astro-bridge sandbox --control` and sets its faults for every endpoint
   (token included): `--unavailable` of the calls answered 503 (nothing done),
   `--server-errors` answered 500 (half of them after doing the work), `--dropped`
   answers cut off after the work; tokens expire every `--token-ttl` seconds.
2. Starts `astro-bridge serve --config` (its worker inside) on a fixed port, and clicks
   `--sales` button URLs (each its own SaleID, 1-3 card items, a SubTotal) from
   `--tills` threads, over `--customers` customers (new ones: they are created on the
   way). A click without an answer (the bridge was killed, or not back yet) is clicked
   again, as a cashier would: the SaleID makes it the same sale.
3. SIGKILLs the bridge `--kills` times while the clicks go on, restarting it each time.
4. After the last click, waits (at most `--drain-limit` s) until the journal has no
   pending sale, then compares the sandbox with the clicks and prints:
   lost sales (a line or the points missing in Astro), duplicated transactions,
   double points (more awards than sales), misattributed points (a sale's recorded
   award is not a transaction of its amount, or is shared), pending sales, sales asking
   a person (undecided points), and the drain time after the last click.

Exit status 0 when every count is 0 and the drain took at most 60 s; 1 otherwise. It
stops by itself: each phase is bounded; every process it started is stopped at the
end (by its pid).
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests

from bridge.journal import Journal
from bridge.passwords import hash_password

CLI = str(Path(sys.executable).with_name("astro-bridge"))
ITEMS = ("012345678905", "072030001234", "WASH-SELF")
DRAIN_GOAL = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_line(proc: subprocess.Popen, prefix: str) -> str:
    """The rest of the first output line of `proc` starting with `prefix`; the rest of
    its output is read (and dropped) in the background so the process never blocks."""
    for line in proc.stdout:
        if line.startswith(prefix):
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return line[len(prefix):].strip()
    sys.exit(f"chaos: no line {prefix!r} from {' '.join(proc.args)}")


class Bridge:
    """`astro-bridge serve` on a fixed port, killed and restarted on demand."""

    def __init__(self, config: Path, port: int, folder: Path):
        self.config, self.port, self.folder = config, port, folder
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.env = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}

    def start(self) -> None:
        self.starts += 1
        # The child writes to its own copy of the log's descriptor; ours is closed.
        with open(self.folder / f"serve-{self.starts}.log", "w") as log:
            self.proc = subprocess.Popen(
                [CLI, "serve", "--config", str(self.config), "--port", str(self.port)],
                cwd=self.folder, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True)
        wait_line(self.proc, "astro-bridge listening on ")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fault_spec(args) -> dict:
    """Every endpoint: `unavailable` 503s, `server_errors` 500s (half after the work),
    `dropped` answers cut off after the work. The sandbox checks 503/500 first, then the
    500s after the work, then drops: each share is made conditional on the ones before."""
    plain_500 = args.server_errors / 2
    error_rate = args.unavailable + plain_500
    statuses = [503] * round(100 * args.unavailable) + [500] * round(100 * plain_500)
    rest = 1 - error_rate
    work_500 = (args.server_errors / 2) / rest
    drop = args.dropped / (rest * (1 - work_500))
    return {"seed": args.seed, "token_ttl": args.token_ttl,
            "endpoints": {"*": {"error_rate": error_rate, "error_status": statuses,
                                "work_error_rate": work_500, "drop_rate": drop}}}


def write_config(folder: Path, api_url: str) -> Path:
    path = folder / "bridge.toml"
    path.write_text(f"""
[server]
request_deadline_seconds = 3
[journal]
path = "journal.db"
[delivery]
retry_backoff_base_seconds = 0.25
retry_backoff_max_seconds = 2
[stores.demo]
name = "Chaos Pet Supply"
[stores.demo.astro]
base_url = "{api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
[[stores.demo.buttons]]
username = "demo"
password_hash = "{hash_password('demo-button', n=2**10)}"
""")
    return path


def make_sales(args) -> list[dict]:
    rng = random.Random(args.seed)
    sales = []
    for n in range(args.sales):
        customer = rng.randrange(args.customers)
        items = rng.sample(ITEMS, rng.randint(1, 3))
        subtotal = Decimal(rng.randint(100, 9999)) / 100
        pairs = [("apiusername", "demo"), ("apipassword", "demo-button"),
                 ("CustomerID", f"CHAOS-{customer}"), ("FirstName", "Chaos"),
                 ("LastName", f"Customer {customer}"),
                 ("Email", f"chaos{customer}@example.com"), ("SaleID", f"C{n}")]
        for i, item in enumerate(items, 1):
            pairs += [(f"UPC{i}", item), (f"Qty{i}", str(rng.randint(1, 3)))]
        pairs.append(("SubTotal", str(subtotal)))
        sales.append({"key": f"demo-C{n}", "customer": f"CHAOS-{customer}",
                      "lines": [f"demo-C{n}-{i}" for i in range(1, len(items) + 1)],
                      "points": int(subtotal.to_integral_value(ROUND_DOWN)),
                      "query": urlencode(pairs)})
    return sales


class Clicks:
    """The tills clicking every sale until the bridge answers it (303 or a page)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = 0.0          # time.monotonic() of the last answer
        self.made = 0            # clicks made (a click again after no answer counts)
        self.answered = 0        # sales answered


def click_all(sales, base: str, tills: int, stop_at: float, progress: Clicks) -> None:
    todo = list(reversed(sales))
    lock = progress.lock

    def till():
        http = requests.Session()
        while time.monotonic() < stop_at:
            with lock:
                if not todo:
                    return
                sale = todo.pop()
            while time.monotonic() < stop_at:
                with lock:
                    progress.made += 1
                try:
                    r = http.get(f"{base}/?{sale['query']}", allow_redirects=False,
                                 timeout=15)
                    if r.status_code in (200, 303):
                        break
                except requests.RequestException:
                    pass                      # killed or restarting: click again
                time.sleep(0.2)
            with lock:
                progress.last = max(progress.last, time.monotonic())
                progress.answered += 1

    threads = [threading.Thread(target=till, daemon=True) for _ in range(tills)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, stop_at - time.monotonic()))


def check(sales, state: dict, journal: Journal) -> dict:
    """The counts the run reports (see the module docstring)."""
    astro_of = {c["customerID"]: c["astro_customer_id"] for c in state["customers"]}
    transactions = state["transactions"]
    expected_lines = {line for s in sales for line in s["lines"]}
    points_by_id = {str(t["astro_points_transaction_id"]): t
                    for t in state["points_transactions"]}
    counts: Counter = Counter()
    used = Counter()
    for s in sales:
        record = journal.get_sale(s["key"])
        if record is None:
            counts["lost"] += 1
            continue
        if record.status == "pending":
            counts["pending"] += 1
        steps = {st.kind: st for st in record.steps}
        if any(st.state == "undecided" for st in record.steps):
            counts["asking a person"] += 1
        missing_line = any(line not in transactions for line in s["lines"])
        award = steps.get("points")
        tx_id = str((award.result or {}).get("points_transaction_id")) \
            if award is not None and award.state == "done" else None
        if missing_line or tx_id is None:
            counts["lost"] += 1
        if tx_id is not None:
            used[tx_id] += 1
            tx = points_by_id.get(tx_id)
            if (tx is None or tx["pointsQty"] != s["points"]
                    or tx["astro_customer_id"] != astro_of.get(s["customer"])):
                counts["misattributed points"] += 1
    counts["misattributed points"] += sum(n - 1 for n in used.values() if n > 1)
    counts["duplicated transactions"] = sum(1 for t in transactions
                                            if t not in expected_lines)
    awards = Counter(t["astro_customer_id"] for t in state["points_transactions"])
    sold = Counter(astro_of.get(s["customer"]) for s in sales)
    counts["double points"] = sum(max(0, n - sold[c]) for c, n in awards.items())
    per_customer = defaultdict(int)
    for t in state["points_transactions"]:
        per_customer[t["astro_customer_id"]] += t["pointsQty"]
    owed = defaultdict(int)
    for s in sales:
        owed[astro_of.get(s["customer"])] += s["points"]
    counts["customers with a wrong balance"] = sum(
        1 for c in set(owed) | set(per_customer) if owed[c] != per_customer[c])
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=600)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--unavailable", type=float, default=0.30)
    parser.add_argument("--dropped", type=float, default=0.10)
    parser.add_argument("--server-errors", type=float, default=0.10)
    parser.add_argument("--token-ttl", type=float, default=5)
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain-limit", type=float, default=180)
    parser.add_argument("--click-limit", type=float, default=900,
                        help="seconds the clicking may take at most")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="astro-bridge-chaos-"))
    env = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}
    with open(folder / "sandbox.log", "w") as log:
        sandbox = subprocess.Popen([CLI, "sandbox", "--control", "--port", "0"], cwd=folder,
                                   env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    bridge = None
    try:
        api_url = wait_line(sandbox, "Astro sandbox: ")
        control = api_url.rsplit("/api/json", 1)[0] + "/_sandbox"
        bridge = Bridge(write_config(folder, api_url), free_port(), folder)
        bridge.start()
        requests.post(control + "/faults", data=json.dumps(fault_spec(args)),
                      timeout=10).raise_for_status()
        sales = make_sales(args)
        print(f"chaos: {args.sales} sales, {args.customers} customers, {args.tills} tills, "
              f"{args.kills} SIGKILLs; every call: {args.unavailable:.0%} 503, "
              f"{args.server_errors:.0%} 500 (half after the work), {args.dropped:.0%} "
              f"dropped answers; tokens expire every {args.token_ttl:g} s "
              f"(files in {folder})", flush=True)

        started = time.monotonic()
        stop_at = started + args.click_limit
        progress = Clicks()
        clicker = threading.Thread(target=click_all, daemon=True, args=(
            sales, f"http://127.0.0.1:{bridge.port}", args.tills, stop_at, progress))
        clicker.start()
        for n in range(args.kills):
            # Spread the kills evenly over the clicking.
            due = (n + 1) * args.sales // (args.kills + 1)
            while progress.answered < due and clicker.is_alive():
                time.sleep(0.05)
            if not clicker.is_alive():
                break
            bridge.kill()
            print(f"chaos: SIGKILL {n + 1} at {time.monotonic() - started:.1f} s "
                  f"({progress.answered} sales answered)", flush=True)
            bridge.start()
        clicker.join(max(0.0, stop_at - time.monotonic()))
        last_click = progress.last or time.monotonic()
        print(f"chaos: last click answered at {last_click - started:.1f} s "
              f"({progress.made} clicks for {progress.answered} of {args.sales} sales)",
              flush=True)

        journal = Journal(folder / "journal.db")
        drain_deadline = last_click + args.drain_limit
        while time.monotonic() < drain_deadline:
            if not journal.sales(status="pending", limit=1):
                break
            time.sleep(0.5)
        drained = time.monotonic() - last_click
        requests.delete(control + "/faults", timeout=10)
        state = requests.get(control + "/state", timeout=30).json()
        counts = check(sales, state, journal)
        journal.close()
    finally:
        if bridge is not None:
            bridge.stop()
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.wait(30)
        except subprocess.TimeoutExpired:
            sandbox.kill()
    shown = ("lost", "duplicated transactions", "double points", "misattributed points",
             "customers with a wrong balance", "pending", "asking a person")
    for name in shown:
        print(f"{name + ':':33}{counts[name]}")
    print(f"{'drain after the last click:':33}{drained:.1f} s"
          + ("" if counts["pending"] == 0 else " (not drained)"))
    calls = state["calls"]
    print(f"{'Astro calls:':33}{sum(calls.values())} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))})")
    ok = all(counts[name] == 0 for name in shown) and drained <= DRAIN_GOAL
    print("chaos: OK" if ok else "chaos: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
