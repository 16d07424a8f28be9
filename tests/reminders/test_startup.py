"""Two schedulers starting together on SQLite (issue 14, point 4): every job of both succeeds,
and no e-mail one of them claimed waits for its lease because the other's start-up work held
the write lock.

The other process's long start-up work (a reconciliation at province scale) is played by a
connection that keeps the write lock for longer than a web request would wait for it."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from casework.core.heartbeat import SchedulerHeartbeat
from casework.core.time import utcnow
from casework.extensions import db
from tests import helpers
from tests.conftest import forget_scheduler_runs, remove_committed
from tests.mailsink import SmtpSink
from tests.reminders.test_crash import scheduler_environment, start_scheduler, wait_for

pytestmark = pytest.mark.no_transaction
CASES = 12
HOLD_SECONDS = 10  # from before the schedulers start: they meet it for more than 5 s


@pytest.fixture
def forgotten_cases(app, committed):
    """Cases nobody contacted for 70 days: the reconciler asks for a reminder for each."""
    from casework.cases.models import Case

    with app.app_context():
        ids = [helpers.create_case(committed.agent.id) for _ in range(CASES)]
        db.session.execute(
            update(Case)
            .where(Case.id.in_([case.id for case in ids]))
            .values(status="active", opened_at=utcnow() - timedelta(days=70))
        )
        db.session.execute(delete(SchedulerHeartbeat))
        db.session.commit()
        db.session.remove()
    yield ids
    for case in ids:
        remove_committed(app, case)
    forget_scheduler_runs(app)


def sent_for(app, agent_id: int) -> tuple[int, int]:
    from casework.core.db import reads_first
    from casework.reminders.models import OutboundEmail

    with app.app_context(), reads_first():
        row = db.session.execute(
            select(
                func.count(OutboundEmail.id),
                func.count(OutboundEmail.id).filter(OutboundEmail.status == "sent"),
            ).where(OutboundEmail.user_id == agent_id, OutboundEmail.kind == "reminder")
        ).one()
        db.session.remove()
    return tuple(row)


def test_two_schedulers_starting_together_fail_no_job(app, committed, forgotten_cases, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL's row locks are covered by test_nodes")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    sink = SmtpSink().start()
    env = scheduler_environment(app, tmp_path, sink.port)
    holding = threading.Event()

    def long_start_up_work() -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        holding.set()
        time.sleep(HOLD_SECONDS)
        connection.execute("COMMIT")
        connection.close()

    holder = threading.Thread(target=long_start_up_work)
    holder.start()
    holding.wait(5)
    logs = [(tmp_path / f"scheduler-{n}.log").open("w") for n in (1, 2)]
    processes = [
        start_scheduler(env, log, jobs=("materialise", "dispatch", "escalate", "dashboards"))
        for log in logs
    ]
    started = time.monotonic()
    try:
        everything_sent = wait_for(
            lambda: sent_for(app, committed.agent.id) == (CASES, CASES),
            timeout=HOLD_SECONDS + 40,
            step=0.3,
        )
        took = time.monotonic() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(20)
        for log in logs:
            log.close()
        holder.join()
        sink.stop()
    output = "\n".join((tmp_path / f"scheduler-{n}.log").read_text() for n in (1, 2))
    assert "failed" not in output and "OperationalError" not in output, output[-3000:]
    assert everything_sent, sent_for(app, committed.agent.id)
    # Claimed e-mails never waited for their lease (300 s): they went out once the lock was free.
    assert took < app.config["CLAIM_LEASE_SECONDS"]
    ids = sink.inbox.message_ids()
    assert len(ids) == len(set(ids)) == CASES
    with app.app_context():
        beats = db.session.execute(
            select(SchedulerHeartbeat.job, SchedulerHeartbeat.outcome, SchedulerHeartbeat.failures)
        ).all()
        db.session.remove()
    assert {job for job, _outcome, _failures in beats} >= {"materialise", "dispatch"}
    assert all(failures == 0 for _job, _outcome, failures in beats), beats
