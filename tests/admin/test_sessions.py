"""The session cookie and CSRF tokens (bridge.admin.sessions); logouts kept in a real
journal."""
import pytest

from bridge.admin.sessions import SessionManager
from bridge.journal import Journal


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def journal(tmp_path):
    global JOURNAL
    with Journal(tmp_path / "journal.db") as JOURNAL:
        yield JOURNAL


def manager(users, clock=None, secret=b"s3cret-key"):
    return SessionManager(secret, lambda: users, JOURNAL, max_age=3600,
                          clock=clock or Clock())


def test_a_session_lasts_until_it_expires():
    clock = Clock()
    m = manager({"admin": "hash-1"}, clock)
    session, cookie = m.start("admin", secure=False, path="/admin")
    assert m.current(cookie.value) == session
    clock.now += 3599
    assert m.current(cookie.value) == session
    clock.now += 2
    assert m.current(cookie.value) is None


def test_changing_the_password_or_removing_the_user_ends_the_sessions():
    users = {"admin": "hash-1"}
    m = manager(users)
    _, cookie = m.start("admin", secure=True, path="/admin")
    users["admin"] = "hash-2"
    assert m.current(cookie.value) is None
    users["admin"] = "hash-1"
    assert m.current(cookie.value) is not None
    del users["admin"]
    assert m.current(cookie.value) is None


def test_a_cookie_signed_with_another_secret_or_edited_is_refused():
    users = {"admin": "h", "root": "h"}
    _, cookie = manager(users, secret=b"other").start("admin", secure=False, path="/")
    assert manager(users).current(cookie.value) is None
    _, good = manager(users).start("admin", secure=False, path="/")
    payload, mac = good.value.split(".")
    import base64
    import json
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    assert manager(users).current(f"{forged}.{mac}") is None
    assert manager(users).current("garbage") is None and manager(users).current(None) is None


def test_csrf_tokens_belong_to_one_session():
    m = manager({"admin": "h"})
    a, _ = m.start("admin", secure=False, path="/")
    b, _ = m.start("admin", secure=False, path="/")
    assert m.csrf_ok(a, m.csrf_token(a)) and not m.csrf_ok(a, m.csrf_token(b))
    assert not m.csrf_ok(a, "") and not m.csrf_ok(None, m.csrf_token(a))


def test_cookie_flags_and_deletion():
    m = manager({"admin": "h"})
    session, cookie = m.start("admin", secure=True, path="/admin")
    header = cookie.header()
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Secure" in header
    assert "Path=/admin" in header and "Max-Age=3600" in header
    gone = m.end(session, secure=False, path="/admin")
    assert gone.value == "" and gone.max_age == 0 and "Secure" not in gone.header()
    assert m.current(cookie.value) is None


def test_no_secret_or_hash_in_reprs_or_cookies():
    m = manager({"admin": "scrypt$hash-text"}, secret=b"top-secret-key")
    session, cookie = m.start("admin", secure=False, path="/")
    for text in (repr(m), repr(cookie), repr(session), cookie.value):
        assert "top-secret-key" not in text and "hash-text" not in text


def test_a_logout_on_one_bridge_holds_on_every_bridge_of_the_journal(journal):
    clock = Clock()
    users = {"admin": "hash-1"}
    one = SessionManager(b"s3cret-key", lambda: users, journal, max_age=3600, clock=clock)
    two = SessionManager(b"s3cret-key", lambda: users, journal, max_age=3600, clock=clock)
    session, cookie = one.start("admin", secure=False, path="/admin")
    assert two.current(cookie.value) == session      # a copied cookie works on both...
    one.end(session, secure=False, path="/admin")
    assert two.current(cookie.value) is None          # ...until it is logged out on one
    clock.now += 3601                                 # gone from the journal once expired
    one.end(None, secure=False, path="/admin")
    other, _ = one.start("admin", secure=False, path="/admin")
    one.end(other, secure=False, path="/admin")
    assert not journal.session_ended(session.sid)


def test_a_cookie_whose_expiry_is_not_a_whole_number_is_no_session():
    import base64

    m = manager({"admin": "hash-1"})
    for expires in ("1e999", "1.5", "true", '"2"', "null"):
        payload = base64.urlsafe_b64encode(
            f'{{"u":"admin","s":"x","e":{expires}}}'.encode()).rstrip(b"=").decode()
        assert m.current(payload + ".sig") is None
    assert m.current("\u00e9.\u00e9") is None      # a non-ASCII signature: refused


def test_the_session_cookie_is_read_next_to_cookies_http_cookies_cannot_parse():
    from bridge.admin.sessions import read_cookie

    header = 'prefs={"k":1}; tracker="a\\"b; astro_bridge_admin=v.1; other=x'
    assert read_cookie(header, "astro_bridge_admin") == "v.1"
    assert read_cookie(header, "missing") is None and read_cookie(None, "x") is None
