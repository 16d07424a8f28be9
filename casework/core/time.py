"""UTC in the database, America/Toronto on screen (Flask-Babel converts when formatting)."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


# Dates before this are typing errors, not history (a person's birth, an arrival, a consent).
EARLIEST_PLAUSIBLE_YEAR = 1900


def local_now() -> datetime:
    """Now in Québec, naive wall-clock time to the minute: the default of a form's moment."""
    return utc_to_local(utcnow()).replace(second=0, microsecond=0)


def local_today() -> date:
    """Today in Québec, whatever the server's own time zone."""
    return datetime.now(ZoneInfo(LOCAL_TIMEZONE)).date()


def is_plausible(day: date | datetime | None, latest: date | None = None) -> bool:
    """Not before 1900 and, when ``latest`` is given, not after it."""
    if day is None:
        return True
    plain = day.date() if isinstance(day, datetime) else day
    return plain.year >= EARLIEST_PLAUSIBLE_YEAR and (latest is None or plain <= latest)
