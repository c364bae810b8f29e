"""Two `astro-bridge serve` processes and one `astro-bridge worker` on one PostgreSQL
journal, over real HTTP, as a load balancer would spread a store's tills over them:
identical clicks on both are one sale, a redemption submitted to both redeems once, and
the sales of a bridge killed in the middle of a delivery are finished by the others.
Astro's side (the sandbox's state) is what is checked."""
import os
import signal
import sys
import threading

import pytest
import requests
from bs4 import BeautifulSoup

from bridge.journal import Journal
from bridge.passwords import hash_password
from bridge.sandbox.server import SandboxServer
from tests.clock import wait_until
from tests.conftest import TEST_HASH_N
from tests.processes import CommandProcess
from tests.web.conftest import SALLY

CLI = [sys.executable, "-c", "from bridge.cli import main; main()"]
URL_ENV = "ASTRO_BRIDGE_TEST_JOURNAL_URL"


class Fleet:
    """The sandbox, the journal's URL and the three processes."""

    def __init__(self, postgres, folder):
        self.sandbox = SandboxServer(control=True).start()
        self.journal_url = postgres.new_url()
        self.config = folder / "bridge.toml"
        self.config.write_text(f"""
[journal]
url_env = "{URL_ENV}"
[delivery]
retry_backoff_base_seconds = 0.2
retry_backoff_max_seconds = 1
[stores.demo]
name = "Demo Pet Supply"
[stores.demo.astro]
base_url = "{self.sandbox.api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
[[stores.demo.buttons]]
username = "demo"
password_hash = "{hash_password('demo-button', n=TEST_HASH_N)}"
""")
        env = {**os.environ, URL_ENV: self.journal_url}
        env.pop("ASTRO_BRIDGE_CONFIG", None)
        config = ["--config", str(self.config)]
        # Started together: the first to lock the schema migrates it, the others wait.
        self.bridges = [CommandProcess(CLI + ["serve", "--port", "0", *config], cwd=folder,
                                       env=env) for _ in range(2)]
        self.worker = CommandProcess(CLI + ["worker", *config], cwd=folder, env=env)
        self.urls = [b.wait_line("astro-bridge listening on ", timeout=60)
                     for b in self.bridges]
        self.worker.wait_line("astro-bridge worker running on ", timeout=60)

    def journal(self) -> Journal:
        return Journal(self.journal_url)

    def close(self):
        for proc in (*self.bridges, self.worker):
            proc.close()
        self.sandbox.stop()


@pytest.fixture(scope="module")
def fleet(postgres, tmp_path_factory):
    fleet = Fleet(postgres, tmp_path_factory.mktemp("fleet"))
    yield fleet
    fleet.close()


def at_once(calls):
    """Run the callables in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def click(url, params):
    return requests.get(url + "/", params=params, allow_redirects=False, timeout=30)


def test_identical_clicks_on_both_bridges_are_one_sale(fleet):
    sale = {**SALLY, "CustomerID": "SALLY-1", "Qty1": "3"}      # no SaleID: a double click
    answers = at_once([lambda u=url: click(u, sale)
                       for url in (fleet.urls * 3)[:5]])        # 3 clicks on one, 2 on the other
    assert [a.status_code for a in answers] == [303] * 5
    keys = {a.headers["Location"].split("/receipt/")[1].split("?")[0] for a in answers}
    assert len(keys) == 1, keys
    [key] = keys
    with fleet.journal() as journal:
        wait_until(lambda: journal.get_sale(key).status == "delivered", "the sale", 30)
        assert [s.sale_key for s in journal.sales() if s.sale["lines"][0]["qty"] == 3] == [key]
    state = fleet.sandbox.state()
    assert sorted(t for t in state["transactions"] if t.startswith(key)) == [
        f"{key}-1", f"{key}-2"]
    assert state["handled"]["addTransactionBatch"] == 1


def test_a_redemption_submitted_to_both_bridges_redeems_once(fleet):
    twelve = {**SALLY, "SaleID": "R-12", "UPC1": "012345678905", "Qty1": "12",
              "SubTotal": "539.88"}
    for key in ("UPC2", "Description2", "Qty2"):
        twelve.pop(key)
    receipt = requests.get(fleet.urls[0] + "/", params=twelve, timeout=30)
    assert "12/12, complete" in receipt.text
    # When the round's read was answered before the batch, Astro confirms the free bag in
    # the background and the page reloads itself until its Redeem button is there.
    form = wait_until(lambda: _redeem_form(requests.get(receipt.url, timeout=30).text),
                      "the receipt's Redeem button")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    answers = at_once([lambda u=url: requests.post(u + form["action"], data=fields,
                                                   timeout=30) for url in fleet.urls])
    headings = sorted(BeautifulSoup(a.text, "html.parser").find(id="redeem-heading").text
                      for a in answers)
    # The other submit finds it being redeemed (NOT redeemed) or, when it comes in after
    # the first has finished, already redeemed: never a second redemption.
    assert headings in (["NOT redeemed", "Redeemed"], ["Redeemed", "Redeemed"]), \
        [a.text for a in answers]
    if headings == ["Redeemed", "Redeemed"]:
        assert sum("It was not redeemed a second time" in a.text for a in answers) == 1
    redeemed = [r for r in fleet.sandbox.state()["redemptions"] if not r.get("removed")]
    assert len(redeemed) == 1


def test_the_sales_of_a_killed_bridge_are_finished_by_the_others(fleet):
    # The batch is slow once: the first bridge is in the middle of it (holding the
    # sale) when it is killed. Astro does the work; the answer never reaches anyone.
    fleet.sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                        "fault": "latency", "seconds": 2}]})
    before = fleet.sandbox.state()["calls"].get("addTransactionBatch", 0)
    threading.Thread(target=lambda: _quietly(click, fleet.urls[0],
                                             {**SALLY, "SaleID": "K-1", "SubTotal": "47.11"}),
                     daemon=True).start()
    wait_until(lambda: fleet.sandbox.state()["calls"].get("addTransactionBatch", 0) > before,
               "the first bridge's batch call")
    fleet.bridges[0].stop(signal.SIGKILL)
    with fleet.journal() as journal:
        # Its lease runs out 15 s after the last renewal; the bound is 30 s.
        wait_until(lambda: journal.get_sale("demo-K-1").status == "delivered",
                   "the other bridge or the worker to finish the killed bridge's sale", 30)
    state = fleet.sandbox.state()
    assert sorted(t for t in state["transactions"] if t.startswith("demo-K-1")) == [
        "demo-K-1-1", "demo-K-1-2"]
    awards = [p for p in state["points_transactions"] if "47.11" in p["pointsDescription"]]
    assert len(awards) == 1, awards


def _redeem_form(page: str):
    return next((f for f in BeautifulSoup(page, "html.parser").find_all("form")
                 if f["action"].endswith("/redeem")), None)


def _quietly(call, *args):
    try:
        call(*args)
    except requests.RequestException:
        pass            # the bridge was killed under this click
