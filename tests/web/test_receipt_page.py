"""The cashier's receipt over real HTTP: stored by the click's own round, shown without
asking Astro anything, read in a second on a phone (issue 14: summary, each program's
card once, plain words, a redeemed reward off the receipt, a refused customer told
what to fix)."""
import re

from tests.clock import wait_until
from tests.web.conftest import SALLY, LiveBridge, sale_key_of, settled

KIBBLE = {k: v for k, v in SALLY.items() if not k.endswith("2")}    # Sally, line 1 only


def text_of(page) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def form_tokens(page) -> dict:
    return dict(re.findall(r'name="(t|csrf)" value="([^"]+)"', page.text))


def test_the_receipt_page_asks_astro_nothing(bridge, sandbox):
    answer = settled(bridge, bridge.click())
    calls = sandbox.state()["calls"]
    for _ in range(3):
        assert "Sent to Astro." in bridge.receipt(answer).text
        assert bridge.receipt(answer, json=True).json()["points"]["balance"] == 45
    assert sandbox.state()["calls"] == calls


def test_a_known_customers_click_is_two_journal_commits_and_one_read(bridge_config, sandbox):
    live = LiveBridge(bridge_config, sandbox, worker=False)
    try:
        settled(live, live.click(SaleID="first"))         # Sally is cached from now on
        # The read answered last (it sees the writes): no background read, no third commit.
        sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 0.2}}})
        before, reads = live.journal.commits, live.journal.reads
        answer = live.click(SaleID="second")
        assert live.journal.commits - before == 2         # recorded; the round's results
        # The login's record, read once; nothing read back between record and round.
        assert live.journal.reads - reads == 1
        page = live.receipt(answer)
        assert "Sent to Astro." in page.text
        assert live.journal.commits - before == 2         # the receipt writes nothing
        assert live.journal.reads - reads == 2            # and reads in one transaction
    finally:
        live.close()


def test_the_summary_line_and_each_programs_card_once_with_its_lines(bridge):
    page = bridge.receipt(settled(bridge, bridge.click()))
    text = text_of(page)
    assert re.search(r'id="summary">3 items punched · 45 points</p>', page.text)
    # Both bags are of one program: its card once, both lines under it.
    assert text.count("Buy 12 Get 1 Dog Kibble") == 1
    assert "Buy 12 Get 1 Dog Kibble · card 3/12 (+3)" in text
    assert "Acme Adult Dog Kibble 30 lb × 2" in text and "Acme Puppy Kibble 15 lb × 1" in text


def test_an_item_without_a_description_shows_its_code_once(bridge):
    page = bridge.receipt(bridge.click({**KIBBLE, "Description1": "",
                                        "UPC2": "850000000018", "Qty2": "1"}))
    text = text_of(page)
    assert text.count("012345678905") == 1 and text.count("850000000018") == 1
    assert "2 items punched · 45 points Sent to Astro" in text     # no program: quiet


def test_a_reward_earned_by_the_click_is_ready_at_once_and_leaves_the_receipt_when_redeemed(
        bridge, sandbox):
    # Twelve bags fill the card; 120 points cover "$5 off" (100).
    answer = bridge.click({**KIBBLE, "Qty1": "12", "SubTotal": "120.00"})
    page = wait_until(lambda: (lambda p: p if ">Redeem<" in p.text and "$5 off" in p.text
                                and 'id="checking"' not in p.text else None)(
        bridge.receipt(answer)), "the receipt with both rewards")
    assert "12 items punched · 120 points · 2 rewards ready" in text_of(page)
    tokens = form_tokens(page)
    key = sale_key_of(answer)
    done = bridge.http.post(f"{bridge.url}/receipt/{key}/redeem",
                            data={**tokens, "kind": "points", "reward_id": "501"})
    assert done.status_code == 200
    assert "Redeemed: $5 off. Take $5 off this sale." in done.text
    after = bridge.receipt(answer)
    text = text_of(after)
    assert "Balance: 20 points" in text                   # 120 - 100, as Astro has it
    assert 'name="reward_id" value="501"' not in after.text     # not offered again
    assert "Free: Acme Adult Dog Kibble 30 lb" not in text or ">Redeem<" in after.text
    assert "$5 off: Redeemed" in text
    assert [c["points_balance"] for c in sandbox.state()["customers"]
            if c["customerID"] == "SALLY-1"] == [20]


