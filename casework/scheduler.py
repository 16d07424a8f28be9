"""The scheduler process (``casework scheduler``): APScheduler drives the features' jobs
(``reminders/tasks.py``, ``reports/tasks.py``). It sits on top of the features, beside ``app``.

Only this module imports APScheduler, and only the ``scheduler`` command imports this module: the
web process never starts a scheduler. Jobs hold no state of their own: everything they do is
decided by rows in the database, so several scheduler processes may run at once (they coordinate
through row claims), and one that was down catches up at its next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from casework.api.web import purge_idempotent_answers
from casework.attachments import tasks as attachment_tasks
from casework.core.heartbeat import beat
from casework.core.time import LOCAL_TIMEZONE
from casework.extensions import db
from casework.messages import outbox as message_outbox
from casework.ops.backup import nightly_backup
from casework.reminders import tasks
from casework.reports import tasks as report_tasks
from casework.reports.snapshots import REFRESH_MINUTES as DASHBOARD_MINUTES

log = logging.getLogger(__name__)

Job = Callable[[], dict[str, int]]

# name → (function, trigger arguments for APScheduler)
JOBS: dict[str, tuple[Job, dict]] = {
    "materialise": (tasks.reconcile, {"trigger": "interval", "minutes": 5}),
    "dispatch": (tasks.deliver, {"trigger": "interval", "seconds": 30}),
    # Confirmations and reminders to persons (e-mail with the calendar file, SMS).
    "messages": (message_outbox.send_messages, {"trigger": "interval", "seconds": 30}),
    "escalate": (tasks.escalate, {"trigger": "interval", "minutes": 15}),
    "digest": (
        tasks.queue_digests,
        {"trigger": "cron", "hour": tasks.DIGEST_TIME.hour, "minute": tasks.DIGEST_TIME.minute},
    ),
    "retention": (tasks.retention, {"trigger": "cron", "hour": 2, "minute": 30}),
    "statistics": (tasks.statistics, {"trigger": "cron", "hour": 3, "minute": 15}),
    "dashboards": (report_tasks.dashboards, {"trigger": "interval", "minutes": DASHBOARD_MINUTES}),
    # Documents held « awaiting scan » because clamd was away are scanned again.
    "attachments": (attachment_tasks.rescan, {"trigger": "interval", "minutes": 5}),
    "attachments_sweep": (attachment_tasks.sweep, {"trigger": "cron", "hour": 3, "minute": 45}),
    "backup": (nightly_backup, {"trigger": "cron", "hour": 1, "minute": 45}),
    # The API's stored answers (Idempotency-Key) are deleted once their 24 hours are over.
    "idempotency": (purge_idempotent_answers, {"trigger": "interval", "hours": 1}),
}
# Run at start-up too, so that a scheduler that was down catches up at once (the digest only
# queues what is due: nothing before 07:00, nothing twice the same day).
RUN_AT_START = (
    "materialise",
    "dispatch",
    "messages",
    "escalate",
    "digest",
    "dashboards",
    "attachments",
)


def run_job(app: Flask, name: str, job: Job) -> dict[str, int] | None:
    """Run one job in its own application context, with its heartbeat; never raises.

    A job that fails (the database locked for longer than the busy timeout, the network…) rolls
    back and leaves everything as it was; the next run starts again from the rows.
    """
    with app.app_context():
        started = time.monotonic()
        try:
            beat(name, "running")
            db.session.commit()
            counts = job()
            beat(name, "ok", counts, duration=time.monotonic() - started)
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning(
                "job %s failed (%s); it runs again at its next time", name, type(error).__name__
            )
            _record_error(name, time.monotonic() - started)
            return None
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            _record_error(name, time.monotonic() - started)
            return None
        finally:
            db.session.remove()
        log.info("job %s: %s", name, " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        return counts


def _record_error(name: str, duration: float) -> None:
    try:
        beat(name, "error", duration=duration)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()


def selected(only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[str]:
    """The jobs this process runs: all of them, or ``only`` these, less ``skip``."""
    chosen = set(only) or set(JOBS)
    return [name for name in JOBS if name in chosen and name not in set(skip)]


def run_once(app: Flask, names: Iterable[str] | None = None) -> dict[str, dict[str, int] | None]:
    """Every job (or those named) once, in order (``casework scheduler --once``, cron, tests)."""
    names = list(JOBS) if names is None else list(names)
    return {name: run_job(app, name, JOBS[name][0]) for name in names}


def build_scheduler(app: Flask, now: datetime | None = None, names: Iterable[str] | None = None):
    """A BlockingScheduler in Québec time with every job (or those named); not started."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        timezone=LOCAL_TIMEZONE,
        # A run missed while the process was busy or down is run once, not once per miss.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    names = list(JOBS) if names is None else list(names)
    for name in names:
        job, trigger = JOBS[name]
        options = dict(trigger)
        if name == "dispatch":
            options["seconds"] = app.config["DISPATCH_INTERVAL_SECONDS"]
        if name in RUN_AT_START:
            options["next_run_time"] = now or datetime.now().astimezone()
        scheduler.add_job(run_job, args=(app, name, job), id=name, name=name, **options)
    return scheduler
