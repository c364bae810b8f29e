"""The failure report pages: listing, filters, guidance, Hide, Retry, CSV, customers."""
import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

from bridge.admin.report import CSV_BATCH, REPORT_LIMIT
from bridge.reasons import Reason
from tests.admin.conftest import NOT_ENROLLED_SALE, log_in, send_sale

KIBBLE = "012345678905"


def _sale(n: int, upc: str = "850000000018", customer: str = "SALLY-1") -> str:
    return (f"CustomerID={customer}&FirstName=Sally&LastName=Pet%20Owner"
            f"&Email=sally@example.com&SaleID={n}&UPC1={upc}&Description1=Item%20{n}")


def test_a_failed_line_is_listed_with_everything_the_store_needs(app, journal, config, client):
    send_sale(journal, config, client, NOT_ENROLLED_SALE)
    log_in(app)
    page = app.get("/failures")
    row = page.html.select_one("#transaction-table tr.failure")
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[2:9] == ["demo", "SALLY-1", "850000000018", "Songbird Seed", "demo-1001-2",
                          "addTransactionBatch", "No Item Found"]
    # No "Status 410", no message that only repeats the reason.
    assert "410" not in row.get_text() and row.get_text().count("No Item Found") == 1
    assert row.find("a")["href"] == "/admin/customers/demo/SALLY-1"
    anchor = row.select_one("a.what-to-do")["href"]
    guidance = page.html.select_one(f"#guidance {anchor}").get_text(" ")
    assert "not enrolled" in guidance and "exception" in guidance and "UPC-A" in guidance
    assert "Redemption Failures (0)" in page.text


def test_an_ean_13_failure_shows_its_upc_a(app, journal, config, client):
    send_sale(journal, config, client, _sale(7, upc="0850000000019"))   # not converted:
    log_in(app)                                                         # bad check digit
    assert "its UPC-A is" not in app.get("/failures").text
    from bridge.reasons import guidance_for
    steps = " ".join(guidance_for("No Item Found", item_code="0012345678905").steps)
    assert "its UPC-A is 012345678905" in steps


def test_newest_first_and_filters_by_store_reason_and_days(app, journal, config, client):
    send_sale(journal, config, client, _sale(1))
    send_sale(journal, config, client, _sale(2))
    journal.record_failure("demo", "transaction", "TransactionID Already Exists",
                           reason=Reason.ALREADY_EXISTS, sale_key="demo-3",
                           customer_id="SALLY-1", item_code="X")
    log_in(app)
    ids = [tr["id"] for tr in app.get("/failures").html.select("#transaction-table tr.failure")]
    assert [journal.failures()[i].id for i in range(3)] == [int(x.split("-")[1]) for x in ids]
    by_reason = app.get("/failures", {"reason": "No Item Found"})
    assert len(by_reason.html.select("#transaction-table tr.failure")) == 2
    dup = app.get("/failures", {"reason": "TransactionID Already Exists"})
    assert "likely a duplicate" in dup.text.lower() or "probably a duplicate" in dup.text.lower()
    assert app.get("/failures", {"store": "other"}).html.select("tr.failure") == []
    assert len(app.get("/failures", {"days": "1"}).html.select("tr.failure")) == 3


def test_hide_one_takes_it_off_the_list_and_keeps_it(app, journal, config, client):
    send_sale(journal, config, client, _sale(1))
    send_sale(journal, config, client, _sale(2))
    log_in(app)
    page = app.get("/failures")
    first, second = journal.failures()
    after = page.forms["failures-form"].submit(name="only", value=f"hide:{first.id}",
                                               status=303).follow()
    assert "1 hidden." in after.text
    assert after.html.select_one(f"#failure-{first.id}") is None
    assert after.html.select_one(f"#failure-{second.id}") is not None
    kept = [f for f in journal.failures(include_hidden=True) if f.id == first.id]
    assert kept and kept[0].hidden


def test_bulk_hide_of_the_ticked_lines(app, journal, config, client):
    for n in (1, 2, 3):
        send_sale(journal, config, client, _sale(n))
    log_in(app)
    page = app.get("/failures")
    form = page.forms["failures-form"]
    ids = [f.id for f in journal.failures()]
    for field in form.fields["ids"]:
        field.checked = int(field._value) in ids[:2]
    after = form.submit(name="action", value="hide", status=303).follow()
    assert "2 hidden." in after.text
    assert len(after.html.select("#transaction-table tr.failure")) == 1


def test_hide_without_the_csrf_token_hides_nothing(app, journal, config, client):
    send_sale(journal, config, client, _sale(1))
    log_in(app)
    [f] = journal.failures()
    app.post("/failures/action", {"only": f"hide:{f.id}"}, status=403)
    app.post("/failures/action", {"only": f"hide:{f.id}", "csrf": "x"}, status=403)
    assert not journal.failures()[0].hidden


