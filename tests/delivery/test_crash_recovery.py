"""A killed `astro-bridge serve` process: its sales are taken over by the next one within
seconds (leases with a heartbeat, bridge.journal.sales), and sent exactly once."""
import signal

from bridge.journal import Journal
from tests.web.conftest import SALLY
from tests.web.test_serve import Bridge, click_in_background, wait_for, write_config


def test_a_restarted_bridge_finishes_the_sales_a_killed_worker_held(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox)
    bridge = Bridge("--config", config, cwd=tmp_path)
    url = bridge.url()
    # The click cannot reach Astro (503 twice): the worker takes the sale over, and its
    # batch call hangs in Astro while the process is killed.
    sandbox.set_faults({"next": [
        {"endpoint": "customerStatus", "count": 2, "fault": "status", "status": 503},
        {"endpoint": "addTransactionBatch", "count": 1, "fault": "hang", "seconds": 30,
         "work": False}]})
    click = click_in_background(url, {**SALLY, "SaleID": "W-1"})
    wait_for(lambda: sandbox.state()["calls"].get("addTransactionBatch"), 15,
             "the worker's batch call")
    bridge.stop(signal.SIGKILL)
    click["thread"].join(10)
    sandbox.clear_faults()

    restarted = Bridge("--config", config, cwd=tmp_path)
    try:
        restarted.url()
        with Journal(str(tmp_path / "journal.db")) as journal:
            # The dead worker's lease is free 15 s after its last renewal.
            wait_for(lambda: journal.get_sale("demo-W-1").status == "delivered", 30,
                     "the restarted bridge to finish the killed worker's sale")
    finally:
        assert restarted.stop() == 0
    state = sandbox.state()
    assert sorted(state["transactions"]) == ["demo-W-1-1", "demo-W-1-2"]
    assert [t["pointsQty"] for t in state["points_transactions"]] == [45]
