"""Send again keeps the day the first sale was given, even though the journal's
printable copy of a sale keeps only the date part of a date-time."""
import re

from tests.web.conftest import SALLY, sale_key_of


def test_send_again_uses_the_day_of_the_first_sale_in_the_store_zone(bridge, sandbox):
    # 23:30 at UTC-8 is the next day in the store's zone (America/New_York).
    dated = {**SALLY, "Date": "2024-02-03T23:30:00-08:00"}
    bridge.click(dated)
    page = bridge.receipt(bridge.click(dated))
    form = dict(re.findall(r'name="(t|csrf)" value="([^"]+)"', page.text))
    key = page.url.split("/receipt/")[1].split("?")[0]
    again = bridge.http.post(f"{bridge.url}/receipt/{key}/again", data=form,
                             allow_redirects=False)
    assert again.status_code == 303 and sale_key_of(again) != key
    days = {tid.rsplit("-", 1)[0]: t["item_transaction_date"]
            for tid, t in sandbox.state()["transactions"].items()}
    assert days == {key: "2024-02-04", sale_key_of(again): "2024-02-04"}
