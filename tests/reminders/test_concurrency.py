"""Several dispatchers at once, with real commits: threads on SQLite, processes on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from casework.extensions import db
from tests import helpers
from tests.reminders.conftest import NOW, RecordingMailer

pytestmark = pytest.mark.no_transaction
REMINDERS = 240


@pytest.fixture
def due_reminders(app):
    """``REMINDERS`` reminders due at NOW on one committed case; everything removed after."""
    from casework.auth.models import User
    from casework.cases.models import Case, Person
    from casework.reminders.models import FollowUpRule, Reminder

    with app.app_context():
        agent = helpers.create_user(role="agent")
        db.session.get(User, agent.id).email = "agente@exemple.ca"
        record = helpers.create_case(agent.id)
        case = db.session.get(Case, record.id)
        rule_id = db.session.scalar(select(FollowUpRule.id).limit(1))
        for number in range(REMINDERS):
            due = NOW - timedelta(seconds=number)
            db.session.add(
                Reminder(
                    key=f"concurrency:{case.id}:{number}",
                    rule_id=rule_id,
                    subject_type="case",
                    subject_id=case.id,
                    case_id=case.id,
                    agent_id=agent.id,
                    region_id=case.region_id,
                    due_at=due,
                    next_attempt_at=due,
                )
            )
        db.session.commit()
        case_id, person_id = case.id, case.person_id
    yield case_id
    with app.app_context():
        db.session.execute(delete(Reminder).where(Reminder.case_id == case_id))
        db.session.delete(db.session.get(Case, case_id))
        db.session.flush()
        db.session.execute(delete(Person).where(Person.id == person_id))
        db.session.commit()


def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _counts(app, case_id: int) -> tuple[int, int, set[str]]:
    from casework.reminders.models import Notification, OutboundEmail, Reminder

    with app.app_context():
        mine = select(Reminder.id).where(Reminder.case_id == case_id)
        notified = db.session.scalar(
            select(func.count(func.distinct(Notification.reminder_id))).where(
                Notification.reminder_id.in_(mine)
            )
        )
        notifications = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.reminder_id.in_(mine))
        )
        sent = set(
            db.session.scalars(
                select(OutboundEmail.key).where(
                    OutboundEmail.reminder_id.in_(mine), OutboundEmail.status == "sent"
                )
            )
        )
    return notified, notifications, sent


def _run_dispatcher(app, mailer) -> None:
    from casework.reminders import tasks

    with app.app_context():
        tasks.dispatch(NOW, batch_size=25, with_email=True)
        tasks.send_emails(NOW, mailer, batch_size=25)
        db.session.remove()


def test_dispatchers_in_parallel_threads_deliver_each_reminder_once(app, due_reminders):
    if on_postgres(app):
        pytest.skip("threads on SQLite; PostgreSQL uses processes below")
    mailer = RecordingMailer()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(_run_dispatcher, app, mailer) for _ in range(4)]:
            future.result()
    notified, notifications, sent = _counts(app, due_reminders)
    assert (notified, notifications, len(sent)) == (REMINDERS, REMINDERS, REMINDERS)
    keys = [key for _to, _subject, key in mailer.sent]
    assert len(keys) == len(set(keys)) == REMINDERS


def _process_dispatcher(url: str) -> list[str]:
    """In its own process, as a second scheduler on another machine would be."""
    from casework.app import create_app
    from casework.reminders import tasks

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    mailer = RecordingMailer()
    with app.app_context():
        tasks.dispatch(NOW, batch_size=25, with_email=True)
        tasks.send_emails(NOW, mailer, batch_size=25)
        db.engine.dispose()
    return [key for _to, _subject, key in mailer.sent]


def test_dispatchers_in_parallel_processes_deliver_each_reminder_once(app, due_reminders):
    if not on_postgres(app):
        pytest.skip("FOR UPDATE SKIP LOCKED across processes: PostgreSQL")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        results = [
            f.result(timeout=120) for f in [pool.submit(_process_dispatcher, url) for _ in range(3)]
        ]
    keys = [key for result in results for key in result]
    assert len(keys) == len(set(keys)) == REMINDERS
    notified, notifications, sent = _counts(app, due_reminders)
    assert (notified, notifications, len(sent)) == (REMINDERS, REMINDERS, REMINDERS)


def test_the_database_locked_briefly_only_delays_the_dispatcher(app, due_reminders):
    if on_postgres(app):
        pytest.skip("SQLite's database-wide write lock")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    locked = threading.Event()

    def hold_the_lock():
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(1.0)
        connection.execute("COMMIT")
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(5)
    started = time.monotonic()
    _run_dispatcher(app, RecordingMailer())
    holder.join()
    assert time.monotonic() - started >= 0.9  # it waited for the lock instead of failing
    notified, notifications, sent = _counts(app, due_reminders)
    assert (notified, notifications, len(sent)) == (REMINDERS, REMINDERS, REMINDERS)
