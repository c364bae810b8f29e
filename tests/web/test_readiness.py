"""/readyz over the real app and a real journal file: a journal that failed a COMMIT is
ready again once the cause is gone, without a restart."""
import sqlite3

import webtest

from bridge.app import create_app
from bridge.journal import Journal
from tests.conftest import demo_config_for_tests


def test_readyz_is_ready_again_once_a_failed_commit_cause_is_fixed(sandbox, tmp_path):
    config = demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db"))
    with Journal(config.journal_path) as journal:
        app = webtest.TestApp(create_app(config, journal))
        app.app.config["bridge.web"].ready_cache_seconds = 0
        assert app.get("/readyz").json == {"ready": True, "reasons": []}
        # Every COMMIT of the health check fails (a deferred foreign key it breaks is
        # checked at COMMIT), as a full disk or an I/O error would make it fail.
        with sqlite3.connect(config.journal_path) as db:
            db.executescript("""
                CREATE TABLE commit_breaker (
                    sale_key TEXT REFERENCES sales (sale_key) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER break_commit AFTER UPDATE ON health
                    BEGIN INSERT INTO commit_breaker VALUES ('no such sale'); END;""")
        failing = app.get("/readyz", status=503)
        assert failing.json["reasons"] == ["journal: cannot write"]
        with sqlite3.connect(config.journal_path) as db:
            db.executescript("DROP TRIGGER break_commit; DELETE FROM commit_breaker;")
        assert app.get("/readyz").json == {"ready": True, "reasons": []}
