"""Button clicks over real HTTP against the sandbox: customers, receipts, exactly once."""
import threading

from bridge.reasons import Reason
from tests.web.conftest import SALLY, sale_key_of, settled


def batches(sandbox) -> int:
    return sandbox.state()["handled"].get("addTransactionBatch", 0)


def test_known_customer_gets_a_receipt_with_card_progress_and_points(bridge, sandbox):
    answer = bridge.click()
    assert answer.status_code == 303
    assert "demo-button" not in answer.headers["Location"]
    page = bridge.receipt(answer)
    assert page.status_code == 200
    assert "Sent to Astro." in page.text
    assert "Sally Pet Owner" in page.text
    assert "Buy 12 Get 1 Dog Kibble" in page.text and "3/12" in page.text
    assert "Points earned: 45" in page.text and "Balance: <strong>45</strong>" in page.text
    state = sandbox.state()
    assert sorted(t for t in state["transactions"]) == [
        f"{sale_key_of(answer)}-1", f"{sale_key_of(answer)}-2"]


def test_line_that_fills_a_card_says_the_card_is_complete(bridge):
    kibble = {k: v for k, v in SALLY.items() if not k.endswith("2")}   # line 1 only
    answer = bridge.click({**kibble, "Qty1": "12"})       # Sally starts with no punch
    data = bridge.receipt(answer, json=True).json()
    assert [ln["progress"] for ln in data["lines"]] == ["12/12, card complete"]
    page = bridge.receipt(answer)
    assert "12/12, complete (+12)" in page.text and "Rewards ready" in page.text


def test_line_in_no_program_says_why(bridge):
    answer = bridge.click({**SALLY, "UPC3": "850000000018", "Description3": "Bird seed"})
    page = bridge.receipt(answer)
    assert "some of it was not accepted" in page.text
    assert "Not in any program this store is enrolled in" in page.text


def test_lines_in_no_program_are_shown_quietly_once_astro_said_so(bridge, sandbox):
    leash = {**SALLY, "UPC3": "400000000002", "Description3": "Leash, red"}
    first = bridge.click(leash, SaleID="Q1")
    # The worker asks Astro which programs list the leash (none), off the cashier's
    # path; the sale, whose only refused line is routine, is then delivered.
    bridge.wait_status(sale_key_of(first), wanted=("delivered",))
    page = bridge.receipt(first)
    assert "Sent to Astro." in page.text and "some of it was not accepted" not in page.text
    assert "In no program." in page.text
    calls = sandbox.state()["calls"]
    again = bridge.click(leash, SaleID="Q2")
    data = bridge.receipt(again, json=True).json()
    assert (data["status"], data["tone"], data["problems"]) == ("delivered", "ok", [])
    assert [ln["outcome"] for ln in data["lines"]] == ["punched", "punched", "routine"]
    later = sandbox.state()["calls"]
    assert [later.get(e, 0) - calls.get(e, 0) for e in ("eligiblePurchaseItems",
                                                        "listOffers")] == [0, 0]


def test_unlinked_customer_is_found_by_email_and_linked(bridge, sandbox):
    answer = bridge.click({**SALLY, "CustomerID": "POS-PAT", "FirstName": "Pat",
                           "LastName": "Unlinked", "Email": "pat@example.com"})
    page = bridge.receipt(answer)
    assert "Found in Astro by email or phone and linked" in page.text
    pat = [c for c in sandbox.state()["customers"] if c["astro_customer_id"] == "1002"][0]
    assert pat["customerID"] == "POS-PAT"


def test_new_customer_is_created(bridge, sandbox):
    answer = bridge.click({**SALLY, "CustomerID": "POS-NEW", "FirstName": "Nina",
                           "LastName": "New", "Email": "nina@example.com"})
    page = bridge.receipt(answer)
    assert "New Astro customer created." in page.text
    assert any(c["customerID"] == "POS-NEW" for c in sandbox.state()["customers"])


def test_new_customer_with_the_email_of_a_linked_customer_is_not_shown_as_linked(bridge, sandbox):
    answer = bridge.click({**SALLY, "CustomerID": "DUP-1", "FirstName": "Dee",
                           "LastName": "Dup", "Email": "sally@example.com"})
    page = bridge.receipt(answer)
    assert "Sent to Astro." in page.text and "New Astro customer created." in page.text
    assert "Found in Astro by email or phone and linked" not in page.text
    dup = [c for c in sandbox.state()["customers"] if c["customerID"] == "DUP-1"]
    assert len(dup) == 1 and dup[0]["astro_customer_id"] != "1001"


def test_known_customer_clicked_with_only_the_customer_id_gets_astros_name(bridge):
    answer = bridge.click({"apiusername": "demo", "apipassword": "demo-button",
                           "CustomerID": "SALLY-1", "UPC1": "012345678905"})
    page = bridge.receipt(answer)
    assert "Sale for Sally Pet Owner" in page.text
    assert "<strong>Sally Pet Owner</strong>" in page.text


def test_double_click_sends_once_and_offers_send_again(bridge, sandbox):
    first, second = bridge.click(), bridge.click()
    assert sale_key_of(first) == sale_key_of(second)
    page = bridge.receipt(second)
    assert "clicked twice" in page.text and "Send again as a new sale" in page.text
    assert batches(sandbox) == 1


