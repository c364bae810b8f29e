"""An award that may or may not have been applied: Retry never sends it again; a person
answers "were awarded" / "were not awarded", in the admin pages and with `astro-bridge
failures decide`, each showing the customer's points history around the sale."""
import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.astro import AstroClient
from bridge.config import load_config
from bridge.delivery import deliver_sale
from bridge.journal import Journal
from tests.admin.conftest import NOT_ENROLLED_SALE, log_in, send_sale

CLI = str(Path(sys.executable).with_name("astro-bridge"))
ENV = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}
BIRD_SEED_PROGRAM = 104


def cli(*args):
    return subprocess.run([CLI, "failures", *map(str, args)], capture_output=True,
                          text=True, timeout=60, env=ENV)


def sally_points(sandbox):
    return [t["pointsQty"] for t in sandbox.state()["points_transactions"]
            if t["astro_customer_id"] == "1001"]


def settled():
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)


def undecided_award(journal, config, client, sandbox, query, fault):
    """Send `query` with `fault` on its award, let another channel award Sally 7 points
    meanwhile, and let the bridge check: it cannot tell, a person must. Returns the
    sale key and the points failure."""
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1, **fault}]})
    key = send_sale(journal, config, client, query).sale_key
    assert journal.get_sale(key).steps[-1].state == "uncertain"
    client.add_points_by_dollar("SALLY-1", Decimal(7))       # a register, Astro's site...
    deliver_sale(journal, client, key, now=settled)
    assert journal.get_sale(key).steps[-1].state == "undecided"
    [failure] = journal.failures(kind="points", sale_key=key)
    return key, failure


@pytest.fixture
def setup(config_file, sandbox):
    config = load_config(config_file)
    a = config.stores[0].astro
    with Journal(config.journal_path) as journal, \
            AstroClient(a.base_url, a.username, a.password.reveal(), a.client_id,
                        read_timeout=2, max_retries=0) as client:
        yield config, journal, client


def test_retry_of_the_sales_other_lines_never_sends_an_undecided_award(setup, config_file,
                                                                       sandbox):
    config, journal, client = setup
    key, points_failure = undecided_award(journal, config, client, sandbox,
                                          NOT_ENROLLED_SALE + "&SubTotal=30.00",
                                          {"fault": "drop"})
    [line] = journal.failures(kind="transaction", sale_key=key)
    sandbox.enrol(BIRD_SEED_PROGRAM)
    done = cli("retry", line.id, "--config", config_file)
    assert (done.returncode, done.stdout) == (0, f"#{line.id}: ok: delivered\n"), done.stderr
    assert f"{key}-2" in sandbox.state()["transactions"]
    assert sorted(sally_points(sandbox)) == [7, 30]            # not 30 twice
    done = cli("retry", points_failure.id, "--config", config_file)
    assert done.returncode == 1
    assert "a Retry never sends them" in done.stdout
    assert sorted(sally_points(sandbox)) == [7, 30]


def test_were_awarded_sends_nothing_and_closes_the_line(setup, config_file, sandbox):
    config, journal, client = setup
    key, failure = undecided_award(journal, config, client, sandbox,
                                   "CustomerID=SALLY-1&SaleID=77&SubTotal=30.00",
                                   {"fault": "drop"})
    listed = cli("list", "--config", config_file)
    assert listed.returncode == 0
    assert f"were the points of {key} (30.00 dollars" in listed.stdout
    assert "after  #" in listed.stdout and "Purchase $30.00  (not the bridge)" in listed.stdout
    assert "Purchase $7.00  (not the bridge)" in listed.stdout
    done = cli("decide", failure.id, "--awarded", "--config", config_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith(f"#{failure.id}: ok: marked as awarded; nothing is sent "
                                f"to Astro\n")
    assert "Purchase $30.00" in done.stdout                    # the history, once more
    assert sorted(sally_points(sandbox)) == [7, 30]
    sale = journal.get_sale(key)
    assert sale.status == "delivered" and sale.steps[-1].result["decided"]["awarded"]
    assert f"#{failure.id}" not in cli("list", "--config", config_file).stdout


def test_were_not_awarded_sends_the_points_once(setup, config_file, sandbox):
    config, journal, client = setup
    send_sale(journal, config, client, "CustomerID=SALLY-1&SaleID=1&SubTotal=10.00")
    key, failure = undecided_award(journal, config, client, sandbox,
                                   "CustomerID=SALLY-1&SaleID=2&SubTotal=20.00",
                                   {"fault": "status", "status": 500, "work": False})
    assert sally_points(sandbox) == [10, 7]
    done = cli("decide", failure.id, "--not-awarded", "--config", config_file)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith(f"#{failure.id}: ok: points sent once\n")
    assert sally_points(sandbox) == [10, 7, 20]
    assert journal.get_sale(key).status == "delivered"
    again = cli("decide", failure.id, "--not-awarded", "--config", config_file)
    assert again.returncode == 2 and "not a points line waiting for an answer" in again.stderr
    assert sally_points(sandbox) == [10, 7, 20]


def test_decide_needs_an_answer(setup, config_file, sandbox):
    config, journal, client = setup
    _key, failure = undecided_award(journal, config, client, sandbox,
                                    "CustomerID=SALLY-1&SaleID=5&SubTotal=30.00",
                                    {"fault": "drop"})
    done = cli("decide", failure.id, "--config", config_file)
    assert done.returncode == 2 and "say --awarded or --not-awarded" in done.stderr


def test_admin_page_shows_the_history_and_takes_the_answer(app, journal, config, client,
                                                           sandbox):
    key, failure = undecided_award(journal, config, client, sandbox,
                                   "CustomerID=SALLY-1&SaleID=9&SubTotal=30.00",
                                   {"fault": "drop"})
    log_in(app)
    page = app.get("/failures")
    row = page.html.find(id=f"failure-{failure.id}")
    assert row.find(id=f"awarded-{failure.id}") and row.find(id=f"not-awarded-{failure.id}")
    assert row.find(id=f"retry-{failure.id}") is None
    history = page.html.find(id=f"history-{failure.id}").get_text(" ")
    assert key in history and "Purchase $30.00" in history and "Purchase $7.00" in history
    assert "after the award was sent" in history
    form = page.forms["failures-form"]
    answer = form.submit("only", value=f"awarded:{failure.id}", status=303)
    assert "decided=1" in answer.headers["Location"]
    assert journal.get_sale(key).status == "delivered"
    assert sorted(sally_points(sandbox)) == [7, 30]