def test_retry_after_enrolling_delivers_with_the_same_ids(app, journal, config, client, sandbox):
    send_sale(journal, config, client, NOT_ENROLLED_SALE)
    log_in(app)
    [f] = journal.failures()
    still = app.get("/failures").forms["failures-form"].submit(
        name="only", value=f"retry:{f.id}", status=303).follow()
    assert "1 still failing" in still.text             # nothing changed in Astro yet
    [again] = [x for x in journal.failures() if x.id not in journal.retried_failure_ids()]
    assert again.id != f.id and again.transaction_id == "demo-1001-2"
    sandbox.enrol(104)                                  # the store enrols in the program
    done = still.forms["failures-form"].submit(name="only", value=f"retry:{again.id}",
                                               status=303).follow()
    assert "1 retried and delivered." in done.text
    assert done.html.select("#transaction-table tr.failure") == []
    tx = sandbox.state()["transactions"]
    assert tx["demo-1001-2"]["item_code"] == "850000000018"
    assert sum(1 for t in tx.values() if t["saleID"] == "demo-1001") == 2   # line 1 once
    assert journal.get_sale("demo-1001").status == "delivered"


def test_csv_export_has_the_listed_lines(app, journal, config, client):
    send_sale(journal, config, client, NOT_ENROLLED_SALE)
    journal.record_failure("demo", "transaction", "=HYPERLINK(\"x\")", reason=Reason.REFUSED,
                           customer_id="C2")
    log_in(app)
    r = app.get("/failures.csv", {"reason": "No Item Found"})
    assert r.content_type == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["customer"], x["item_code"], x["transaction_or_reward_id"], x["reason"])
            for x in rows] == [("SALLY-1", "850000000018", "demo-1001-2", "No Item Found")]
    everything = list(csv.DictReader(io.StringIO(app.get("/failures.csv").text)))
    assert {x["message"] for x in everything} == {"No Item Found", "'=HYPERLINK(\"x\")"}


def test_no_csv_cell_starts_like_a_formula(app, journal):
    journal.record_failure("demo", "transaction", "-1+1", reason=Reason.REFUSED,
                           item_code="@SUM(1+1)",
                           customer_id='=HYPERLINK("http://evil.example/x","open")',
                           description="+cmd", sale_key="\tdemo-1", transaction_id="\rdemo-1-1")
    log_in(app)
    [row] = list(csv.DictReader(io.StringIO(app.get("/failures.csv").text)))
    assert (row["customer"], row["item_code"], row["description"], row["message"],
            row["sale_key"], row["transaction_or_reward_id"]) == (
        '\'=HYPERLINK("http://evil.example/x","open")', "'@SUM(1+1)", "'+cmd", "'-1+1",
        "'\tdemo-1", "'\rdemo-1-1")


def test_csv_needs_a_login(app):
    assert "/admin/login?next=" in app.get("/failures.csv", status=303).headers["Location"]


def test_customer_page_lists_the_sales_with_receipt_links(app, journal, config, client):
    send_sale(journal, config, client, NOT_ENROLLED_SALE)
    send_sale(journal, config, client, _sale(2, upc="012345678905"))
    send_sale(journal, config, client, _sale(3, upc="012345678905", customer="OTHER-9"))
    log_in(app)
    page = app.get("/customers/demo/SALLY-1")
    links = [a["href"] for a in page.html.select("a.receipt-link")]
    assert len(links) == 2 and all(h.startswith("/receipt/demo-") and "?t=" in h
                                   for h in links)
    assert "demo-3" not in page.text


def test_pending_and_uncertain_deliveries_are_listed_with_the_next_attempt(
        app, journal, config, client, sandbox):
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 5,
                                         "fault": "status", "status": 503}]})
    send_sale(journal, config, client, _sale(5, upc="012345678905"))
    log_in(app)
    page = app.get("/failures")
    row = page.html.select_one("#open-table tr")
    text = page.html.select_one("#open-table").get_text(" ")
    assert "demo-5" in text and "pending" in text and "transactions" in text
    assert row is not None


def test_points_with_a_lost_answer_are_listed_as_uncertain(app, journal, config, client,
                                                           sandbox):
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1,
                                         "fault": "drop"}]})
    send_sale(journal, config, client, _sale(6, upc="012345678905") + "&SubTotal=25.00")
    log_in(app)
    row = app.get("/failures").html.select_one("#open-table tr.open-uncertain")
    cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
    assert cells[0] == "demo-6" and cells[3] == "uncertain" and cells[4] == "points"
    assert cells[6]          # the next attempt (it reconciles before any re-send)


