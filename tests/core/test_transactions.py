"""The transaction model (docs/architecture.md, « Data »): a page reads in a deferred transaction
and writes its traces in a short transaction after rendering; a change holds SQLite's write lock
from its first statement.

The lock tests use a fresh SQLite file and a second, raw connection to it; the order of a page's
statements holds on both engines.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import event, func, select

from casework.core import audit
from casework.core.audit import AuditEvent
from casework.extensions import db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    if os.environ.get("CASEWORK_TEST_DATABASE_URL"):
        pytest.skip("SQLite's write lock")
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    from casework.app import create_app
    from casework.setup import upgrade_schema

    path = tmp_path / "locks.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        upgrade_schema()
    app.config["TEST_DATABASE_PATH"] = str(path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def other_writer(app) -> sqlite3.Connection:
    """A second connection that gives up at once instead of waiting for the lock."""
    connection = sqlite3.connect(app.config["TEST_DATABASE_PATH"], timeout=0, isolation_level=None)
    return connection


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.no_transaction
def test_a_page_reads_without_holding_the_write_lock(sqlite_app):
    other = other_writer(sqlite_app)
    with sqlite_app.test_request_context("/dossiers/", method="GET"):
        audit_rows()
        other.execute("BEGIN IMMEDIATE")  # would raise « database is locked » under the old model
        other.execute("ROLLBACK")
        db.session.rollback()
    other.close()


@pytest.mark.no_transaction
def test_a_change_holds_the_write_lock_from_its_first_read(sqlite_app):
    other = other_writer(sqlite_app)
    with sqlite_app.test_request_context("/dossiers/", method="POST"):
        audit_rows()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
    other.close()


@pytest.mark.no_transaction
def test_a_page_records_its_read_after_another_writer_committed(sqlite_app):
    """A deferred transaction cannot write once another writer has moved past its snapshot; the
    page's trace is written in a transaction of its own, so it is not refused."""
    other = other_writer(sqlite_app)
    with sqlite_app.test_request_context("/dossiers/", method="GET"):
        before = audit_rows()  # the page's snapshot starts here
        other.execute(
            "INSERT INTO audit_events (occurred_at, action, outcome, details) "
            "VALUES ('2026-11-28 10:00:00', 'other.write', 'ok', '{}')"
        )
        audit.record(None, "cases.listed", target_type="case")
        db.session.commit()
        assert audit_rows() == before + 2
    other.close()


@pytest.mark.no_transaction
def test_a_page_records_its_trace_while_another_writer_holds_the_lock_briefly(sqlite_app):
    """The trace waits its turn under busy_timeout rather than failing."""
    import threading

    other = sqlite3.connect(
        sqlite_app.config["TEST_DATABASE_PATH"], isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    with sqlite_app.test_request_context("/dossiers/", method="GET"):
        audit_rows()
        release.start()
        audit.record(None, "cases.listed", target_type="case")
        db.session.commit()
    release.join()
    other.close()


def test_a_file_page_writes_its_audit_row_after_its_last_read(app, client, login, make_case):
    agent = login("agent")
    case = make_case(agent)
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.lstrip().upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        response = client.get(f"/dossiers/{case.id}")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert response.status_code == 200
    first_write = next(i for i, s in enumerate(statements) if s.startswith(WRITES))
    assert "INSERT INTO AUDIT_EVENTS" in statements[first_write]
    assert not [s for s in statements[first_write:] if s.startswith("SELECT")]


def test_the_statistics_job_gives_the_planner_statistics(ctx):
    """Migrations already analysed the test database: the job must bring the statistics up to
    the rows added since."""
    from sqlalchemy import text

    from casework.reminders import tasks
    from tests import helpers

    for _ in range(3):
        helpers.create_user("agent")
    users = db.session.scalar(text("SELECT count(*) FROM users"))
    if db.engine.dialect.name == "sqlite":
        counted = "SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'users'"
    else:
        counted = "SELECT reltuples FROM pg_class WHERE relname = 'users'"
    assert db.session.scalar(text(counted)) != users  # stale: the users came after
    assert tasks.statistics() == {"analysed": 1}
    assert db.session.scalar(text(counted)) == users
