#!/usr/bin/env python3
"""Benchmark `astro-bridge replay` against the sandbox Astro.

1. Throughput: N generated sales (default 10,000) with a sandbox latency of L seconds
   on every call, replayed at concurrency 1 and 16 (a child `astro-bridge replay`
   process each, fresh journal, fresh sandbox account), against a naive loop that sends
   one sale at a time with AstroClient directly (customerStatus, addCustomer when
   unknown, addTransactionBatch; no journal, no resume, no report).
2. Memory: peak RSS (ru_maxrss of the child) of a dry-run replay of a generated CSV of
   M lines (default 1,000,000): staging and grouping go through SQLite, so it stays flat.

    .venv/bin/python scripts/bench_replay.py                 # the full run (minutes)
    .venv/bin/python scripts/bench_replay.py --sales 2000 --memory-lines 200000
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_sales  # noqa: E402  (the sibling script)

from bridge.astro import AstroClient, BusinessError, Purchase  # noqa: E402
from bridge.sandbox.server import SandboxServer  # noqa: E402

CONFIG = """
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


def command() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "astro-bridge")
    return [exe if os.path.exists(exe) else shutil.which("astro-bridge")]


def run_child(args: list[str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in KiB, stdout) of one `astro-bridge` child process."""
    started = time.monotonic()
    proc = subprocess.Popen(command() + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"astro-bridge {' '.join(args)} exited {proc.returncode}:\n{out}")
    return seconds, usage.ru_maxrss, out


def fresh(sb: SandboxServer, latency: float) -> None:
    sb.reset()
    sb.set_faults({"endpoints": {"*": {"latency": latency}}})


def replay_rate(sb, csv_path, sales, concurrency, latency, workdir) -> tuple[float, str]:
    fresh(sb, latency)
    folder = tempfile.mkdtemp(dir=workdir)
    config = os.path.join(folder, "bridge.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(api_url=sb.api_url))
    seconds, _, out = run_child(["replay", csv_path, "--store", "demo", "--config", config,
                                 "--concurrency", str(concurrency), "--no-progress"])
    sent = next((line for line in out.splitlines() if line.startswith("sent:")), "?")
    return sales / seconds, sent


def naive_sales(csv_path):
    """The file's sales, grouped in memory (the naive way), in file order."""
    sales = defaultdict(list)
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            sales[row["Sale ID"]].append(row)
    return sales


def naive_rate(sb, csv_path, latency) -> float:
    fresh(sb, latency)
    sales = naive_sales(csv_path)
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
    return len(sales) / seconds


def memory(lines: int, workdir: str, api_url: str) -> tuple[float, int, float]:
    """(seconds, peak RSS KiB, file MB) of a dry run over a `lines`-line CSV."""
    path = os.path.join(workdir, "big.csv")
    gen_sales.main(["--lines", str(lines), "--customers", "5000", "-o", path])
    config = os.path.join(workdir, "bridge-dry.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(api_url=api_url))
    seconds, rss, _ = run_child(["replay", path, "--store", "demo", "--config", config,
                                 "--dry-run", "--no-progress"])
    return seconds, rss, os.path.getsize(path) / 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sales", type=int, default=10_000, help="sales to replay (N)")
    ap.add_argument("--latency", type=float, default=0.005,
                    help="sandbox latency per call, seconds (L)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--memory-lines", type=int, default=1_000_000,
                    help="lines of the CSV for the memory run (0: skip it)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-replay-") as workdir, \
            SandboxServer(control=True, threads=24) as sb:
        csv_path = os.path.join(workdir, "sales.csv")
        gen_sales.main(["--sales", str(args.sales), "--customers", "500", "-o", csv_path])
        print(f"{args.sales} sales, sandbox latency {args.latency * 1000:.1f} ms per call, "
              f"{os.cpu_count()} CPUs", flush=True)
        naive = naive_rate(sb, csv_path, args.latency)
        results = [("naive loop (AstroClient, one sale at a time)", naive, "")]
        for c in args.concurrency:
            rate, sent = replay_rate(sb, csv_path, args.sales, c, args.latency, workdir)
            results.append((f"astro-bridge replay --concurrency {c}", rate, sent))
        print()
        print(f"{'run':<48} {'sales/s':>9} {'vs naive':>9}")
        for name, rate, note in results:
            print(f"{name:<48} {rate:>9.1f} {rate / naive:>8.2f}x  {note}")
        if args.memory_lines:
            seconds, rss, mb = memory(args.memory_lines, workdir, sb.api_url)
            print()
            print(f"dry run of a {args.memory_lines:,}-line CSV ({mb:.0f} MB): "
                  f"peak RSS {rss / 1024:.0f} MiB, {seconds:.1f} s "
                  f"({args.memory_lines / seconds:,.0f} lines/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