def _many_failures(journal, n_missing=150, n_duplicate=80):
    for i in range(n_missing):
        journal.record_failure("demo", "transaction", "No Item Found",
                               reason=Reason.NO_ITEM_FOUND, sale_key=f"demo-{i}",
                               customer_id="SALLY-1", item_code="850000000018")
    for i in range(n_duplicate):
        journal.record_failure("demo", "transaction", "TransactionID Already Exists",
                               reason=Reason.ALREADY_EXISTS, sale_key=f"demo-d{i}",
                               customer_id="SALLY-1", item_code="X")


def test_failures_are_paged_keeping_the_filters_and_the_csv_stays_complete(app, journal):
    _many_failures(journal)
    log_in(app)
    first = app.get("/failures")
    assert len(first.html.select("tr.failure")) == 100
    assert "Transaction Failures (230)" in first.text
    assert first.html.select_one("#previous-page") is None
    second = first.click(linkid="next-page")
    assert len(second.html.select("tr.failure")) == 100
    third = second.click(linkid="next-page")
    assert len(third.html.select("tr.failure")) == 30
    assert third.html.select_one("#next-page") is None
    seen = [tr["id"] for p in (first, second, third) for tr in p.html.select("tr.failure")]
    assert len(set(seen)) == 230                              # every line, once
    assert third.click(linkid="previous-page").html.select("tr.failure")[0]["id"] == \
        second.html.select("tr.failure")[0]["id"]

    filtered = app.get("/failures", {"reason": "No Item Found", "days": "7"})
    assert len(filtered.html.select("tr.failure")) == 100
    nxt = filtered.html.select_one("#next-page")["href"]
    assert "reason=No+Item+Found" in nxt and "days=7" in nxt and "page=2" in nxt
    assert len(filtered.click(linkid="next-page").html.select("tr.failure")) == 50

    rows = list(csv.DictReader(io.StringIO(app.get("/failures.csv").text)))
    assert len(rows) == 230


def test_each_reason_on_the_page_gets_its_guidance_once_and_rows_link_to_it(app, journal):
    _many_failures(journal, n_missing=60, n_duplicate=30)
    log_in(app)
    page = app.get("/failures")
    sections = page.html.select("#guidance .guidance")
    assert len(sections) == 2
    assert page.text.count("program item exception") == 1
    assert page.text.count("Probably a duplicate") == 1
    ids = {s["id"] for s in sections}
    links = {a["href"].lstrip("#") for a in page.html.select("tr.failure a.what-to-do")}
    assert links == ids
    assert len(page.body) < 200_000


def test_a_bad_filter_value_is_refused_naming_the_filter(app, journal):
    _many_failures(journal, n_missing=3, n_duplicate=0)
    log_in(app)
    for days in ("abc", "-5", "0", "99999"):
        page = app.get("/failures", {"days": days}, status=400)
        assert 'filter "days"' in page.html.select_one(".problem").get_text()
        assert page.html.select("tr.failure") == []           # no silent default
    page = app.get("/failures", {"page": "x"}, status=400)
    assert 'filter "page"' in page.html.select_one(".problem").get_text()
    assert "days" in app.get("/failures.csv", {"days": "abc"}, status=400).text
    assert len(app.get("/failures", {"days": " 2 "}).html.select("tr.failure")) == 3


def test_a_line_is_listed_under_the_reason_it_was_recorded_with(app, journal):
    # A given-up line carries the last error of its sale in its message; its reason is
    # still "Given up", with the guidance for that, not a guess from the message.
    journal.record_failure("demo", "transaction", "gave up after 72 hours: No Item Found",
                           reason=Reason.GIVEN_UP, sale_key="demo-9", customer_id="SALLY-1")
    log_in(app)
    page = app.get("/failures", {"reason": "Given up"})
    [row] = page.html.select("#transaction-table tr.failure")
    assert row["data-reason"] == "Given up"
    assert "The bridge stopped trying" in page.text
    assert app.get("/failures", {"reason": "No Item Found"}).html.select("tr.failure") == []


LEASH, TOY = "400000000002", "400000000001"      # in no program of the sandbox's seed


def _mixed_failures(journal, config, client):
    """Three sales: kibble + a leash, a leash, bird seed + a toy; then Astro is asked
    which programs list the refused items, as the retry worker does."""
    from bridge.delivery import learn_refused_items

    for n, lines in ((1, ((KIBBLE, "Kibble"), (LEASH, "Leash, red"))),
                     (2, ((LEASH, "Leash, red"),)),
                     (3, (("850000000018", "Songbird Seed"), (TOY, "Chew Toy")))):
        query = "CustomerID=SALLY-1&FirstName=Sally&LastName=Pet%20Owner" + \
            f"&SaleID=m{n}" + "".join(f"&UPC{i}={code}&Description{i}={what}"
                                       for i, (code, what) in enumerate(lines, 1))
        send_sale(journal, config, client, query)
    learn_refused_items(journal, lambda _store: client, dt.datetime.now(dt.timezone.utc),
                        holder="test")


