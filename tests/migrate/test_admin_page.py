"""/admin/migration: the readiness report inside the admin app, behind its login."""
import dataclasses

import webtest

from bridge.admin import create_admin_app
from bridge.config import AdminUser
from bridge.migrate.phases import answer_legacy
from bridge.passwords import hash_password

PASSWORD = "report reader"


def _admin(config, journal):
    config = dataclasses.replace(config, admins=(AdminUser("owner",
                                                           hash_password(PASSWORD, n=2**10)),))
    app = create_admin_app(config, journal, {}, secret="test-secret")
    return webtest.TestApp(app, extra_environ={"SCRIPT_NAME": "/admin"})


def test_migration_page_needs_a_login_then_shows_the_store_verdict(
        make_config, journal, shadow, sale_query):
    config = make_config("shadow", convert_upc=False)
    store = config.stores[0]
    answer_legacy(store, sale_query, journal, shadow=shadow)
    answer_legacy(store, "apiusername=demo&apipassword=demo-password&CustomerID=NEW-1"
                  "&FirstName=Bo&LastName=Dog&UPC1=0012345678905", journal, shadow=shadow)
    assert shadow.drain(10)
    app = _admin(config, journal)

    assert app.get("/migration", status=303).location.startswith("/admin/login")
    form = app.get("/login").forms[0]
    form["username"], form["password"] = "owner", PASSWORD
    form.submit(status=303)

    page = app.get("/migration")
    assert "Migration readiness" in page.text
    section = page.html.find(id="store-demo")
    assert section.find(class_="verdict").text.strip() == "not ready"
    codes = [td.text for td in section.select("table.failing-codes td code")]
    assert codes == ["0012345678905"]
    assert "EAN-13 of the listed UPC-A 012345678905" in section.text
    assert "NEW-1" in section.find(class_="new-customers").text
    assert "demo-password" not in page.text
    assert app.get("/migration?since=2999-01-01").html.find(
        id="store-demo").find(class_="verdict").text.strip() == "not ready"
    assert app.get("/migration?store=nope", status=400)
