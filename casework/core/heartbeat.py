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


def beat(job: str, outcome: str, counts: dict[str, Any] | None = None, now=None) -> None:
    """Record a run of ``job`` (the caller commits)."""
    now = now or utcnow()
    row = db.session.get(SchedulerHeartbeat, job)
    if row is None:
        row = SchedulerHeartbeat(job=job, started_at=now)
        db.session.add(row)
    if outcome == "running":
        row.started_at = now
        row.finished_at = None
    else:
        row.finished_at = now
    row.outcome = outcome
    row.counts = dict(counts or {})
    row.host = socket.gethostname()[:120]


def last_beat_age(now=None) -> float | None:
    """Seconds since any job last finished, or None when the scheduler never ran."""
    latest = db.session.scalar(select(func.max(SchedulerHeartbeat.finished_at)))
    if latest is None:
        return None
    return max(0.0, ((now or utcnow()) - latest).total_seconds())


# The dispatcher runs every 30 s: a heartbeat older than this means no scheduler is running.
SCHEDULER_STALE_SECONDS = 300


def health() -> tuple[bool, dict[str, Any]]:
    """Whether the database answers, and what ``/healthz`` says of it and of the scheduler. A
    database that does not answer leaves the session rolled back, ready for the next request."""
    scheduler: dict[str, Any] = {"status": "unknown", "heartbeat_age_seconds": None}
    try:
        db.session.execute(text("SELECT 1"))
        age = last_beat_age()
    except SQLAlchemyError:
        db.session.rollback()
        return False, {"database": "unavailable", "scheduler": scheduler}
    if age is None:
        scheduler = {"status": "never_ran", "heartbeat_age_seconds": None}
    else:
        status = "ok" if age <= SCHEDULER_STALE_SECONDS else "stale"
        scheduler = {"status": status, "heartbeat_age_seconds": round(age)}
    return True, {"database": "ok", "scheduler": scheduler}
