"""The sandbox's account page (/_sandbox/) speaks plain words in the admin pages' look:
no field names, no literal None, the admin stylesheet."""
import re
from pathlib import Path

import requests

import bridge

FIELD_NAMES = ("astro_customer_id", "customerID", "email_address", "points_balance",
               "astro_card_id", "astro_program_title", "card_purchase_required_count",
               "astro_card_status", "transactionID", "item_qty", "pointsDescription",
               "totalPoints", "astro_redemption_id", '"seed"', "token_ttl")


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_account_page_shows_plain_words_and_no_none(sandbox, api):
    api.buy("SALLY-1", ("S1-1", "012345678905", 12), ("S1-2", "WASH-SELF", 2))
    api.ok("addPointsByDollar", {"customerID": "SALLY-1", "dollarAmount": "250.00"})
    api.ok("redeemPoints", {"customerID": "SALLY-1", "astro_points_reward_id": "501"})
    sandbox.set_faults({"next": [{"endpoint": "token", "count": 2, "fault": "status",
                                  "status": 503}]})
    page = requests.get(sandbox.base_url + "/_sandbox/", timeout=5)
    text = _text(page.text)
    assert not [name for name in FIELD_NAMES if name in page.text]
    assert not re.search(r"\bNone\b", text)
    assert "Pat Unlinked" in text and "not linked to a POS customer" in text
    assert "Buy 12 Get 1 Dog Kibble" in text and "12/12" in text
    assert "complete: reward ready" in text and "Acme Adult Dog Kibble 30 lb: ready" in text
    assert "$5 off (100 points)" in text and "-100" in text
    assert "the next 2 calls of token: status, status 503" in text
    assert 'href="/_sandbox/page.css"' in page.text


def test_the_account_page_uses_the_admin_stylesheet(sandbox):
    css = requests.get(sandbox.base_url + "/_sandbox/page.css", timeout=5)
    assert css.headers["Content-Type"].startswith("text/css")
    admin = Path(bridge.__file__).parent / "admin" / "static" / "admin.css"
    assert css.text.startswith(admin.read_text(encoding="utf-8"))


def test_an_empty_account_says_so_in_words(sandbox):
    text = _text(requests.get(sandbox.base_url + "/_sandbox/", timeout=5).text)
    assert "No cards yet" in text and "No purchases yet" in text
    assert "None: every call is answered normally." in text
