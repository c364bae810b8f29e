"""The journal's contract, on a real SQLite file and on a real PostgreSQL database
(`journal_location` runs each test once per backend): idempotency, double clicks,
leases, exact times; and what only SQLite files have (durability settings, old files
migrated)."""
import contextlib
import datetime as dt
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bridge.config import AstroLogin, Store
from bridge.journal import DONE, PENDING, UNCERTAIN, Journal, JournalError
from bridge.reasons import Reason
from bridge.translate import fingerprint, plan_sale, sale_key_for
from legacy_qs import parse
from tests.clock import wait_until

STORE = Store(id="main", name="Main", astro=AstroLogin("http://127.0.0.1:9/api/json", "u", None, "c"))
T0 = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.timezone.utc)
QS = "CustomerID=C-1&UPC1=012345678905&Qty1=2&SubTotal=20.00&apiusername=front&apipassword=Pw-Secret-991"


@pytest.fixture
def journal(journal_location):
    with Journal(journal_location) as j:
        yield j


def record(journal, query=QS, at=T0, force_new=False, phase="rest", window=120):
    sale = parse(query)
    key = sale_key_for(STORE, sale) or journal.new_sale_key(STORE.id)
    plan = plan_sale(sale, STORE, key, today=at.date())
    return journal.record_sale(STORE.id, sale, plan, fingerprint(sale, STORE), at, phase,
                               dedupe_window=window, force_new=force_new)


def test_recorded_sale_keeps_plan_and_pending_steps(journal):
    result = record(journal)
    assert result.created
    sale = journal.get_sale(result.sale_key)
    assert sale.status == "pending"
    assert [s.kind for s in sale.steps] == ["customer", "transactions", "points"]
    assert {s.state for s in sale.steps} == {PENDING}
    assert sale.plan.steps[1].lines[0].transaction_id == f"{result.sale_key}-1"
    assert sale.sale["customer"]["id"] == "C-1"
    assert sale.received_at == T0
    assert journal.due_sales(T0, 10) == [result.sale_key]


def test_same_sale_id_is_one_sale(journal):
    first = record(journal, QS + "&SaleID=900")
    again = record(journal, QS + "&SaleID=900", at=T0 + dt.timedelta(days=3))
    assert first == type(first)("main-900", True)
    assert again == type(first)("main-900", False)
    assert len(journal.sales()) == 1


def test_same_sale_id_with_other_contents_is_a_conflict_and_not_recorded(journal):
    first = record(journal, QS + "&SaleID=901")
    other = record(journal, QS.replace("Qty1=2", "Qty1=3") + "&SaleID=901")
    same = record(journal, QS + "&SaleID=901")
    assert other.sale_key == "main-901" and not other.created and other.conflict
    assert not same.conflict and not first.conflict
    assert journal.get_sale("main-901").plan.steps[1].lines[0].qty == 2


def test_double_click_without_sale_id_returns_the_first_sale(journal):
    first = record(journal)
    second = record(journal, at=T0 + dt.timedelta(seconds=30))
    assert second.sale_key == first.sale_key and not second.created


def test_same_sale_after_the_window_is_a_new_sale(journal):
    first = record(journal)
    later = record(journal, at=T0 + dt.timedelta(seconds=121))
    assert later.created and later.sale_key != first.sale_key


def test_send_again_as_new_sale_overrides_the_window(journal):
    first = record(journal)
    again = record(journal, at=T0 + dt.timedelta(seconds=5), force_new=True)
    assert again.created and again.sale_key != first.sale_key
    assert len(journal.sales()) == 2


def test_concurrent_record_from_five_threads_creates_one_sale(journal_location):
    path = journal_location
    Journal(path).close()
    results, barrier = [], threading.Barrier(5)
    journals = [Journal(path) for _ in range(5)]

    def click(j):
        barrier.wait()
        results.append(record(j))

    threads = [threading.Thread(target=click, args=(j,)) for j in journals]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 5
    assert sum(r.created for r in results) == 1
    assert len({r.sale_key for r in results}) == 1
    assert len(journals[0].sales()) == 1
    for j in journals:
        j.close()


