"""The reports' scheduled work (run by ``casework scheduler``, see casework/scheduler.py)."""

from __future__ import annotations

from datetime import datetime

from casework.core.db import reads_first
from casework.reports.snapshots import refresh_default_dashboards


def dashboards(now: datetime | None = None) -> dict[str, int]:
    """Each region's default dashboard, and the province's, computed afresh (reports.snapshots);
    read without SQLite's write lock, each kept in a transaction of its own."""
    with reads_first():
        return refresh_default_dashboards(now)
