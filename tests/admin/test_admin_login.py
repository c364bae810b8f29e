"""Login, session cookie, CSRF and logout of the admin pages (webtest, real journal)."""
from tests.admin.conftest import ADMIN_PASSWORD, log_in


def _set_cookies(response):
    return [v for k, v in response.headerlist if k.lower() == "set-cookie"]


def test_pages_need_a_login_and_come_back_after_it(app):
    r = app.get("/failures?store=demo", status=303)
    assert "/admin/login?next=" in r.headers["Location"]
    login = r.follow()
    form = login.forms[0]
    form["username"], form["password"] = "admin", ADMIN_PASSWORD
    back = form.submit(status=303)
    assert back.headers["Location"].endswith("/admin/failures?store=demo")
    assert "Transaction Failures" in back.follow().text


def test_session_cookie_is_httponly_samesite_and_not_secure_over_http(app):
    r = log_in(app)
    [cookie] = [c for c in _set_cookies(r) if c.startswith("astro_bridge_admin=")]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(make_app):
    import webtest
    app = webtest.TestApp(make_app(), extra_environ={"SCRIPT_NAME": "/admin",
                                                     "wsgi.url_scheme": "https"})
    r = log_in(app)
    [cookie] = [c for c in _set_cookies(r) if c.startswith("astro_bridge_admin=")]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_forwarded_https_counts_only_from_a_trusted_proxy(config, journal, client):
    import dataclasses
    import ipaddress

    import webtest

    from bridge.admin import create_admin_app
    from tests.admin.conftest import fast_throttle

    headers = {"X-Forwarded-Proto": "https"}
    untrusted = webtest.TestApp(create_admin_app(config, journal, {"demo": client},
                                                 throttle=fast_throttle()),
                                extra_environ={"SCRIPT_NAME": "/admin",
                                               "REMOTE_ADDR": "10.1.2.3"})
    page = untrusted.get("/login", headers=headers)
    assert all("Secure" not in c for c in _set_cookies(page))
    trusted_config = dataclasses.replace(
        config, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    trusted = webtest.TestApp(create_admin_app(trusted_config, journal, {"demo": client},
                                               throttle=fast_throttle()),
                              extra_environ={"SCRIPT_NAME": "/admin",
                                             "REMOTE_ADDR": "10.1.2.3"})
    page = trusted.get("/login", headers=headers)
    assert all("Secure" in c for c in _set_cookies(page))


def test_wrong_password_is_refused_and_repeated_failures_are_slowed(app, clock):
    r = log_in(app, password="wrong", status=401)          # the first one is free
    assert "Wrong user or password." in r.text and "Wait" not in r.text
    assert "astro_bridge_admin=" not in " ".join(_set_cookies(r))
    r = log_in(app, password="still wrong", status=401)    # the second: 0.1 s to wait
    assert "Wait 1 second before trying again." in r.text
    early = log_in(app, status=429)                        # not even checked
    assert "Too many failed logins" in early.text and early.headers["Retry-After"] == "1"
    clock.advance(0.15)
    log_in(app)                                            # after the wait: in


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(app):
    r = log_in(app, user="nobody", password="x", status=401)
    assert "Wrong user or password" in r.text


def test_too_many_password_guesses_lock_the_address_out(app, clock):
    for n in range(5):
        log_in(app, password=f"wrong-{n}", status=401)
        clock.advance(0.21)              # wait out each delay (at most 0.2 s here)
    r = log_in(app, status=429)          # even the right password is not checked now
    assert "Too many failed logins" in r.text and int(r.headers["Retry-After"]) > 1
    clock.advance(60)                    # the lockout (60 s) is over
    log_in(app)


def test_login_form_without_its_csrf_token_is_rejected(app):
    app.get("/login")
    r = app.post("/login", {"username": "admin", "password": ADMIN_PASSWORD,
                            "csrf": "forged"}, status=403)
    assert "expired" in r.text
    app.get("/failures", status=303)     # still not logged in


def test_post_without_the_session_csrf_token_changes_nothing(app):
    log_in(app)
    r = app.post("/logout", {"csrf": "nope"}, status=403)
    assert "Nothing was changed" in r.text
    app.get("/failures", status=200)     # still logged in


def test_logout_ends_the_session_even_for_a_copied_cookie(app):
    log_in(app)
    copied = app.cookies["astro_bridge_admin"]
    page = app.get("/failures")
    page.forms["logout-form"].submit(status=303)
    app.get("/failures", status=303)
    app.set_cookie("astro_bridge_admin", copied)
    app.get("/failures", status=303)


def test_forged_session_cookie_is_not_a_session(app):
    app.set_cookie("astro_bridge_admin", "eyJ1IjoiYWRtaW4iLCJzIjoieCIsImUiOjk5OTk5OTk5OTl9.abc")
    app.get("/failures", status=303)


def test_after_login_only_a_path_inside_admin_is_followed(app):
    page = app.get("/login?next=https://evil.example/")
    form = page.forms[0]
    form["username"], form["password"] = "admin", ADMIN_PASSWORD
    assert form.submit(status=303).headers["Location"].endswith("/admin/failures")


def test_password_never_shows_on_pages_or_in_cookies(app):
    r = log_in(app, password=ADMIN_PASSWORD + "x", status=401)
    assert ADMIN_PASSWORD not in r.text
    ok = log_in(app)
    assert ADMIN_PASSWORD not in " ".join(_set_cookies(ok))
    assert ADMIN_PASSWORD not in ok.follow().text