def test_one_journal_shared_by_threads_claims_a_sale_once(journal):
    key = record(journal).sale_key
    wins, barrier = [], threading.Barrier(5)

    def grab(i):
        barrier.wait()
        wins.append(journal.claim_sale(key, f"w{i}"))

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(wins) == [False, False, False, False, True]


def test_claim_lease_blocks_others_until_released_or_expired(journal_location):
    with Journal(journal_location, lease_seconds=0.3) as journal:
        key = record(journal).sale_key
        assert journal.claim_sale(key, "web-1")
        assert not journal.claim_sale(key, "worker")
        assert journal.due_sales(T0, 10) == []
        time.sleep(0.4)                          # not renewed: the lease runs out
        assert journal.due_sales(T0, 10) == [key]
        assert journal.claim_sale(key, "worker")
        journal.release_sale(key, "worker")
        assert journal.claim_sale(key, "web-1")


def test_a_held_sale_stays_held_while_its_holder_works(journal_location):
    with Journal(journal_location, lease_seconds=0.6) as journal:
        key = record(journal).sale_key
        with journal.holding(key, "worker-1") as held:
            assert held
            time.sleep(1.5)                      # 2.5 lease lengths: the heartbeat renews
            assert not journal.claim_sale(key, "worker-2")
            assert journal.due_sales(T0, 10) == []
            assert journal.still_holding(key, "worker-1")
        assert journal.claim_sale(key, "worker-2")      # released at the end of the block


def test_a_lease_taken_over_tells_its_old_holder(journal_location):
    path = journal_location
    with Journal(path, lease_seconds=0.3) as journal, Journal(path) as other:
        key = record(journal).sale_key
        with journal.holding(key, "paused") as held:
            assert held
            # The holder's process stalls: its lease runs out and another takes the sale.
            other.release_sale(key, "paused")
            assert other.claim_sale(key, "other")
            time.sleep(0.3)
            assert not journal.still_holding(key, "paused")


def test_sale_survives_reopening_the_journal(journal_location):
    path = journal_location
    with Journal(path) as j:
        key = record(j).sale_key
        j.mark_step_done(key, 0, {"astro_customer_id": "A-1"})
        j.remember_customer("main", "C-1", "A-1")
        signing = j.secret("secret_key")
    with Journal(path) as j:
        sale = j.get_sale(key)
        assert [s.state for s in sale.steps] == [DONE, PENDING, PENDING]
        assert sale.steps[0].result == {"astro_customer_id": "A-1"}
        assert j.known_customer("main", "C-1") == "A-1"
        assert j.secret("secret_key") == signing
        assert j.health_check()


def test_no_password_anywhere_in_the_journal_files(tmp_path):   # (SQLite: its files)
    path = tmp_path / "journal.db"
    with Journal(path) as j:
        key = record(j).sale_key
        record(j, "login=front~Pw-Secret-991&CustomerID=C-2&UPC1=WASH-SELF&SaleID=5")
        j.mark_step_failed(key, 1, "addTransactionBatch: Incomplete Request")
        # Read while still open so the WAL file is checked too.
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"Pw-Secret-991" not in stored
    assert b"front" in stored          # the username is fine to keep


def test_sale_status_follows_its_steps(journal):
    key = record(journal).sale_key
    journal.mark_step_done(key, 0)
    journal.mark_step_done(key, 1, {"lines": []}, problems=1)
    journal.mark_step_uncertain(key, 2, "addPointsByDollar: read timeout", {"snapshot": {}})
    assert journal.get_sale(key).status == "pending"
    assert [s.n for s in journal.pending_steps(key)] == [2]
    assert journal.get_sale(key).steps[2].state == UNCERTAIN
    journal.mark_step_done(key, 2)
    assert journal.get_sale(key).status == "partial"      # a line was refused
    assert journal.due_sales(T0 + dt.timedelta(days=1), 10) == []


