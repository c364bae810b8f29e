#!/usr/bin/env python3
"""Benchmark `astro-bridge replay` against the sandbox Astro, every figure against a
baseline measured in the same run.

1. Calls and throughput, sandbox latency L on every call (default 50 ms, as a remote
   Astro): N generated sales (default 5,000 over 500 customers, 10 sales each) replayed
   at each --concurrency (a child `astro-bridge replay` each, fresh journal, fresh
   sandbox account), against the naive loop: one sale at a time with AstroClient
   directly (customerStatus, addCustomer when unknown, addTransactionBatch; no journal).
   The naive loop's rate does not depend on N: it is measured on the first
   --naive-sales sales. Calls per sale are read off the sandbox's own counters: for
   customers new to Astro, for customers linked in the journal (a second year of
   theirs), and for customers Astro has but the journal does not (a fresh journal).
2. Staging: a dry run of a generated CSV of M lines (default 1,000,000): lines/s and
   peak RSS (ru_maxrss of the child); lines per CPU second too, since the machine may
   be shared.
3. A cashier's click while a replay runs: a real `astro-bridge serve` on the same
   journal; clicks of a known customer followed to the receipt, p50/p99, idle and then
   during a replay of a big file (staging, then delivery at --concurrency 16).

On a machine shared with others the figures are indicative: the ratios are what to
read, and the CPU-second rates.

    .venv/bin/python scripts/bench_replay.py              # the full run (about 10 min)
    .venv/bin/python scripts/bench_replay.py --quick      # a smaller run (about 2 min)
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from urllib.parse import urlencode

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_sales  # the sibling script

from bridge.astro import AstroClient, BusinessError, Purchase
from bridge.sandbox.server import SandboxServer

CONFIG = """
[server]
port = {port}
[journal]
path = "journal.db"
[stores.demo]
button_auth = "delegate"
[stores.demo.astro]
base_url = "{api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
"""


def command(path: str | None) -> list[str]:
    if path:
        return [path]
    exe = os.path.join(os.path.dirname(sys.executable), "astro-bridge")
    return [exe if os.path.exists(exe) else shutil.which("astro-bridge")]


def run_child(cli: list[str], args: list[str]) -> tuple[float, int, float, str]:
    """(seconds, peak RSS in KiB, CPU seconds, stdout) of one `astro-bridge` child."""
    started = time.monotonic()
    proc = subprocess.Popen(cli + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"astro-bridge {' '.join(args)} exited {proc.returncode}:\n{out}"
                         f"{proc.stderr.read()}")
    return seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, out


def fresh(sb: SandboxServer, latency: float) -> None:
    sb.reset()
    sb.set_faults({"endpoints": {"*": {"latency": latency}}})


def folder_with_config(workdir: str, api_url: str, port: int = 8080) -> str:
    folder = tempfile.mkdtemp(dir=workdir)
    config = os.path.join(folder, "bridge.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(api_url=api_url, port=port))
    return config


def sent_count(out: str) -> int:
    line = next((ln for ln in out.splitlines() if ln.startswith("sent:")), "sent: 0")
    return int(line.split()[1])


def replay_rate(sb, cli, csv_path, sales, concurrency, latency, workdir):
    """(sales/s, sales sent, calls by endpoint) of one replay run."""
    fresh(sb, latency)
    config = folder_with_config(workdir, sb.api_url)
    seconds, _, _, out = run_child(cli, ["replay", csv_path, "--store", "demo", "--config",
                                         config, "--concurrency", str(concurrency),
                                         "--no-progress"])
    return sales / seconds, sent_count(out), dict(sb.state()["calls"])


def naive_sales(csv_path, limit):
    """About `limit` of the file's sales, grouped in memory (the naive way), in file
    order: every sale of as many customers as it takes, so the sample has as many sales
    a customer as the file (a sample of the first sales would be mostly first sales of
    customers, each with an addCustomer: slower than the whole file)."""
    customers = defaultdict(set)
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            customers[row["Customer ID"]].add(row["Sale ID"])
    chosen, count = set(), 0
    for customer, sale_ids in customers.items():
        if count >= limit:
            break
        chosen.add(customer)
        count += len(sale_ids)
    sales = defaultdict(list)
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["Customer ID"] in chosen:
                sales[row["Sale ID"]].append(row)
    return sales


def naive_rate(sb, csv_path, latency, limit) -> tuple[float, float]:
    """(sales/s, calls a sale) of the naive loop."""
    fresh(sb, latency)
    sales = naive_sales(csv_path, limit)
    client = AstroClient(sb.api_url, "demo", "demo-password", "demo-client")
    started = time.monotonic()
    for sale_id, rows in sales.items():
        first = rows[0]
        cid = first["Customer ID"]
        try:
            client.customer_status(cid)
        except BusinessError:
            client.add_customer(cid, first["First Name"], first["Last Name"],
                                email=first["Email"], phone=first["Phone"])
        day = gen_sales.dt.date.fromisoformat(first["Date"])
        client.add_transaction_batch(cid, [
            Purchase(f"demo-{sale_id}-{n}", r["UPC"], int(r["Qty"]), day)
            for n, r in enumerate(rows, 1)], sale_id=f"demo-{sale_id}")
    seconds = time.monotonic() - started
    client.close()
    return len(sales) / seconds, sum(sb.state()["calls"].values()) / len(sales)


def known_customers_calls(sb, cli, workdir, sales, customers, latency) -> tuple[float, float]:
    """Calls a sale of a replay of customers Astro knows: a year of their sales, then
    another year of the same customers' sales (1) into the same journal, where they are
    linked and cached, and (2) into a fresh journal, as a store coming from the legacy
    integration finds them: in Astro, under their POS ids, but new to the bridge."""
    fresh(sb, latency)
    config = folder_with_config(workdir, sb.api_url)
    per_sale = []
    for year, journal in ((2024, config), (2025, config),
                          (2023, folder_with_config(workdir, sb.api_url))):
        path = os.path.join(workdir, f"year-{year}.csv")
        gen_sales.main(["--sales", str(sales), "--customers", str(customers), "--year",
                        str(year), "-o", path])
        before = sum(sb.state()["calls"].values())
        run_child(cli, ["replay", path, "--store", "demo", "--config", journal,
                        "--concurrency", "16", "--no-progress"])
        per_sale.append((sum(sb.state()["calls"].values()) - before) / sales)
        os.remove(path)
    return per_sale[1], per_sale[2]


def staging(cli, lines: int, workdir: str, api_url: str) -> tuple[float, int, float, float]:
    """(seconds, peak RSS KiB, CPU seconds, file MB) of a dry run over a `lines` CSV."""
    path = os.path.join(workdir, "big.csv")
    gen_sales.main(["--lines", str(lines), "--customers", "5000", "-o", path])
    config = folder_with_config(workdir, api_url)
    seconds, rss, cpu, _ = run_child(cli, ["replay", path, "--store", "demo", "--config",
                                           config, "--dry-run", "--no-progress"])
    size = os.path.getsize(path) / 1e6
    os.remove(path)
    return seconds, rss, cpu, size


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def click(http: requests.Session, base: str, n: int) -> float:
    """One click of a known customer (Sally) followed to its receipt; seconds."""
    query = urlencode([("apiusername", "demo"), ("apipassword", "demo-password"),
                       ("CustomerID", "SALLY-1"), ("SaleID", f"CLICK-{n}"),
                       ("UPC1", "012345678905"), ("Qty1", "1"), ("SubTotal", "45.99")])
    started = time.perf_counter()
    answer = http.get(f"{base}/?{query}", timeout=60)
    seconds = time.perf_counter() - started
    if answer.status_code != 200 or "/receipt/" not in answer.url:
        raise SystemExit(f"bench: a click did not end on a receipt ({answer.status_code})")
    return seconds


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered), p99


def clicks_during_replay(sb, cli, workdir, latency, sales, customers, idle_clicks,
                         seconds) -> tuple[tuple, tuple, int, int]:
    """((p50, p99) idle, (p50, p99) during the replay, clicks during, sales the replay
    sent meanwhile)."""
    fresh(sb, latency)
    port = free_port()
    config = folder_with_config(workdir, sb.api_url, port)
    path = os.path.join(workdir, "clicks.csv")
    gen_sales.main(["--sales", str(sales), "--customers", str(customers), "--seed", "7",
                    "-o", path])
    serve = subprocess.Popen(cli + ["serve", "--config", config], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    try:
        for _ in range(300):
            try:
                http.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        click(http, base, 0)                              # Sally linked and cached
        idle = [click(http, base, n) for n in range(1, idle_clicks + 1)]
        replay = subprocess.Popen(cli + ["replay", path, "--store", "demo", "--config", config,
                                         "--concurrency", "16", "--no-progress"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL, text=True)
        busy, n, until = [], idle_clicks + 1, time.monotonic() + seconds
        while replay.poll() is None and time.monotonic() < until:
            busy.append(click(http, base, n))
            n += 1
            time.sleep(0.1)
        if replay.poll() is None:
            replay.send_signal(signal.SIGINT)
        out, _ = replay.communicate(timeout=120)
        return percentiles(idle), percentiles(busy), len(busy), sent_count(out)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(20)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        os.remove(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="1,000 sales over 100 customers, 200,000 lines, 20 s of clicks")
    ap.add_argument("--sales", type=int, help="sales to replay (N, default 5,000)")
    ap.add_argument("--customers", type=int, help="customers of those sales (default N/10)")
    ap.add_argument("--latency", type=float, default=0.05,
                    help="sandbox latency per call, seconds (L)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 32])
    ap.add_argument("--naive-sales", type=int, help="sales of the naive loop (default 300)")
    ap.add_argument("--memory-lines", type=int,
                    help="lines of the dry run's CSV (default 1,000,000; 0: skip it)")
    ap.add_argument("--click-sales", type=int,
                    help="sales of the replay the clicks run against (default 100,000)")
    ap.add_argument("--click-seconds", type=float,
                    help="seconds of clicks during that replay (default 60; 0: skip)")
    ap.add_argument("--astro-bridge", metavar="PATH",
                    help="the astro-bridge command to measure (default: this venv's)")
    args = ap.parse_args(argv)
    quick = args.quick
    sales = args.sales or (1000 if quick else 5000)
    customers = args.customers or max(1, sales // 10)
    naive_n = min(sales, args.naive_sales or (100 if quick else 300))
    memory_lines = args.memory_lines if args.memory_lines is not None else (
        200_000 if quick else 1_000_000)
    click_sales = args.click_sales or (10_000 if quick else 100_000)
    click_seconds = args.click_seconds if args.click_seconds is not None else (
        20 if quick else 60)
    cli = command(args.astro_bridge)

    with tempfile.TemporaryDirectory(prefix="bench-replay-") as workdir, \
            SandboxServer(control=True, threads=64) as sb:
        csv_path = os.path.join(workdir, "sales.csv")
        gen_sales.main(["--sales", str(sales), "--customers", str(customers), "-o", csv_path])
        print(f"{sales} sales over {customers} customers, sandbox latency "
              f"{args.latency * 1000:.0f} ms per call, {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.1f} (a shared machine: figures are indicative)",
              flush=True)
        naive, naive_calls = naive_rate(sb, csv_path, args.latency, naive_n)
        rows = [(f"naive loop (AstroClient, one sale at a time; {naive_n} sales)", naive,
                 naive_calls, "")]
        calls_by_endpoint = {}
        for c in args.concurrency:
            rate, sent, calls = replay_rate(sb, cli, csv_path, sales, c, args.latency, workdir)
            rows.append((f"astro-bridge replay --concurrency {c}", rate,
                         sum(calls.values()) / sales, f"sent {sent}"))
            calls_by_endpoint = calls
            print(f"  ... concurrency {c}: {rate:.1f} sales/s", flush=True)
        known, in_astro = known_customers_calls(sb, cli, workdir, sales, customers,
                                                args.latency)
        print()
        print(f"{'run':<58} {'sales/s':>8} {'vs naive':>9} {'calls/sale':>11}")
        for name, rate, per_sale, note in rows:
            print(f"{name:<58} {rate:>8.1f} {rate / naive:>8.2f}x {per_sale:>11.2f}  {note}")
        print("calls a sale by endpoint (last run): " + ", ".join(
            f"{k} {v / sales:.3f}" for k, v in sorted(calls_by_endpoint.items())))
        print(f"calls a sale when the customers are known (another year of theirs, "
              f"replayed after a first one): {known:.2f}")
        print(f"calls a sale when Astro knows the customers but this journal does not (a "
              f"store coming from the legacy integration): {in_astro:.2f}")

        if memory_lines:
            seconds, rss, cpu, mb = staging(cli, memory_lines, workdir, sb.api_url)
            print()
            print(f"dry run of a {memory_lines:,}-line CSV ({mb:.0f} MB): "
                  f"{memory_lines / seconds:,.0f} lines/s ({seconds:.1f} s), "
                  f"{memory_lines / cpu:,.0f} lines per CPU second, "
                  f"peak RSS {rss / 1024:.0f} MiB", flush=True)

        if click_seconds:
            idle, busy, count, sent = clicks_during_replay(
                sb, cli, workdir, args.latency, click_sales, max(1, click_sales // 10), 30,
                click_seconds)
            print()
            print(f"a cashier's click (known customer, click to receipt, a real serve on "
                  f"the replay's journal), L = {args.latency * 1000:.0f} ms:")
            print(f"  idle:                      p50 {idle[0] * 1000:6.0f} ms   "
                  f"p99 {idle[1] * 1000:6.0f} ms   (30 clicks)")
            print(f"  during a {click_sales:,}-sale replay: p50 {busy[0] * 1000:6.0f} ms   "
                  f"p99 {busy[1] * 1000:6.0f} ms   ({count} clicks; the replay staged its "
                  f"file and sent {sent} sales meanwhile)")
            print(f"  ratio during / idle:       p50 {busy[0] / idle[0]:.2f}x   "
                  f"p99 {busy[1] / idle[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
