"""The scheduler's heartbeat: one row per job, written at each run, read by ``/healthz``.

In core because the health check reads it and core imports no feature package.
"""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, func, select
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


def job_beat(job: str) -> SchedulerHeartbeat | None:
    return db.session.get(SchedulerHeartbeat, job)
