"""What every page carries, the builder, health checks, and secrets kept out of sight."""
import glob
import re
from pathlib import Path

from tests.web.conftest import SALLY

EVERY_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def test_every_page_sets_the_privacy_and_security_headers(bridge):
    answers = [bridge.click(), bridge.http.get(bridge.url + "/"),
               bridge.http.get(bridge.url + "/static/bridge.css"),
               bridge.http.get(bridge.url + "/healthz"),
               bridge.http.get(bridge.url + "/no/such/page"),
               bridge.click({**SALLY, "Qty1": "x"}),
               bridge.click({**SALLY, "apipassword": "wrong"})]
    answers.append(bridge.receipt(answers[0]))
    assert [a.status_code for a in answers] == [303, 200, 200, 200, 404, 400, 401, 200]
    for answer in answers:
        for name, value in EVERY_PAGE_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, name)
        csp = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'none'" in csp


def test_pages_load_nothing_from_other_hosts_and_fit_a_phone(bridge):
    for page in (bridge.receipt(bridge.click()), bridge.http.get(bridge.url + "/")):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
        assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_customer_text_is_escaped(bridge):
    page = bridge.receipt(bridge.click(FirstName="<script>alert(1)</script>"))
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_builder_makes_a_button_url_without_ever_asking_for_the_password(bridge):
    home = bridge.http.get(bridge.url + "/")
    assert "Astro button URL" in home.text and 'type="password"' not in home.text
    built = bridge.http.get(bridge.url + "/button", params={
        "build": "1", "host": "pos-bridge.example.com", "username": "front desk",
        "field": ["Email", "SaleID"], "lines": "2"})
    assert built.status_code == 200
    assert ("https://pos-bridge.example.com/?apiusername=front%20desk&amp;"
            "apipassword={PASSWORD}&amp;CustomerID={CustomerID}&amp;Email={Email}") in built.text
    assert "UPC2={UPC2}" in built.text and "UPC3" not in built.text
    bad = bridge.http.get(bridge.url + "/button", params={"build": "1", "username": "x",
                                                          "host": "ftp://nope"})
    assert "host: is not a web address" in bad.text


def test_healthz_and_readyz(bridge, sandbox):
    assert bridge.http.get(bridge.url + "/healthz").json() == {"status": "ok"}
    ready = bridge.http.get(bridge.url + "/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "reasons": []}
    bridge.app.config["bridge.web"].ready_cache_seconds = 0
    sandbox.set_faults({"next": [{"endpoint": "token", "count": 5, "fault": "status",
                                  "status": 503}]})
    not_ready = bridge.http.get(bridge.url + "/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["reasons"] == ["store demo: Astro login failed (NotSent)"]


def test_no_secret_in_the_journal_logs_or_pages(bridge, sandbox, caplog):
    sandbox.set_faults({"next": [{"endpoint": "addPointsByDollar", "count": 1,
                                  "fault": "drop"}]})
    pages = []
    answer = bridge.click()
    pages += [answer, bridge.receipt(answer), bridge.receipt(answer, json=True)]
    bridge.wait_status(answer.headers["Location"].split("/receipt/")[1].split("?")[0])
    pages += [bridge.receipt(answer), bridge.click({**SALLY, "Qty1": "x"}),
              bridge.click({**SALLY, "apipassword": "demo-buttonX"}),
              bridge.click(method="POST", login="demo~demo-button", SaleID="P1")]
    tokens = sandbox.app.sandbox.tokens.values()           # the Astro tokens issued
    assert tokens
    secrets = ["demo-button", "demo-password", *tokens]
    bridge.journal.close()                                 # flush the WAL into the file
    stored = b"".join(Path(f).read_bytes() for f in glob.glob(bridge.config.journal_path + "*"))
    logged = caplog.text
    shown = "".join(p.text + str(p.headers) for p in pages)
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in logged
        assert secret not in shown