def test_the_sale_a_write_gives_back_is_what_a_read_gives(journal):
    # The delivery goes on with these instead of reading the sale back (fewer statements
    # per click): they must be exactly what a read gives, the status included.
    recorded = record(journal)
    key, sale = recorded.sale_key, recorded.sale
    assert sale == journal.get_sale(key)
    for move in (lambda: journal.mark_step_done(key, 0, {"how": "known"}),
                 lambda: journal.mark_step_uncertain(key, 2, "sending", {"a": 1}),
                 lambda: journal.mark_step_done(key, 1, {"lines": []}),
                 lambda: journal.mark_step_done(key, 2, {"points": 3}),
                 # back to pending from delivered: the status follows
                 lambda: journal.mark_step_pending(key, 2, None, "not awarded"),
                 lambda: journal.mark_step_failed(key, 2, "refused")):
        sale = sale.after(move())
        assert sale == journal.get_sale(key)
    assert sale.status == "partial" and sale.next_attempt_at is None


def test_a_receipt_stored_with_the_hold_gives_the_sale_back_in_the_same_write(journal):
    key = record(journal).sale_key
    with journal.holding(key, "web-1") as hold:
        assert not journal.claim_sale(key, "worker")
        before = journal.commits
        journal.set_receipt(key, {"status": "delivered"}, hold=hold)
        assert journal.commits == before + 1
        assert journal.claim_sale(key, "worker")       # given back with the receipt
    assert journal.get_sale(key).receipt == {"status": "delivered"}
    assert not journal.claim_sale(key, "web-1")        # the block's end released nothing
    journal.set_receipt(key, {"status": "later"}, hold=hold)
    assert not journal.claim_sale(key, "web-1")        # a hold given back gives nothing


def test_reads_inside_reading_are_one_transaction_and_writes_are_refused(journal):
    key = record(journal).sale_key
    before = journal.reads
    with journal.reading():
        assert journal.get_sale(key).status == "pending"
        assert journal.redemptions_of_sale(key) == []
        with pytest.raises(RuntimeError, match="write inside `reading`"):
            journal.mark_step_done(key, 0)
    assert journal.reads == before + 1
    assert journal.get_sale(key).steps[0].state == PENDING


def test_failed_customer_fails_the_sale_and_retry_reopens_it(journal):
    key = record(journal).sale_key
    for n in range(3):
        journal.mark_step_failed(key, n, "addCustomer: Incomplete Request")
    assert journal.get_sale(key).status == "failed"
    assert journal.retry_sale(key, T0)
    sale = journal.get_sale(key)
    assert sale.status == "pending" and {s.state for s in sale.steps} == {PENDING}
    assert journal.due_sales(T0, 10) == [key]


def test_all_steps_done_is_delivered(journal):
    key = record(journal).sale_key
    for n in range(3):
        journal.mark_step_done(key, n)
    assert journal.get_sale(key).status == "delivered"


def test_schedule_retry_and_give_up(journal):
    key = record(journal).sale_key
    journal.schedule_retry(key, T0 + dt.timedelta(minutes=5), "customerStatus: HTTP 503")
    assert journal.due_sales(T0 + dt.timedelta(minutes=4), 10) == []
    assert journal.due_sales(T0 + dt.timedelta(minutes=5), 10) == [key]
    sale = journal.get_sale(key)
    assert sale.attempts == 1 and sale.last_error == "customerStatus: HTTP 503"
    given_up = journal.give_up(key, "older than 72 hours")
    assert [s.n for s in given_up] == [0, 1, 2]
    assert journal.get_sale(key).status == "given_up"
    assert journal.due_sales(T0 + dt.timedelta(days=9), 10) == []


def test_passthrough_sale_is_recorded_but_never_due(journal):
    key = record(journal, phase="passthrough").sale_key
    sale = journal.get_sale(key)
    assert sale.status == "passthrough" and {s.state for s in sale.steps} == {"skipped"}
    assert journal.due_sales(T0 + dt.timedelta(days=1), 10) == []


