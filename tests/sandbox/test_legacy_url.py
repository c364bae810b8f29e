"""The legacy query URL applies the sale to the account, as Astro did."""
import requests

from bridge.sandbox.server import SandboxServer

LOGIN = "apiusername=demo&apipassword=demo-password"


def _get(sandbox, query):
    return requests.get(f"{sandbox.legacy_url}?{query}", timeout=5)


def test_legacy_sale_punches_cards_and_earns_points(sandbox):
    page = _get(sandbox, LOGIN + "&CustomerID=SALLY-1&FirstName=Sally&LastName=Pet+Owner"
                "&UPC1=012345678905&Description1=Kibble&Qty1=2&UPC2=850000000018&Qty2=1"
                "&SubTotal=45.98")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Transaction Added" in page.text and "No Item Found" in page.text
    assert "1 of 2 items added" in page.text
    state = sandbox.state()
    [card] = state["cards"]
    assert (card["customerID"], card["astro_program_id"], card["punches"]) == (
        "SALLY-1", 101, 2)
    assert [t["pointsQty"] for t in state["points_transactions"]] == [45]
    assert state["calls"] == {"legacy": 1}


def test_legacy_login_in_one_parameter_and_post_body(sandbox):
    page = requests.post(sandbox.legacy_url, data="login=demo~demo-password&CustomerID=SALLY-1"
                         "&UPC1=WASH-SELF&Qty1=10", timeout=5,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 200
    assert "Rewards ready: Free Self-Service Dog Wash" in page.text


def test_legacy_ean13_is_punched_as_its_upc_a(sandbox):
    _get(sandbox, LOGIN + "&CustomerID=SALLY-1&UPC1=0012345678905")
    assert sandbox.state()["cards"][0]["cardPurchases"][0]["item_code"] == "012345678905"


def test_legacy_wrong_password_is_refused_without_showing_it(sandbox):
    page = _get(sandbox, "apiusername=demo&apipassword=sesame-wrong&CustomerID=SALLY-1"
                "&UPC1=WASH-SELF&SubTotal=10")
    assert page.status_code == 401 and "sesame-wrong" not in page.text
    state = sandbox.state()
    assert state["cards"] == [] and state["points_transactions"] == []


def test_legacy_new_customer_id_links_the_astro_customer_with_that_email(sandbox):
    _get(sandbox, LOGIN + "&CustomerID=POS-PAT&FirstName=Pat&Email=pat@example.com"
         "&UPC1=WASH-SELF")
    pat = next(c for c in sandbox.state()["customers"] if c["astro_customer_id"] == "1002")
    assert pat["customerID"] == "POS-PAT"


def test_legacy_unknown_customer_is_created(sandbox):
    page = _get(sandbox, LOGIN + "&CustomerID=POS-NEW&FirstName=Nia&LastName=New"
                "&Email=nia@example.com&SubTotal=12.00")
    assert "Nia New" in page.text
    nia = next(c for c in sandbox.state()["customers"] if c["customerID"] == "POS-NEW")
    assert (nia["email_address"], nia["points_balance"]) == ("nia@example.com", 12)


def test_legacy_refund_deducts_points_and_leaves_cards_alone(sandbox):
    _get(sandbox, LOGIN + "&CustomerID=SALLY-1&UPC1=WASH-SELF&Qty1=3&SubTotal=30.00")
    page = _get(sandbox, LOGIN + "&CustomerID=SALLY-1&UPC1=WASH-SELF&Qty1=1"
                "&SubTotal=10.00&Refund=1")
    assert "items stay on the cards" in page.text
    state = sandbox.state()
    assert state["cards"][0]["punches"] == 3
    assert [t["pointsQty"] for t in state["points_transactions"]] == [30, -10]


def test_legacy_invalid_query_names_the_parameter(sandbox):
    page = _get(sandbox, LOGIN + "&UPC1=WASH-SELF")
    assert page.status_code == 400 and "CustomerID" in page.text


def test_legacy_path_is_configurable(tmp_path):
    seed = (tmp_path / "seed.toml")
    from bridge.sandbox.seed import default_seed_text
    seed.write_text(default_seed_text().replace('legacy_path = "/legacy"',
                                                'legacy_path = "/cgi-bin/astro"'))
    with SandboxServer(config_path=seed) as sb:
        assert sb.legacy_url.endswith("/cgi-bin/astro")
        assert _get(sb, LOGIN + "&CustomerID=SALLY-1").status_code == 200