def test_refresh_from_astro_reads_the_customer_again_in_the_background(bridge, sandbox):
    from bridge.astro import AstroClient
    answer = settled(bridge, bridge.click())
    page = bridge.receipt(answer)
    with AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client") as other:
        other.add_points_by_dollar("SALLY-1", 30)          # another channel, meanwhile
    assert "Balance: 45 points" in text_of(bridge.receipt(answer))
    key = sale_key_of(answer)
    back = bridge.http.post(f"{bridge.url}/receipt/{key}/refresh", data=form_tokens(page),
                            allow_redirects=False)
    assert back.status_code == 303 and "refreshing=1" in back.headers["Location"]
    wait_until(lambda: "Balance: 75 points" in text_of(bridge.receipt(answer)),
               "the receipt refreshed from Astro")


def test_a_customer_astro_refused_is_told_what_to_fix_and_retried_by_the_same_button(
        bridge, sandbox):
    nameless = {k: v for k, v in SALLY.items() if k not in ("FirstName", "LastName")}
    nameless["CustomerID"] = "NONAME-1"
    answer = bridge.click(nameless)
    page = bridge.receipt(answer)
    assert page.status_code == 200
    assert ("Astro needs a first and last name for this customer: add them to the POS "
            "customer, then press Retry") in text_of(page)
    again = bridge.receipt(bridge.click(nameless))        # clicked again, unchanged
    assert "Send again as a new sale" not in again.text
    # The names added in the POS, the same button: the same sale goes, with them.
    fixed = bridge.click({**nameless, "FirstName": "Nora", "LastName": "Named"})
    assert sale_key_of(fixed) == sale_key_of(answer)
    assert "Sent to Astro." in bridge.receipt(fixed).text
    [nora] = [c for c in sandbox.state()["customers"] if c["customerID"] == "NONAME-1"]
    assert (nora["first_name"], nora["last_name"]) == ("Nora", "Named")
    assert len(sandbox.state()["transactions"]) == 2
    retried = bridge.journal.retried_failure_ids()
    assert all(f.id in retried for f in bridge.journal.failures(sale_key=sale_key_of(answer)))


def test_a_card_the_click_completes_unseen_by_its_read_is_confirmed_off_the_cashiers_path(
        bridge, sandbox):
    settled(bridge, bridge.click(SaleID="first"))         # Sally cached, 3 punches
    # The round's read is answered (1 s) before the batch (1.5 s): it does not see the
    # ninth bag fill the card, so it cannot show the card's free good.
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 1.0},
                                      "addTransactionBatch": {"latency": 1.5}}})
    before = len(sandbox.call_log())
    answer = bridge.click({**KIBBLE, "Qty1": "9", "SaleID": "fills"})
    # The click waited for its one round only: the second read is still on its way.
    answered = [c["endpoint"] for c in sandbox.call_log()[before:]]
    assert sorted(answered) == ["addPointsByDollar", "addTransactionBatch", "customerStatus"]
    text = text_of(bridge.receipt(answer))
    assert "card 12/12, complete (+9)" in text
    assert "Astro is confirming it: the Redeem button comes in a moment" in text
    assert "Checking the latest rewards" in text
    page = wait_until(lambda: (lambda p: p if "Checking the latest" not in text_of(p)
                               else None)(bridge.receipt(answer)), "the free good confirmed")
    assert "Rewards ready Acme Adult Dog Kibble 30 lb · Buy 12 Get 1 Dog Kibble Redeem" \
        in text_of(page)
    assert "confirming" not in text_of(page)
    assert [c["endpoint"] for c in sandbox.call_log()[before:]].count("customerStatus") == 2