def test_failure_report_filters_and_hides(journal):
    first = journal.record_failure(
        "main", "transaction", "No Item Found", reason=Reason.NO_ITEM_FOUND,
        sale_key="main-1", customer_id="C-1",
        item_code="850000000018", description="Cat toy", transaction_id="main-1-2",
        endpoint="addTransactionBatch", status_code=None, at=T0)
    journal.record_failure("east", "points", "could not tell", reason=Reason.POINTS_UNCERTAIN,
                           at=T0 + dt.timedelta(hours=1))
    rows = journal.failures(store="main")
    assert [(f.id, f.item_code, f.description, f.transaction_id, f.kind, f.at) for f in rows] == [
        (first, "850000000018", "Cat toy", "main-1-2", "transaction", T0)]
    assert [f.store_id for f in journal.failures()] == ["east", "main"]
    assert [f.store_id for f in journal.failures(since=T0 + dt.timedelta(minutes=1))] == ["east"]
    assert [f.store_id for f in journal.failures(reason=Reason.NO_ITEM_FOUND)] == ["main"]
    assert [f.reason for f in journal.failures()] == [Reason.POINTS_UNCERTAIN,
                                                      Reason.NO_ITEM_FOUND]
    assert journal.hide_failure(first)
    assert journal.failures(store="main") == []
    assert journal.failures(store="main", include_hidden=True)[0].hidden


def test_what_astro_lists_is_kept_per_store_with_when_it_said_so(tmp_path):
    from bridge.reasons import Program

    seed = Program("104", "Buy 6 Get 1 Bird Seed", "Songbird Feeds")
    with Journal(tmp_path / "j.db") as journal:
        journal.remember_item_programs("main", {"850000000018": (seed,),
                                                "400000000002": ()}, T0)
        journal.remember_store_programs("main", [Program("101", "Kibble")], T0)
        later = T0 + dt.timedelta(hours=1)
        journal.remember_item_programs("main", {"400000000002": (seed,)}, later)
    with Journal(tmp_path / "j.db") as journal:      # kept in the file
        known = journal.item_programs("main", ["850000000018", "400000000002", "X"])
        assert known.listed == {"850000000018": (seed,), "400000000002": (seed,)}
        assert known.asked_at == {"850000000018": T0, "400000000002": later}
        assert (known.enrolled, known.enrolled_asked_at) == (frozenset({"101"}), T0)
        other = journal.item_programs("east", ["850000000018"])
        assert (other.listed, other.enrolled) == ({}, None)


def test_item_codes_of_the_reports_lines_of_a_reason(journal):
    for store, code in (("main", "A"), ("main", "A"), ("main", "B"), ("east", "A")):
        journal.record_failure(store, "transaction", "No Item Found", item_code=code,
                               reason=Reason.NO_ITEM_FOUND, at=T0)
    hidden = journal.record_failure("main", "transaction", "No Item Found", item_code="C",
                                    reason=Reason.NO_ITEM_FOUND, at=T0)
    journal.hide_failure(hidden)
    journal.record_failure("main", "transaction", "x", item_code="D",
                           reason=Reason.REFUSED, at=T0)
    assert journal.failed_item_codes(Reason.NO_ITEM_FOUND, T0) == {"main": {"A", "B"},
                                                                   "east": {"A"}}
    assert journal.failed_item_codes(Reason.NO_ITEM_FOUND, T0 + dt.timedelta(1)) == {}


def test_new_sale_keys_sort_by_time_and_never_repeat(journal):
    keys = [journal.new_sale_key("main") for _ in range(200)]
    assert len(set(keys)) == 200
    assert all(k.startswith("main-B") for k in keys)


def test_customer_cache_is_per_store(journal):
    journal.remember_customer("main", "C-1", "A-77")
    assert journal.known_customer("main", "C-1") == "A-77"
    assert journal.known_customer("east", "C-1") is None


def test_forgotten_customer_is_no_longer_known(journal):
    journal.remember_customer("main", "C-1", "A-77")
    journal.remember_customer("east", "C-1", "A-78")
    assert journal.forget_customer("main", "C-1") is True
    assert journal.known_customer("main", "C-1") is None
    assert journal.known_customer("east", "C-1") == "A-78"
    assert journal.forget_customer("main", "C-1") is False


def test_journal_times_must_carry_a_time_zone(journal):
    with pytest.raises(ValueError):
        record(journal, at=T0.replace(tzinfo=None))



