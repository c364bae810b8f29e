"""Points exactly once through the running bridge: clicks over HTTP, its worker, the
sandbox's faults, a real journal (bridge.delivery.points)."""
from dataclasses import replace

import pytest

from tests.conftest import demo_config_for_tests
from tests.web.conftest import FAST_RETRY, SALLY, LiveBridge, sale_key_of


@pytest.fixture
def live_for(sandbox, tmp_path):
    made = []

    def make(**options):
        config = replace(demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db")),
                         retry=FAST_RETRY, **options)
        made.append(LiveBridge(config, sandbox))
        return made[-1]
    yield make
    for live in made:
        live.close()


def sally_points(sandbox):
    return [t["pointsQty"] for t in sandbox.state()["points_transactions"]
            if t["astro_customer_id"] == "1001"]


def click(live, sale_id, subtotal):
    answer = live.click({**SALLY, "SaleID": sale_id, "SubTotal": subtotal})
    assert answer.status_code == 303, answer.text
    return sale_key_of(answer)


def awarded_transaction(live, sale_key):
    step = live.journal.get_sale(sale_key).steps[-1]
    assert step.kind == "points" and step.state == "done"
    return step.result["points_transaction_id"]


@pytest.mark.parametrize("applied", [True, False], ids=["first-award-applied",
                                                          "first-award-never-applied"])
def test_a_lost_award_is_never_taken_for_the_next_sale_of_the_customer(live_for, sandbox,
                                                                        applied):
    live = live_for(request_deadline=3.0)
    # Astro answers 500 to A1's award, after doing it or not.
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1,
                                  "fault": "status", "status": 500, "work": applied}]})
    a1 = click(live, "A1", "10.00")
    b1 = click(live, "B1", "20.00")
    live.wait_status(a1)
    live.wait_status(b1)
    assert sorted(sally_points(sandbox)) == [10, 20]
    by_id = {str(t["astro_points_transaction_id"]): t["pointsQty"]
             for t in sandbox.state()["points_transactions"]}
    assert by_id[str(awarded_transaction(live, a1))] == 10
    assert by_id[str(awarded_transaction(live, b1))] == 20
    assert live.journal.failures() == []            # nobody was asked


def test_a_slow_astro_gets_the_points_once(live_for, sandbox):
    # Astro takes 6 s to record anything: the batch uses up most of the click's 8 s, so
    # the points call must not start cut short; the worker sends it with a full timeout.
    live = live_for(request_deadline=8.0)
    sandbox.set_faults({"endpoints": {"addTransactionBatch": {"latency": 6},
                                      "addPointsByDollar": {"latency": 6}}})
    key = click(live, "S1", "20.00")
    live.wait_status(key, timeout=40)
    assert sally_points(sandbox) == [20]
    assert sandbox.state()["calls"]["addPointsByDollar"] == 1
