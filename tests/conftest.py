"""Fixtures: one schema per test session (through the migrations), one rolled-back transaction
per test, factories, a login helper and an SQL query counter.

Set CASEWORK_TEST_DATABASE_URL to run on PostgreSQL; SQLite in a temporary folder otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, delete, event, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import helpers

# The tests' « today » is Québec's, like the application's (core.time.local_today, whatever the
# server's zone): on a machine in UTC, date.today() was already tomorrow from 19:00 or 20:00 in
# Québec, and forms rightly refused « today » as a date in the future. The application itself
# reads no local zone, so this changes what the tests mean by today, not what they test; the
# commands and the browser the tests start inherit it.
os.environ["TZ"] = "America/Toronto"
time.tzset()

TEST_DATABASE_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL", "")


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Argon2 at production cost takes ~50 ms a hash; tests hash hundreds of passwords.

    Only the in-process hasher is swapped; CLI tests run the real command with real costs.
    """
    from argon2 import PasswordHasher

    from casework.auth import passwords

    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["CASEWORK_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    os.environ.pop("CASEWORK_DATABASE_URL", None)
    from casework.app import create_app
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-not-for-production",
        }
    )
    with application.app_context():
        upgrade_schema()
        load_reference_data(application.config["SEED_DIR"])
    yield application
    from casework.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app) -> Iterator[None]:
    """Every test runs inside a transaction that is rolled back; commits become savepoints."""
    if "no_transaction" in request.keywords:
        yield
        return
    from casework.extensions import db

    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original_session = db.session
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        yield
    finally:
        db.session = original_session
        outer.rollback()
        connection.close()


@pytest.fixture
def ctx(app):
    """An application context for tests that call operations directly (no HTTP client)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user in its own app context; returns a plain record (id, username, password)."""

    def factory(**overrides) -> helpers.UserRecord:
        with app.app_context():
            return helpers.create_user(**overrides)

    return factory


@pytest.fixture
def make_case(app):
    """Open a case for ``agent`` (a UserRecord); returns a CaseRecord."""

    def factory(agent: helpers.UserRecord, **person) -> helpers.CaseRecord:
        with app.app_context():
            return helpers.create_case(agent.id, **person)

    return factory


@pytest.fixture
def login(client, make_user):
    """Sign in as a new user of ``role`` (or an existing record) and return that record."""

    def sign_in(role: str = "agent", user: helpers.UserRecord | None = None, **overrides):
        record = user or make_user(role=role, **overrides)
        response = helpers.login(client, record.username, record.password)
        assert response.status_code == 302, response.text
        return record

    return sign_in


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...`` then ``counter.count``."""

    @contextmanager
    def counting():
        from casework.extensions import db

        counter = helpers.QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture(scope="session")
def clamd_daemon(tmp_path_factory):
    """A real clamd for the session, with the EICAR signature only (tests/clamav.py)."""
    from tests import clamav

    daemon = clamav.start_or_skip(tmp_path_factory.mktemp("clamd"))
    yield daemon
    daemon.stop()


@pytest.fixture
def clamd(app, clamd_daemon, monkeypatch):
    """The application scans with the test clamd (running: tests that stop it start it again)."""
    if clamd_daemon.process is None:
        clamd_daemon.start()
    monkeypatch.setitem(app.config, "SCANNING", "clamd")
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", clamd_daemon.socket)
    yield clamd_daemon
    if clamd_daemon.process is None:
        clamd_daemon.start()


def pytest_configure(config):
    config.addinivalue_line("markers", "no_transaction: manage the database yourself")


@dataclass(frozen=True)
class Committed:
    """An agent (with an e-mail address) and one of their cases, committed for tests that run
    several connections, threads or processes; what they leave behind is removed after."""

    agent: Any
    case: Any


@pytest.fixture
def committed(app) -> Iterator[Committed]:
    from casework.auth.models import User
    from casework.extensions import db

    with app.app_context():
        agent = helpers.create_user(role="agent")
        db.session.get(User, agent.id).email = f"{agent.username}@exemple.ca"
        db.session.commit()
        case = helpers.create_case(agent.id)
    yield Committed(agent, case)
    remove_committed(app, case)


def remove_committed(app, case: Any) -> None:
    from casework.cases.models import Case, Person
    from casework.extensions import db
    from casework.reminders.models import Notification, OutboundEmail, Reminder

    with app.app_context():
        reminders = select(Reminder.id).where(Reminder.case_id == case.id)
        db.session.execute(delete(Notification).where(Notification.reminder_id.in_(reminders)))
        db.session.execute(delete(OutboundEmail).where(OutboundEmail.user_id == case.agent_id))
        db.session.execute(delete(Reminder).where(Reminder.case_id == case.id))
        db.session.execute(delete(Case).where(Case.id == case.id))
        db.session.execute(delete(Person).where(Person.id == case.person_id))
        db.session.commit()
        db.session.remove()


def forget_scheduler_runs(app) -> None:
    """What real scheduler processes left in the shared test database besides the test's rows:
    dashboard snapshots (the next dashboard test would read them) and heartbeats."""
    from casework.core.heartbeat import SchedulerHeartbeat
    from casework.extensions import db
    from casework.reports.models import DashboardSnapshot

    with app.app_context():
        db.session.execute(delete(DashboardSnapshot))
        db.session.execute(delete(SchedulerHeartbeat))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def migration_app(tmp_path):
    """An application on a database of its own for migration tests, which run Alembic up and
    down: SQLite in ``tmp_path``, or the PostgreSQL database named by
    CASEWORK_MIGRATION_TEST_URL (emptied first). Yields the application and its URL."""
    from casework.app import create_app

    url = os.environ.get("CASEWORK_MIGRATION_TEST_URL") or f"sqlite:///{tmp_path / 'm.sqlite3'}"
    if url.startswith("postgresql"):
        reset_postgres(url)
    application = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migration-test"}
    )
    yield application, url
    from casework.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()