def test_retried_failure_lines_are_remembered(journal):
    old = journal.record_failure("main", "transaction", "No Item Found",
                                 reason=Reason.NO_ITEM_FOUND, at=T0 - dt.timedelta(days=40))
    new = journal.record_failure("main", "transaction", "No Item Found",
                                 reason=Reason.NO_ITEM_FOUND, at=T0)
    assert journal.retried_failure_ids() == set()
    assert journal.mark_failure_retried(old, T0) and journal.mark_failure_retried(new, T0)
    assert not journal.mark_failure_retried(999, T0)
    assert journal.retried_failure_ids() == {old, new}
    assert journal.retried_failure_ids(since=T0 - dt.timedelta(days=30)) == {new}
    assert journal.failures(store="main")[0].retried_at == T0


def test_a_journal_file_is_migrated_by_the_steps_added_since(tmp_path, monkeypatch):
    import sqlite3

    from bridge.journal import schema
    path = tmp_path / "old.db"
    with Journal(path) as j:
        j.record_failure("main", "points", "x", reason=Reason.POINTS_UNCERTAIN, at=T0)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, ["CREATE TABLE later (x TEXT)"]])
    with Journal(path) as j:
        [f] = j.failures()
        assert f.message == "x" and f.retried_at is None
        assert j.mark_failure_retried(f.id, T0)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM later").fetchone()[0] == 0
    conn.close()


def test_a_failure_is_recorded_with_its_reason_and_only_a_known_one(journal):
    with pytest.raises(TypeError):               # no reason: refused, nothing recorded
        journal.record_failure("main", "transaction", "No Item Found")
    with pytest.raises(ValueError):
        journal.record_failure("main", "transaction", "x", reason="Bad luck")
    # The reason is what the caller said, whatever the message says.
    journal.record_failure("main", "transaction", "No Item Found", reason=Reason.GIVEN_UP)
    [f] = journal.failures()
    assert f.reason is Reason.GIVEN_UP
    assert journal.failures(reason=Reason.NO_ITEM_FOUND) == []


def test_failures_of_an_older_journal_get_their_reason_once(tmp_path):
    import sqlite3

    from bridge.journal import MIGRATIONS
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)           # a journal as the release before reasons made it
    for step in MIGRATIONS[:2]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    old = [("transaction", "No Item Found"), ("points", "points may or may not have been "
                                              "awarded (the answer was lost)"),
           ("transaction", "SaleID 7 was already used for a different sale; this sale was "
                           "NOT sent"),
           ("customer", "Astro refused to add POS customer C-9: Duplicate email"),
           ("transaction", "gave up after 72 hours: addTransactionBatch: HTTP 503"),
           ("redemption", "Missing Required Customer Information: customer_email_address")]
    conn.executemany("INSERT INTO failures (store_id, at, message, kind) VALUES (?, ?, ?, ?)",
                     [("main", T0.timestamp() + i, message, kind)
                      for i, (kind, message) in enumerate(old)])
    conn.commit()
    conn.close()
    with Journal(path) as j:
        assert [f.reason for f in reversed(j.failures())] == [
            Reason.NO_ITEM_FOUND, Reason.POINTS_UNCERTAIN, Reason.SALE_ID_REUSED,
            Reason.CUSTOMER_REFUSED, Reason.GIVEN_UP, Reason.MISSING_EMAIL]
        first = j.failures()[-1].id
    conn = sqlite3.connect(path)           # the migration ran once: it is not run again
    conn.execute("UPDATE failures SET reason = ? WHERE id = ?", (Reason.REFUSED.value, first))
    conn.commit()
    conn.close()
    with Journal(path) as j:
        assert j.failures()[-1].reason is Reason.REFUSED


