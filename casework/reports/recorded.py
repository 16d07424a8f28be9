"""What the report pages write to the audit trail: who read which dashboard, who exported which
list and with which filters (by code, never a searched name)."""

from __future__ import annotations

from typing import Any

from casework.core import audit
from casework.reports.exports import record_list_export


def dashboard_viewed(actor: Any, board: Any) -> None:
    audit.record(
        actor,
        "dashboard.viewed",
        target_type="dashboard",
        region_ids=board.scope.region_ids,
        start=board.period.start.isoformat(),
        end=board.period.end.isoformat(),
    )


def indicators_viewed(actor: Any, board: Any) -> None:
    audit.record(
        actor,
        "indicators.viewed",
        target_type="indicators",
        region_ids=board.region_ids,
        start=board.start.isoformat(),
        end=board.end.isoformat(),
    )


def caseload_exported(actor: Any, filters: Any, rows: int) -> None:
    record_list_export(
        actor,
        "export.caseload",
        "case",
        rows,
        status=filters.status,
        domain=filters.domain,
        priority=filters.priority,
        overdue=filters.overdue,
        region_id=filters.region_id,
        cohort=filters.cohort or None,
        period=[day.isoformat() for day in filters.period] if filters.period else None,
        searched=bool(filters.query),
    )


def audit_exported(actor: Any, filters: Any, rows: int) -> None:
    record_list_export(
        actor,
        "export.audit",
        "audit",
        rows,
        kind=filters.action,
        actor_id=filters.actor_id,
        case_id=filters.target_id or None,
        start=filters.start.isoformat() if filters.start else None,
        end=filters.end.isoformat() if filters.end else None,
    )


def dashboard_exported(actor: Any, board: Any, table: str, rows: int) -> None:
    record_list_export(
        actor,
        "export.dashboard",
        "dashboard",
        rows,
        table=table,
        region_ids=board.scope.region_ids,
        start=board.period.start.isoformat(),
        end=board.period.end.isoformat(),
    )


def indicators_exported(actor: Any, board: Any, rows: int) -> None:
    record_list_export(
        actor,
        "export.indicators",
        "indicators",
        rows,
        region_ids=board.region_ids,
        start=board.start.isoformat(),
        end=board.end.isoformat(),
    )