def test_five_concurrent_identical_clicks_send_once(bridge, sandbox):
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(bridge.click()))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({sale_key_of(a) for a in answers}) == 1
    bridge.wait_status(sale_key_of(answers[0]))
    assert batches(sandbox) == 1
    assert len(sandbox.state()["points_transactions"]) == 1


def test_send_again_makes_a_new_sale(bridge, sandbox):
    bridge.click()
    page = bridge.receipt(bridge.click())
    form = dict(__import__("re").findall(r'name="(t|csrf)" value="([^"]+)"', page.text))
    key = page.url.split("/receipt/")[1].split("?")[0]
    again = bridge.http.post(f"{bridge.url}/receipt/{key}/again", data=form,
                             allow_redirects=False)
    assert again.status_code == 303 and sale_key_of(again) != key
    assert "Sent to Astro." in bridge.receipt(again).text
    assert batches(sandbox) == 2
    forged = bridge.http.post(f"{bridge.url}/receipt/{key}/again",
                              data={"t": form["t"], "csrf": "1.x"}, allow_redirects=False)
    assert forged.status_code == 403 and batches(sandbox) == 2


def test_sale_id_reuse_sends_once(bridge, sandbox):
    first = bridge.click(SaleID="POS-1001")
    second = bridge.click(SaleID="POS-1001", method="POST")
    assert sale_key_of(first) == sale_key_of(second) == "demo-POS-1001"
    page = bridge.receipt(second)
    assert "Sent to Astro." in page.text and "Send again" not in page.text
    assert batches(sandbox) == 1
    assert sandbox.state()["transactions"]["demo-POS-1001-1"]["item_qty"] == 2


def test_sale_id_reused_for_a_different_sale_is_refused_and_reported(bridge, sandbox, caplog):
    login = {"apiusername": "demo", "apipassword": "demo-button"}
    first = bridge.click({**login, "CustomerID": "NEWGUY", "UPC1": "WASH-SELF",
                          "SaleID": "lj1x"})
    assert first.status_code == 303
    bridge.wait_status(sale_key_of(first), ("delivered", "partial", "failed"))
    before = {f.id for f in bridge.journal.failures()}
    sent = sandbox.state()["transactions"]
    second = bridge.click({**login, "CustomerID": "OTHER", "UPC1": "072030001234",
                           "Qty1": "3", "SaleID": "lj1x"})
    assert second.status_code == 409
    assert ("SaleID lj1x was already used for a different sale; this sale was NOT sent"
            in second.text)
    assert "Sent to Astro" not in second.text and "demo-button" not in second.text
    assert sandbox.state()["transactions"] == sent       # nothing of OTHER's sale sent
    assert not any(c["customerID"] == "OTHER" for c in sandbox.state()["customers"])
    failures = [f for f in bridge.journal.failures(store="demo") if f.id not in before]
    assert [(f.kind, f.customer_id, f.reason) for f in failures] == [
        ("transaction", "OTHER", Reason.SALE_ID_REUSED)]
    assert "SaleID lj1x was already used for a different sale" in failures[0].message
    assert any(r.name == "bridge.sale" and r.sale["outcome"] == "conflict"
               for r in caplog.records)
    again = bridge.click({**login, "CustomerID": "NEWGUY", "UPC1": "WASH-SELF",
                          "SaleID": "lj1x"})
    assert sale_key_of(again) == "demo-lj1x"                # the same sale: its receipt
    assert bridge.receipt(again).status_code == 200
    assert [f.id for f in bridge.journal.failures() if f.id not in before] == [failures[0].id]


def test_refund_deducts_points_and_lists_items_to_remove_by_hand(bridge, sandbox):
    bridge.click(SaleID="S-7")
    answer = bridge.click(SaleID="S-7", Refund="1")
    assert sale_key_of(answer) == "demo-S-7-R"
    page = bridge.receipt(answer)
    assert "Refund for Sally Pet Owner" in page.text
    assert "Remove by hand" in page.text
    assert "Acme Adult Dog Kibble 30 lb × 2" in page.text
    assert "Points deducted: 45" in page.text
    assert batches(sandbox) == 1


def test_json_receipt(bridge):
    data = bridge.receipt(settled(bridge, bridge.click()), json=True).json()
    assert data["status"] == "delivered" and data["pending"] is False
    assert data["customer_name"] == "Sally Pet Owner"
    assert [(ln["item_code"], ln["outcome"], ln["progress"]) for ln in data["lines"]] == [
        ("012345678905", "punched", "3/12"), ("072030001234", "punched", "3/12")]
    assert data["points"]["earned"] == 45 and data["points"]["balance"] == 45


def test_receipt_needs_its_signed_token(bridge):
    answer = bridge.click()
    key = sale_key_of(answer)
    assert bridge.http.get(f"{bridge.url}/receipt/{key}").status_code == 404
    assert bridge.http.get(f"{bridge.url}/receipt/{key}?t=forged").status_code == 404


def test_one_log_line_per_sale_without_secrets(bridge, caplog):
    answer = bridge.click()
    lines = [r for r in caplog.records if r.name == "bridge.sale"]
    assert len(lines) == 1
    assert lines[0].sale == {"store": "demo", "sale_key": sale_key_of(answer),
                             "outcome": "delivered", "duration_ms": lines[0].sale["duration_ms"],
                             "via": "button"}