def test_what_older_replays_staged_in_the_journal_is_dropped_once_opened(tmp_path):
    import sqlite3

    from bridge.journal import MIGRATIONS
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path)           # a journal of the release that staged replays
    for step in MIGRATIONS[:4]:
        for statement in step:
            if not callable(statement):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO replay_stage (run_id, seq, grp, unit, customer, day, file, line)"
                 " VALUES ('replay-1', 1, 's:1', 0, 'C1', '2025-01-01', 'a.csv', 2)")
    conn.commit()
    conn.close()
    Journal(path).close()
    conn = sqlite3.connect(path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "replay_stage" not in tables and "replay_order" not in tables
    assert "sales" in tables


def test_a_journal_file_newer_than_this_code_is_refused(tmp_path):
    import sqlite3

    from bridge.journal import MIGRATIONS, JournalError
    path = tmp_path / "new.db"
    Journal(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(JournalError, match="newer than this astro-bridge"):
        Journal(path)


def _break_commits(path, table):
    """Make every COMMIT that wrote to `table` fail, the way SQLite fails a COMMIT: a
    deferred foreign key, checked at COMMIT, that the write leaves broken."""
    with sqlite3.connect(path) as db:
        db.executescript(f"""
            CREATE TABLE commit_breaker (
                sale_key TEXT REFERENCES sales (sale_key) DEFERRABLE INITIALLY DEFERRED);
            CREATE TRIGGER break_insert AFTER INSERT ON {table}
                BEGIN INSERT INTO commit_breaker VALUES ('no such sale'); END;
            CREATE TRIGGER break_update AFTER UPDATE ON {table}
                BEGIN INSERT INTO commit_breaker VALUES ('no such sale'); END;""")


def _mend_commits(path):
    with sqlite3.connect(path) as db:
        db.executescript("DROP TRIGGER break_insert; DROP TRIGGER break_update;"
                         " DELETE FROM commit_breaker;")


def test_a_failed_commit_keeps_nothing_says_so_and_the_journal_goes_on(tmp_path):
    path = tmp_path / "journal.db"
    with Journal(path) as journal:
        _break_commits(path, "failures")
        with pytest.raises(JournalError, match="nothing of it was kept"):
            journal.record_failure("main", "transaction", "No Item Found",
                                   reason=Reason.NO_ITEM_FOUND, sale_key="main-1")
        assert journal.failures() == []
        # The same thread's next writes work (the connection is not left in the failed
        # transaction), before and after the cause is fixed.
        key = record(journal).sale_key
        journal.mark_step_done(key, 0, {"astro_customer_id": "A-1"})
        _mend_commits(path)
        journal.record_failure("main", "transaction", "No Item Found",
                               reason=Reason.NO_ITEM_FOUND, sale_key=key)
        assert [f.sale_key for f in journal.failures()] == [key]
        assert journal.get_sale(key).steps[0].state == DONE


def test_commits_are_on_disk_when_they_return(tmp_path):
    with Journal(tmp_path / "journal.db") as journal:
        journal.health_check()
        # 2 = FULL: with WAL and NORMAL, a power cut can lose the last commits.
        with journal._read() as conn:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_the_wal_is_checkpointed_by_a_thread_of_its_own_not_by_a_commit(tmp_path):
    path = tmp_path / "journal.db"
    with Journal(path) as journal:
        with journal._read() as conn:    # a commit never copies the WAL itself
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        keys = [record(journal, QS + f"&SaleID=CP-{n}").sale_key for n in range(20)]

        def in_the_database_file():
            # The database file alone, without its WAL: what was checkpointed.
            alone = tmp_path / "alone.db"
            alone.write_bytes(path.read_bytes())
            try:
                with contextlib.closing(sqlite3.connect(alone)) as db:
                    return db.execute("SELECT count(*) FROM sales").fetchone()[0] == len(keys)
            except sqlite3.Error:     # not there yet (or copied in the middle of a pass)
                return False
        wait_until(in_the_database_file, "the sales checkpointed into the database file")


def test_journal_calls_inside_atomically_are_one_commit(journal):
    key = record(journal).sale_key
    before = journal.commits
    with journal.atomically():
        assert journal.claim_sale(key, "me")
        journal.mark_step_done(key, 0, {"how": "known"})
        journal.remember_customer("main", "C-1", "1001")
    assert journal.commits == before + 1
    sale = journal.get_sale(key)
    assert sale.steps[0].state == DONE and journal.known_customer("main", "C-1") == "1001"


def test_a_failure_inside_atomically_keeps_none_of_it(journal):
    key = record(journal).sale_key
    with pytest.raises(RuntimeError):
        with journal.atomically():
            journal.mark_step_done(key, 0, {"how": "known"})
            journal.remember_customer("main", "C-1", "1001")
            raise RuntimeError("the round's results could not be read")
    assert journal.get_sale(key).steps[0].state == PENDING
    assert journal.known_customer("main", "C-1") is None


def test_a_lease_released_in_the_last_commit_is_not_released_again(journal):
    key = record(journal).sale_key
    assert journal.claim_sale(key, "me")
    with journal.holding(key, "me", claimed=True) as hold:
        assert hold
        with journal.atomically():
            journal.mark_step_done(key, 0, {"how": "known"})
            hold.release()
        commits = journal.commits
    assert journal.commits == commits                  # nothing written at the block's end
    assert journal.claim_sale(key, "someone else")


def test_a_refused_customer_is_sent_again_with_the_customer_corrected(journal):
    from dataclasses import replace
    from legacy_qs.model import Customer
    key = record(journal).sale_key
    journal.mark_step_failed(key, 0, "Astro refused to add POS customer C-1")
    journal.mark_step_failed(key, 1, "the customer could not be linked in Astro")
    sale = journal.get_sale(key)
    named = Customer(id="C-1", first_name="Cy", last_name="Named")
    plan = replace(sale.plan, steps=(replace(sale.plan.steps[0], customer=named),
                                     *sale.plan.steps[1:]))
    assert journal.retry_with_customer(key, {"id": "C-1", "first_name": "Cy",
                                             "last_name": "Named"}, plan)
    again = journal.get_sale(key)
    assert again.status == "pending" and [s.state for s in again.steps][:2] == [PENDING] * 2
    assert again.plan.steps[0].customer == named and again.sale["customer"]["first_name"] == "Cy"
    assert again.plan.transaction_ids() == sale.plan.transaction_ids()
    assert not journal.retry_with_customer(key, {"id": "C-1"}, plan)   # nothing failed now


def test_a_bulk_job_leaves_the_write_lock_free_for_others_between_its_writes(tmp_path):
    """A replay writes with yield_writes: after each of its write transactions the lock
    stays free as long as it was held, and a writer waiting meanwhile gets it then,
    before the bulk job's next write (SQLite itself would hand it to either)."""
    path = tmp_path / "journal.db"
    with Journal(path, yield_writes=True) as bulk, Journal(path) as bridge:
        started = threading.Event()

        def bulk_job():
            with bulk.atomically():
                started.set()
                record(bulk, QS + "&SaleID=J1")
                time.sleep(0.5)               # a long write: the click waits for it
            record(bulk, QS + "&SaleID=J2")

        job = threading.Thread(target=bulk_job)
        job.start()
        started.wait()
        record(bridge, QS + "&SaleID=CLICK")     # waits for the lock, then gets it
        job.join()
    conn = sqlite3.connect(path)
    written = [key for (key,) in conn.execute("SELECT sale_key FROM sales ORDER BY rowid")]
    conn.close()
    assert written == ["main-J1", "main-CLICK", "main-J2"]


def test_threads_share_journal_connections_live_or_ended(tmp_path):
    # A server has 32 threads or more and starts short-lived ones (a receipt's refresh,
    # the lease keeper). A connection each held files and a page cache each, for the
    # life of the process: they take turns on as many as there are transactions at once.
    with Journal(str(tmp_path / "threads.db")) as journal:
        record(journal)

        def read():
            journal.get_sale(journal.sales()[0].sale_key)

        def open_files() -> int:
            return sum(1 for p in Path("/proc/self/fd").iterdir()
                       if p.resolve().name.startswith("threads.db"))

        read()
        before = open_files()
        for _ in range(60):
            t = threading.Thread(target=read)
            t.start()
            t.join()
        assert open_files() <= before + 4
        done, turn, have_read = threading.Event(), threading.Lock(), []

        def read_and_stay():
            with turn:                  # one at a time, each staying alive after
                read()
                have_read.append(1)
            done.wait(30)

        alive = [threading.Thread(target=read_and_stay) for _ in range(40)]
        for t in alive:
            t.start()
        try:
            deadline = time.monotonic() + 30
            while len(have_read) < len(alive) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(have_read) == len(alive)
            assert open_files() <= before + 4
        finally:
            done.set()
            for t in alive:
                t.join()
