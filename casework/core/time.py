"""UTC in the database, America/Toronto on screen (Flask-Babel converts when formatting)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = "America/Toronto"


def utcnow() -> datetime:
    """Naive UTC timestamp, as stored in the database (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_to_utc(moment: datetime) -> datetime:
    """A wall-clock time typed in Québec (naive) → naive UTC for the database."""

    aware = moment.replace(tzinfo=ZoneInfo(LOCAL_TIMEZONE))
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime) -> datetime:
    """Naive UTC from the database → naive Québec wall-clock time (for form inputs)."""

    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(LOCAL_TIMEZONE)).replace(tzinfo=None)
