"""The sandbox's account page in headless Chromium, desktop and phone: it looks like the
admin pages (their header, font and buttons) and the enrol buttons stay on screen."""
from selenium.webdriver.common.by import By

from bridge.sandbox.server import SandboxServer


LOOK = (("header", "background-color"), ("header", "color"), ("body", "font-family"),
        ("body", "background-color"), ("h1", "font-size"),
        ("button:not(.secondary)", "background-color"))


def _style(browser, css: str, prop: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).value_of_css_property(prop)


def test_the_account_page_looks_like_the_admin_pages_on_desktop_and_phone(
        browser, shot, tmp_path):
    from bridge.app import create_app
    from bridge.config import demo_config
    from bridge.journal import Journal
    from bridge.web.serving import BridgeServer

    with SandboxServer() as sandbox, Journal(str(tmp_path / "journal.db")) as journal:
        app = create_app(demo_config(sandbox.api_url, journal.path), journal)
        server = BridgeServer(app, "127.0.0.1", 0).start()
        try:
            browser.get(server.url + "/admin/login")
            admin = [_style(browser, css, prop) for css, prop in LOOK]
        finally:
            server.stop(drain=1)
            app.config["bridge.web"].clients.close()
        for width, height, name in ((1400, 1000, "desktop"), (390, 844, "phone")):
            browser.set_window_size(width, height)
            browser.get(sandbox.base_url + "/_sandbox/")
            shot(name)
            assert [_style(browser, css, prop) for css, prop in LOOK] == admin
            viewport = browser.execute_script("return document.documentElement.clientWidth")
            assert browser.execute_script(
                "return document.documentElement.scrollWidth") <= viewport
            enrol = [b for b in browser.find_elements(By.TAG_NAME, "button")
                     if b.text == "Enrol the store"]
            assert enrol and all(b.rect["x"] + b.rect["width"] <= viewport for b in enrol)
