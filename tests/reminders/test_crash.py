"""A scheduler killed while sending loses nothing (issue 14, point 2).

Real scheduler processes (``casework scheduler``) send 2,000 reminders' e-mails to a real SMTP
server (aiosmtpd); one is killed with SIGKILL ten times at random moments and started again each
time. Every e-mail arrives; a copy of one arrives at most once per kill, with the same
Message-ID; every in-app notification exists exactly once."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from casework.core.db import reads_first
from casework.core.time import utcnow
from casework.extensions import db
from tests.mailsink import SmtpSink

pytestmark = pytest.mark.no_transaction
log = logging.getLogger(__name__)
CASEWORK = str(Path(sys.executable).with_name("casework"))
EMAILS = 2000
KILLS = 10
SMTP_TIMEOUT = 1
# The shortest lease the configuration accepts with that timeout: two timeouts and the margin
# to record an outcome (config.check_lease).
LEASE = 2 * SMTP_TIMEOUT + 11


def scheduler_environment(app, instance: Path, smtp_port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEWORK_")}
    return {
        **env,
        "CASEWORK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_SMTP_HOST": "127.0.0.1",
        "CASEWORK_SMTP_PORT": str(smtp_port),
        "CASEWORK_SMTP_TIMEOUT_SECONDS": str(SMTP_TIMEOUT),
        "CASEWORK_CLAIM_LEASE_SECONDS": str(LEASE),
        "CASEWORK_DISPATCH_INTERVAL_SECONDS": "1",
    }


def start_scheduler(env: dict[str, str], log_file, jobs=("dispatch",)) -> subprocess.Popen:
    only = [argument for job in jobs for argument in ("--only", job)]
    return subprocess.Popen(
        [CASEWORK, "scheduler", *only],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )


def add_due_reminders(app, committed, count: int) -> None:
    from casework.reminders.models import FollowUpRule, Reminder

    with app.app_context():
        rule_id = db.session.scalar(select(FollowUpRule.id).order_by(FollowUpRule.id).limit(1))
        now = utcnow()
        rows = [
            {
                "key": f"crash:{committed.case.id}:{number}",
                "rule_id": rule_id,
                "subject_type": "case",
                "subject_id": committed.case.id,
                "case_id": committed.case.id,
                "agent_id": committed.agent.id,
                "region_id": committed.agent.region_id,
                "due_at": now - timedelta(seconds=number),
                "next_attempt_at": now - timedelta(seconds=number),
                "status": "pending",
                "deliveries": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(count)
        ]
        db.session.execute(insert(Reminder), rows)
        db.session.commit()
        db.session.remove()


def sent(app) -> int:
    from casework.reminders.models import OutboundEmail

    with app.app_context(), reads_first():
        count = db.session.scalar(
            select(func.count(OutboundEmail.id)).where(
                OutboundEmail.status == "sent", OutboundEmail.key.like("crash:%")
            )
        )
        db.session.remove()
    return count


def wait_for(condition, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_schedulers_killed_mid_send_ten_times_lose_no_email(app, committed, tmp_path):
    from casework.reminders.models import Notification, OutboundEmail, Reminder

    add_due_reminders(app, committed, EMAILS)
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    # Kill points: after a random number of messages has arrived, then a random few milliseconds.
    kill_after = sorted(chance.sample(range(1, EMAILS - 100), KILLS))
    sink = SmtpSink().start()
    env = scheduler_environment(app, tmp_path, sink.port)
    started = time.monotonic()
    kills = 0
    with (tmp_path / "scheduler.log").open("w") as log_file:
        process = start_scheduler(env, log_file)
        try:
            for threshold in kill_after:
                wait_for(lambda t=threshold: len(sink.inbox.messages) >= t, timeout=60)
                time.sleep(chance.uniform(0, 0.05))
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                kills += 1
                process = start_scheduler(env, log_file)
            # Every e-mail arrived, and its dispatcher recorded it (the last one may arrive a
            # moment before its outcome is written).
            assert wait_for(lambda: sent(app) >= EMAILS, timeout=LEASE + 60, step=0.2), (
                f"{sent(app)} of {EMAILS} e-mails sent (seed {seed})"
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            sink.stop()
    elapsed = time.monotonic() - started
    received = Counter(sink.inbox.message_ids())
    duplicates = sum(copies - 1 for copies in received.values())
    log.warning(
        "kill -9: %d e-mails, %d kills, %d duplicates, %.1f s (seed %d)",
        EMAILS,
        kills,
        duplicates,
        elapsed,
        seed,
    )
    with app.app_context():
        mine = select(Reminder.id).where(Reminder.case_id == committed.case.id)
        queued = set(
            db.session.scalars(
                select(OutboundEmail.message_id).where(OutboundEmail.reminder_id.in_(mine))
            )
        )
        statuses = dict(
            db.session.execute(
                select(OutboundEmail.status, func.count())
                .where(OutboundEmail.reminder_id.in_(mine))
                .group_by(OutboundEmail.status)
            ).all()
        )
        notifications = db.session.execute(
            select(
                func.count(Notification.id), func.count(func.distinct(Notification.reminder_id))
            ).where(Notification.reminder_id.in_(mine))
        ).one()
        db.session.remove()
    assert kills == KILLS
    assert set(received) == queued and len(queued) == EMAILS
    assert duplicates <= kills, f"seed {seed}"
    assert statuses == {"sent": EMAILS}
    assert tuple(notifications) == (EMAILS, EMAILS)  # in-app: exactly once