def test_routine_lines_are_counted_per_item_code_apart_and_every_view_agrees(
        app, journal, config, client, config_file):
    _mixed_failures(journal, config, client)
    assert [journal.get_sale(f"demo-m{n}").status for n in (1, 2, 3)] == [
        "delivered", "delivered", "partial"]
    log_in(app)
    page = app.get("/failures")
    [row] = page.html.select("#transaction-table tr.failure")        # only the bird seed
    assert "850000000018" in row.get_text() and "Transaction Failures (1)" in page.text
    assert "No Item Found (program not enrolled)" in row.get_text()
    assert "Astro lists it in Buy 6 Get 1 Bird Seed (Songbird Feeds)." in row.get_text()
    guidance = page.html.select_one("#guidance").get_text(" ")
    assert "enrol the store in the program in Astro, then Retry" in guidance
    routine = page.html.select_one("details#routine-failures")
    assert routine is not None and not routine.has_attr("open")          # collapsed
    assert "3 lines, 2 item codes" in routine.summary.get_text()
    assert [[td.get_text(strip=True) for td in tr.find_all("td")][:3]
            for tr in routine.select("tr.routine-item")] == [
        [LEASH, "Leash, red", "2"], [TOY, "Chew Toy", "1"]]

    rows = list(csv.DictReader(io.StringIO(app.get("/failures.csv").text)))
    assert sorted((x["item_code"], x["routine"], x["cause"]) for x in rows) == [
        (TOY, "yes", "in no program"), (LEASH, "yes", "in no program"),
        (LEASH, "yes", "in no program"), ("850000000018", "no", "program not enrolled")]

    cli = str(Path(sys.executable).with_name("astro-bridge"))
    text = subprocess.run([cli, "failures", "list", "--config", str(config_file)],
                          capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert text[:5] == [
        "Failures by reason (1)", "       1  No Item Found",
        "In no program, nothing to do (3 lines, 2 item codes; every line is in the export)",
        f"       2  {LEASH}  Leash, red", f"       1  {TOY}  Chew Toy"]
    data = json.loads(subprocess.run(
        [cli, "failures", "list", "--json", "--config", str(config_file)],
        capture_output=True, text=True, timeout=60).stdout)
    assert data["counts"] == {"No Item Found": 1} and data["totals"]["routine_lines"] == 3
    assert [(i["item_code"], i["lines"]) for i in data["routine"]["item_codes"]] == [
        (LEASH, 2), (TOY, 1)]
    assert [r["item_code"] for r in data["transaction_failures"]] == ["850000000018"]


def test_retry_of_a_routine_line_sends_its_batch_again(journal, config, client, sandbox):
    from bridge.admin import actions

    _mixed_failures(journal, config, client)
    [leash] = [f for f in journal.failures() if f.sale_key == "demo-m2"]
    sent = sandbox.state()["calls"]["addTransactionBatch"]
    [result] = actions.retry(journal, config, lambda _store: client, [leash.id])
    assert (result.ok, result.message) == (False, "No Item Found")   # Astro, asked again
    assert sandbox.state()["calls"]["addTransactionBatch"] == sent + 1
    assert journal.get_sale("demo-m2").status == "delivered"


def test_a_period_with_more_lines_than_the_page_loads_says_so_and_the_csv_has_them_all(
        app, journal):
    # Memory of the page and of the CSV must not grow with the period's lines (a fuzz of
    # 100,000 requests grew the server by 44 MB while each page loaded every line).
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    lines = REPORT_LIMIT + CSV_BATCH + 1
    with journal.atomically():          # one time for all: the batches split on ties
        ids = [journal.record_failure("demo", "transaction", "No Item Found",
                                      reason=Reason.NO_ITEM_FOUND, sale_key=f"demo-m{i}",
                                      customer_id="SALLY-1", item_code=f"9{i:011d}", at=at)
               for i in range(lines)]
        journal.hide_failure(ids[7])                 # neither counted nor exported
        journal.mark_failure_retried(ids[8], at)
    log_in(app)
    page = app.get("/failures")
    notice = page.html.select_one("#truncated").get_text(" ", strip=True)
    assert f"The period has {lines - 2} lines: the newest {REPORT_LIMIT} are shown" in notice
    unknown = app.get("/failures", {"reason": "No such reason"})
    assert unknown.html.select("tr.failure") == [] and unknown.html.select_one("#truncated") \
        is None
    rows = list(csv.DictReader(io.StringIO(app.get("/failures.csv").text)))
    exported = [int(r["id"]) for r in rows]
    assert len(exported) == len(set(exported)) == lines - 2
    assert set(exported) == set(ids) - {ids[7], ids[8]}
    assert exported == sorted(exported, reverse=True)           # newest (then id) first
