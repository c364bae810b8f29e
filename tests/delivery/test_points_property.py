"""Property: whatever the interleaving of one customer's awards, lost answers, 500s
(with or without the work done) and 503s, the customer's balance at Astro ends as the
sum of the sales, exactly, and nobody is asked (sandbox over HTTP, real journal)."""
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.journal import Journal, utcnow
from tests.delivery.conftest import deliver, points_transactions, record

FAULTS = (None, {"fault": "drop"}, {"fault": "status", "status": 500, "work": False},
          {"fault": "status", "status": 500, "work": True},
          {"fault": "status", "status": 503})

# ("sale", dollars, fault, seconds later) | ("again", which sale, seconds later)
ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("sale"), st.integers(1, 60), st.sampled_from(FAULTS),
              st.sampled_from((0, 1, 30))),
    st.tuples(st.just("again"), st.integers(0, 9), st.sampled_from((0, 1, 30)))),
    min_size=1, max_size=8)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_one_customers_awards_add_up_exactly_whatever_happens(actions, sandbox, store, client,
                                                              tmp_path_factory):
    sandbox.reset()
    offset = [0.0]

    def now():
        return utcnow() + dt.timedelta(seconds=offset[0])

    with Journal(tmp_path_factory.mktemp("journal") / "journal.db") as journal:
        keys, total = [], 0
        for action in actions:
            offset[0] += action[-1]
            if action[0] == "sale":
                _, dollars, fault, _ = action
                if fault:
                    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", **fault}]})
                keys.append(record(journal, store, f"CustomerID=SALLY-1&SaleID=P{len(keys)}"
                                                   f"&SubTotal={dollars}.00"))
                total += dollars
                deliver(journal, client, keys[-1], now=now)
            elif keys:
                deliver(journal, client, keys[action[1] % len(keys)], now=now)
        for _ in range(2 * len(keys) + 2):          # the worker, until nothing is left
            offset[0] += 30
            for key in keys:
                deliver(journal, client, key, now=now)
        assert {journal.get_sale(k).status for k in keys} <= {"delivered"}
        assert sum(t["pointsQty"] for t in points_transactions(sandbox, "1001")) == total
        assert journal.failures() == []
