"""Receipt and CSRF tokens are bound to the sale key and to the secret."""
from bridge.webbase.tokens import Signer


def test_receipt_token_opens_only_its_own_sale():
    s = Signer(b"k1")
    t = s.receipt_token("demo-42")
    assert s.receipt_token_ok("demo-42", t)
    assert not s.receipt_token_ok("demo-43", t)
    assert not s.receipt_token_ok("demo-42", None)
    assert not Signer(b"k2").receipt_token_ok("demo-42", t)
    assert "k1" not in repr(s)


def test_csrf_token_expires():
    now = [5000.0]
    s = Signer(b"k", clock=lambda: now[0], csrf_max_age=60)
    t = s.csrf_token("demo-1")
    assert s.csrf_token_ok("demo-1", t) and not s.csrf_token_ok("demo-2", t)
    now[0] += 61
    assert not s.csrf_token_ok("demo-1", t)
    assert not s.csrf_token_ok("demo-1", "garbage")


def test_tokens_of_any_text_are_refused_not_raised():
    now = [5000.0]
    s = Signer(b"k", clock=lambda: now[0])
    issued = s.csrf_token("demo-1").split(".")[0]
    for token in ("\u00e9", "\u00b2.x", "9" * 5000 + ".x", f"{issued}.\u00e9\u00e9", "", None):
        assert not s.receipt_token_ok("demo-1", token)
        assert not s.csrf_token_ok("demo-1", token)
