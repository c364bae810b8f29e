"""Replay tests run the real command against the sandbox Astro over HTTP, with a real
journal in tmp_path."""
import csv
import os
import shutil
import sys

import pytest
from click.testing import CliRunner

from bridge.cli import main

ENROLLED = {"012345678905", "072030001234", "WASH-SELF"}  # the sandbox seed's programs
LIGHTSPEED = ["Sale ID", "Date", "Customer ID", "First Name", "Last Name", "Email", "Phone",
              "UPC", "Description", "Qty", "Subtotal"]


def write_config(tmp_path, api_url) -> str:
    path = tmp_path / "bridge.toml"
    path.write_text(f"""
[journal]
path = "journal.db"

[stores.demo]
name = "Demo Pet Supply"
button_auth = "delegate"

[stores.demo.astro]
base_url = "{api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
""")
    return str(path)


@pytest.fixture
def config(sandbox, tmp_path):
    return write_config(tmp_path, sandbox.api_url)


@pytest.fixture
def replay(config):
    """Run `astro-bridge replay ARGS --store demo --config <tmp config>` in process."""
    def run(*args, store="demo"):
        runner = CliRunner()
        return runner.invoke(main, ["replay", *map(str, args), "--store", store,
                                    "--config", config], catch_exceptions=False)
    return run


def sales_rows(n_sales, customers=5, start_day=1):
    """Line-item rows (Lightspeed layout) of `n_sales` sales of `customers` customers;
    enrolled and not-enrolled item codes alternate."""
    codes = ["012345678905", "400000000015", "WASH-SELF", "072030001234", "850000000018"]
    rows = []
    for n in range(1, n_sales + 1):
        c = n % customers + 1
        day = f"2025-{(start_day + n // 28) % 12 + 1:02d}-{n % 28 + 1:02d}"
        for k in range(n % 3 + 1):
            code = codes[(n + k) % len(codes)]
            rows.append([f"S{n:04d}", day, f"C{c}", f"First{c}", f"Last{c}",
                         f"c{c}@example.com", f"555010{c:04d}", code, f"item {code}",
                         str(k % 2 + 1), "10.00"])
    return rows


def write_csv(path, rows, header=LIGHTSPEED):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def expected_punches(rows) -> int:
    return sum(int(r[9]) for r in rows if r[7] in ENROLLED)


def punches(state) -> int:
    return sum(card["punches"] for card in state["cards"])


def astro_bridge_command() -> list[str]:
    """The installed console script of this venv."""
    exe = os.path.join(os.path.dirname(sys.executable), "astro-bridge")
    return [exe] if os.path.exists(exe) else [shutil.which("astro-bridge")]
