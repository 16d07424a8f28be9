"""UTC in the database, America/Toronto on screen (Flask-Babel converts when formatting)."""

from __future__ import annotations

from datetime import UTC, datetime

LOCAL_TIMEZONE = "America/Toronto"


def utcnow() -> datetime:
    """Naive UTC timestamp, as stored in the database (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)
