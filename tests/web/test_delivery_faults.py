"""Astro in trouble: the sale is saved, the receipt says so, the worker finishes it, and
nothing is ever sent twice."""
from tests.clock import wait_until
from tests.web.conftest import sale_key_of


def test_astro_503s_then_recovery_delivers_exactly_once(bridge, sandbox):
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 6,
                                  "fault": "status", "status": 503}]})
    answer = bridge.click()
    page = bridge.receipt(answer)
    assert "Saved. It is being sent to Astro" in page.text
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "Astro could not be reached" in page.text
    bridge.wait_status(sale_key_of(answer))
    state = sandbox.state()
    assert state["handled"]["addTransactionBatch"] == 1
    assert len(state["transactions"]) == 2
    assert len(state["points_transactions"]) == 1
    page = bridge.receipt(answer)
    assert "Sent to Astro." in page.text and 'http-equiv="refresh"' not in page.text


def test_work_done_then_connection_dropped_never_doubles_transactions_or_points(bridge, sandbox):
    sandbox.set_faults({"next": [
        {"endpoint": "addTransactionBatch", "count": 1, "fault": "drop"},
        {"endpoint": "addPointsByDollar", "count": 1, "fault": "drop"}]})
    answer = bridge.click()
    key = sale_key_of(answer)
    sale = bridge.wait_status(key)
    assert sale.status == "delivered"
    # The worker stores the receipt (with the balance it reads) right after the last step.
    wait_until(lambda: bridge.journal.get_sale(key).receipt, "the stored receipt")
    state = sandbox.state()
    assert state["handled"]["addTransactionBatch"] == 2      # the re-send found its ids used
    assert len(state["transactions"]) == 2
    assert len(state["points_transactions"]) == 1
    sally = [c for c in state["customers"] if c["customerID"] == "SALLY-1"][0]
    assert sally["points_balance"] == 45
    # The worker stores the receipt (with the balance it reads) right after the last step.
    wait_until(lambda: bridge.journal.get_sale(sale.sale_key).receipt, "the stored receipt")
    data = bridge.receipt(answer, json=True).json()
    # The re-send of the batch was told the ids were used: recorded once, before.
    assert [ln["outcome"] for ln in data["lines"]] == ["already", "already"]
    assert data["points"]["balance"] == 45


def test_request_deadline_is_kept_with_a_slow_astro_and_the_worker_delivers_once(
        bridge_config, sandbox, caplog):
    import dataclasses

    from bridge.astro import AstroClient
    from bridge.config import RetryPolicy
    from bridge.delivery import Worker
    from tests.web.conftest import LiveBridge

    def patient_client(*args, **options):     # would wait a minute for Astro's answer
        return AstroClient(*args, **{**options, "read_timeout": 60.0})
    # Deadline 1 s and Astro answers the batch 30 s late: only the deadline can end the
    # click first (else it would get the answer and show the sale sent). The worker
    # starts once the receipt was read.
    live = LiveBridge(dataclasses.replace(bridge_config, request_deadline=1.0,
                                          retry=RetryPolicy(backoff_base=0.1, backoff_max=0.2)),
                      sandbox, worker=False, client_factory=patient_client)
    worker = Worker(live.journal, live.clients, retry=live.config.retry, poll_interval=0.05)
    try:
        live.clients.own(live.config.stores[0]).log_in()
        sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                      "fault": "latency", "seconds": 30}]})
        answer = live.click()
        assert live.receipt(answer, json=True).json()["pending"] is True
        worker.start()
        sale = live.wait_status(sale_key_of(answer))
        assert sale.status == "delivered"
        state = sandbox.state()
        assert len(state["transactions"]) == 2               # one batch's transactions
        assert len(state["points_transactions"]) == 1
    finally:
        worker.stop()
        live.close()


def test_line_already_in_astro_after_a_lost_answer_shows_its_program_and_card(bridge, sandbox):
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                  "fault": "drop"}]})
    answer = bridge.click()
    key = sale_key_of(answer)
    bridge.wait_status(key)
    # The worker stores the receipt (with the cards it reads) right after the last step.
    wait_until(lambda: bridge.journal.get_sale(key).receipt, "the stored receipt")
    data = bridge.receipt(answer, json=True).json()
    assert [(ln["outcome"], ln["program_title"], ln["progress"]) for ln in data["lines"]] == [
        ("already", "Buy 12 Get 1 Dog Kibble", "3/12"),
        ("already", "Buy 12 Get 1 Dog Kibble", "3/12")]
    page = bridge.receipt(answer)
    assert "Recorded in Astro" not in page.text and "Buy 12 Get 1 Dog Kibble" in page.text


def test_pending_receipt_says_what_happened_in_plain_words(bridge_config, sandbox):
    from tests.web.conftest import LiveBridge
    live = LiveBridge(bridge_config, sandbox, worker=False)   # the sale stays pending
    try:
        sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                      "fault": "drop"}]})
        answer = live.click()
        page = live.receipt(answer)
        assert "Saved. It is being sent to Astro" in page.text
        assert ("Last try: Astro&#039;s answer was cut off; the bridge will check and send "
                "what is missing." in page.text)
        assert "Error" not in page.text and "addTransactionBatch" not in page.text
        assert '<meta http-equiv="refresh" content="3">' in page.text   # the first minute
    finally:
        live.close()


def test_a_known_customers_one_round_click_with_lost_answers_is_sent_once(bridge, sandbox):
    # The click of a cached customer is written ahead in the commit that records it and
    # sent without reading the sale back: its answers lost, Astro still has each once.
    first = bridge.click(SaleID="first")
    assert bridge.wait_status(sale_key_of(first)).status == "delivered"
    sandbox.set_faults({"next": [
        {"endpoint": "addTransactionBatch", "count": 1, "fault": "drop"},
        {"endpoint": "addPointsByDollar", "count": 1, "fault": "drop"}]})
    answer = bridge.click(SaleID="second")
    assert bridge.wait_status(sale_key_of(answer)).status == "delivered"
    state = sandbox.state()
    assert sorted(state["transactions"]) == ["demo-first-1", "demo-first-2",
                                             "demo-second-1", "demo-second-2"]
    assert [t["pointsQty"] for t in state["points_transactions"]] == [45, 45]
    sally = [c for c in state["customers"] if c["customerID"] == "SALLY-1"][0]
    assert sally["points_balance"] == 90
