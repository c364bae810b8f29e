"""The retry worker over real HTTP and a real journal: one sale's trouble never stops
the others (bridge.delivery.worker)."""
import logging
from dataclasses import replace

from bridge.astro import StoreClients
from bridge.delivery import Worker
from bridge.sandbox.server import SandboxServer
from tests.conftest import demo_config_for_tests
from tests.delivery.conftest import FAST, KIBBLE, record


def test_a_store_whose_astro_answers_garbage_does_not_stop_the_others(sandbox, journal,
                                                                       tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with SandboxServer(control=True) as wrong, SandboxServer(control=True) as odd:
        # One store's base_url answers a web page (HTML 404); another's Astro sends a
        # returnData of a shape nobody expects. They sold first: their sales come first.
        wrong.set_faults({"next": [{"endpoint": "customerStatus", "count": 50,
                                    "fault": "answer", "status": 404}]})
        odd.set_faults({"next": [{"endpoint": "customerStatus", "count": 50,
                                  "fault": "answer", "status": 200,
                                  "body": '{"astro_status": 100, "returnData": "?"}'}]})
        base = demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db"))
        good = base.store("demo")
        stores = (replace(good, id="wrong", astro=replace(good.astro, base_url=wrong.api_url)),
                  replace(good, id="odd", astro=replace(good.astro, base_url=odd.api_url)),
                  good)
        config = replace(base, stores=stores, retry=FAST)
        keys = [record(journal, store, f"CustomerID=SALLY-1&UPC1={KIBBLE}&SubTotal=10.00")
                for store in stores]
        clients = StoreClients(config)
        try:
            worker = Worker(journal, clients, retry=FAST)
            assert worker.run_once() == 3
        finally:
            clients.close()
    wrong_key, odd_key, good_key = keys
    assert journal.get_sale(good_key).status == "delivered"
    assert [t["pointsQty"] for t in sandbox.state()["points_transactions"]] == [10]
    for key in (wrong_key, odd_key):
        sale = journal.get_sale(key)
        assert sale.status == "pending" and sale.attempts == 1
        assert sale.next_attempt_at is not None and sale.last_error
        assert key in caplog.text          # logged with its key
