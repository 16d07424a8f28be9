"""The scheduler's heartbeat: one row per job, written at each run, read by ``/healthz``.

In core because the health check reads it and core imports no feature package.
"""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.db import insert_on_conflict
from casework.core.time import utcnow
from casework.extensions import db


class SchedulerHeartbeat(db.Model):
    """When a job last started and finished, and what it counted (counts only, never names)."""

    __tablename__ = "scheduler_heartbeats"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | error
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str | None] = mapped_column(String(120))
    # Runs that failed since the row was created (a counter for /metrics).
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    # How long the last finished run took.
    duration_seconds: Mapped[float | None] = mapped_column()


def beat(
    job: str,
    outcome: str,
    counts: dict[str, Any] | None = None,
    now=None,
    duration: float | None = None,
) -> None:
    """Record a run of ``job`` (the caller commits). One upsert: schedulers starting together
    may write the same job's first row at once."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "outcome": outcome,
        "counts": dict(counts or {}),
        "host": socket.gethostname()[:120],
    }
    if outcome == "running":
        values |= {"started_at": now, "finished_at": None}
    else:
        values |= {"finished_at": now, "duration_seconds": duration}
    table = SchedulerHeartbeat.__table__
    failed = outcome == "error"
    statement = (
        insert_on_conflict(SchedulerHeartbeat)
        .values({"job": job, "started_at": now, **values, "failures": int(failed)})
        .on_conflict_do_update(
            index_elements=["job"],
            set_={**values, "failures": table.c.failures + int(failed)},
        )
    )
    db.session.execute(statement)


def last_beat_age(now=None) -> float | None:
    """Seconds since any job last finished, or None when the scheduler never ran."""
    latest = db.session.scalar(select(func.max(SchedulerHeartbeat.finished_at)))
    if latest is None:
        return None
    return max(0.0, ((now or utcnow()) - latest).total_seconds())


# The dispatcher runs every 30 s: a heartbeat older than this means no scheduler is running.
SCHEDULER_STALE_SECONDS = 300
# The backup runs nightly: older than a day and a bit, a night was missed.
BACKUP_STALE_SECONDS = 26 * 3600


def job_beat(job: str) -> SchedulerHeartbeat | None:
    return db.session.get(SchedulerHeartbeat, job)


def backup_health(now=None) -> dict[str, Any]:
    """The nightly backup job's last run: ``ok``, ``stale``, ``error`` or ``never_ran``."""
    row = job_beat("backup")
    if row is None or row.finished_at is None:
        return {"status": "never_ran", "age_seconds": None}
    age = max(0.0, ((now or utcnow()) - row.finished_at).total_seconds())
    fresh = "ok" if age <= BACKUP_STALE_SECONDS else "stale"
    return {"status": fresh if row.outcome == "ok" else "error", "age_seconds": round(age)}


def health() -> tuple[bool, dict[str, Any]]:
    """Whether the database answers, and what ``/healthz`` says of it, of the scheduler and of
    the nightly backup. A database that does not answer leaves the session rolled back, ready
    for the next request."""
    scheduler: dict[str, Any] = {"status": "unknown", "heartbeat_age_seconds": None}
    backup: dict[str, Any] = {"status": "unknown", "age_seconds": None}
    try:
        db.session.execute(text("SELECT 1"))
        age = last_beat_age()
        backup = backup_health()
    except SQLAlchemyError:
        db.session.rollback()
        return False, {"database": "unavailable", "scheduler": scheduler, "backup": backup}
    if age is None:
        scheduler = {"status": "never_ran", "heartbeat_age_seconds": None}
    else:
        status = "ok" if age <= SCHEDULER_STALE_SECONDS else "stale"
        scheduler = {"status": status, "heartbeat_age_seconds": round(age)}
    return True, {"database": "ok", "scheduler": scheduler, "backup": backup}
