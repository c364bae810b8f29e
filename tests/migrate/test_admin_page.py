"""/admin/migration: the readiness report in the admin pages of the bridge's web app,
behind the admin login."""
import dataclasses

import webtest

from bridge.config import AdminUser
from bridge.migrate.phases import answer_legacy
from bridge.passwords import hash_password
from bridge.app import create_app
from tests.conftest import TEST_HASH_N

PASSWORD = "report reader"


def test_migration_page_needs_a_login_then_shows_the_store_verdict(
        make_config, journal, shadow, sale_query):
    config = make_config("shadow", convert_upc=False)
    store = config.stores[0]
    answer_legacy(store, sale_query, journal, shadow=shadow)
    answer_legacy(store, "apiusername=demo&apipassword=demo-password&CustomerID=NEW-1"
                  "&FirstName=Bo&LastName=Dog&UPC1=0012345678905", journal, shadow=shadow)
    assert shadow.drain(10)
    config = dataclasses.replace(config, admins=(
        AdminUser("owner", hash_password(PASSWORD, n=TEST_HASH_N)),))
    app = webtest.TestApp(create_app(config, journal))

    assert "/admin/login" in app.get("/admin/migration", status=303).location
    form = app.get("/admin/login").forms[0]
    form["username"], form["password"] = "owner", PASSWORD
    form.submit(status=303)

    page = app.get("/admin/migration")
    assert "Migration readiness" in page.text
    section = page.html.find(id="store-demo")
    assert section.find(class_="verdict").text.strip() == "not ready"
    codes = [td.text for td in section.select("table.failing-codes td code")]
    assert codes == ["0012345678905"]
    assert "EAN-13 of the listed UPC-A 012345678905" in section.text
    assert "NEW-1" in section.find(class_="new-customers").text
    assert "demo-password" not in page.text
    later = app.get("/admin/migration?since=2999-01-01").html.find(id="store-demo")
    assert "no sales seen yet" in later.text
    app.get("/admin/migration?store=nope", status=400)
