"""How often a pending receipt reloads: fast in the first minute after the click, then
when the sale's next attempt is due (3 to 60 s), never every 3 s for days."""
import datetime as dt

from bridge import intake
from bridge.config import demo_config
from bridge.journal import Journal
from bridge.web.receipt import ReceiptView
from legacy_qs import parse

T0 = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.timezone.utc)


def pending_sale(tmp_path, received_at=T0):
    store = demo_config("http://127.0.0.1:9/api/json", str(tmp_path / "j.db")).store("demo")
    journal = Journal(tmp_path / "journal.db")
    sale = parse("CustomerID=SALLY-1&UPC1=012345678905&SaleID=R1")
    return journal, intake.take_in(journal, store, sale, now=received_at).sale_key


def refresh(journal, key, now):
    sale = journal.get_sale(key)
    return ReceiptView.of(sale, {}, now=now).refresh_seconds


def test_pending_receipt_reloads_every_3_s_in_the_first_minute(tmp_path):
    journal, key = pending_sale(tmp_path)
    journal.schedule_retry(key, T0 + dt.timedelta(minutes=10), "Astro down")
    assert refresh(journal, key, T0 + dt.timedelta(seconds=50)) == 3
    journal.close()


def test_later_the_reload_follows_the_next_attempt(tmp_path):
    journal, key = pending_sale(tmp_path)
    later = T0 + dt.timedelta(hours=5)
    journal.schedule_retry(key, later + dt.timedelta(seconds=20), "Astro down")
    assert refresh(journal, key, later) == 20
    journal.schedule_retry(key, later + dt.timedelta(minutes=30), "Astro down")
    assert refresh(journal, key, later) == 60
    journal.schedule_retry(key, later - dt.timedelta(seconds=5), "Astro down")   # overdue
    assert refresh(journal, key, later) == 3
    journal.close()


def test_a_finished_sale_does_not_reload(tmp_path):
    journal, key = pending_sale(tmp_path)
    journal.give_up(key, "gave up after 72 hours: Astro down")
    assert refresh(journal, key, T0 + dt.timedelta(days=3)) is None
    journal.close()
