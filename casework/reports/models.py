"""Dashboard snapshots: the figures of a dashboard, computed once and shown for a few minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db


class DashboardSnapshot(db.Model):
    """One dashboard's figures for one scope and period. Counts and names only: the same
    aggregates the page shows, never a person."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (UniqueConstraint("scope_key", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(60))  # « all » or « regions:6 »
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
