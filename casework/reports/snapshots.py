"""Dashboard snapshots: a dashboard's figures are computed at most every few minutes.

At province scale a region's dashboard groups tens of thousands of cases, referrals and
appointments (0.7 s for Montréal at 200,000 cases); its readers follow 90-day periods, not the
last minute. The scheduler computes each region's default dashboard (and the province's) every
ten minutes; any other scope or period is computed by its first view and kept as long. The page
says when its figures were computed.

A snapshot holds the aggregates the page shows (counts, agents' and organisations' names) for
one scope and period; who may read which scope is decided before a snapshot is looked up.
"""

from __future__ import annotations

from dataclasses import astuple, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from casework.core.db import insert_on_conflict
from casework.core.time import utc_to_local, utcnow
from casework.extensions import db
from casework.reference.lookup import territories
from casework.reference.models import Region
from casework.reports import indicators
from casework.reports import operations as reports
from casework.reports.models import DashboardSnapshot

# Older than this, a snapshot is computed again by the next view; the scheduler refreshes the
# default ones more often (REFRESH_MINUTES) so that their readers never wait.
MAX_AGE = timedelta(minutes=15)
REFRESH_MINUTES = 10


def scope_key(scope: reports.DashboardScope) -> str:
    if scope.region_ids is None:
        return "all"
    return "regions:" + ",".join(str(region_id) for region_id in sorted(scope.region_ids))


def current_dashboard(
    period: reports.Period,
    scope: reports.DashboardScope,
    regions: list[Region],
    now: datetime | None = None,
) -> reports.Dashboard:
    """The dashboard from its snapshot when that is recent enough, else computed and kept."""
    now = now or utcnow()
    snapshot = db.session.scalar(
        select(DashboardSnapshot).where(
            DashboardSnapshot.scope_key == scope_key(scope),
            DashboardSnapshot.period_start == period.start,
            DashboardSnapshot.period_end == period.end,
        )
    )
    if snapshot is not None and timedelta(0) <= now - snapshot.computed_at < MAX_AGE:
        return from_payload(snapshot.payload, period, scope, regions, snapshot.computed_at)
    board = replace(reports.dashboard(period, scope, regions), computed_at=now)
    keep(board)
    return board


def keep(board: reports.Dashboard) -> None:
    """Store ``board`` as its scope's and period's snapshot, replacing an older one (two views
    computing the same dashboard at once both succeed: the last one stays)."""
    values = {
        "scope_key": scope_key(board.scope),
        "period_start": board.period.start,
        "period_end": board.period.end,
        "computed_at": board.computed_at or utcnow(),
        "payload": to_payload(board),
    }
    statement = insert_on_conflict(DashboardSnapshot).values(**values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["scope_key", "period_start", "period_end"],
            set_={"computed_at": values["computed_at"], "payload": values["payload"]},
        )
    )


def to_payload(board: reports.Dashboard) -> dict[str, Any]:
    return {
        "caseload": [list(astuple(load)) for load in board.caseload],
        "needs": [[region, domain, n] for (region, domain), n in board.needs.cells.items()],
        "funnel": [
            [row.organisation_id, row.organisation_name, row.stages, row.median_response_days]
            for row in board.funnel
        ],
        "delays": {stat.key: [list(pair) for pair in stat.days] for stat in board.delays},
        "reminders": [
            [row.agent_name, row.region_code, row.count, row.oldest.isoformat(), row.agent_id]
            for row in board.reminders
        ],
        "no_shows": [list(astuple(row)) for row in board.no_shows],
    }


def from_payload(
    payload: dict[str, Any],
    period: reports.Period,
    scope: reports.DashboardScope,
    regions: list[Region],
    computed_at: datetime,
) -> reports.Dashboard:
    """The dashboard a snapshot holds; labels are translated now, in the reader's language."""
    cells = {(region, domain): n for region, domain, n in payload["needs"]}
    return reports.Dashboard(
        period=period,
        scope=scope,
        caseload=[reports.AgentLoad(*row) for row in payload["caseload"]],
        needs=reports.needs_table(cells, regions),
        funnel=[reports.FunnelRow(*row) for row in payload["funnel"]],
        delays=[
            # Snapshots kept before the days were counted hold one value per person.
            reports.DelayStat(key, str(reports.DELAY_LABELS[key]), reports.day_counts(stored))
            for key, stored in payload["delays"].items()
        ],
        reminders=[
            reports.OverdueByAgent(name, code, count, datetime.fromisoformat(oldest), *agent_id[:1])
            for name, code, count, oldest, *agent_id in payload["reminders"]
        ],
        # Snapshots kept before the no-show measure have none: it shows after the next refresh.
        no_shows=[reports.NoShowRow(*row) for row in payload.get("no_shows", [])],
        computed_at=computed_at,
    )


def refresh_default_dashboards(now: datetime | None = None) -> dict[str, int]:
    """The scheduler's job: the dashboard of each directorate's territory (what its region-scoped
    users see first) over the default period, and the province's, computed afresh. Each is read without holding SQLite's write lock (the caller
    runs this inside ``core.db.reads_first``) and kept in a short transaction of its own."""
    now = now or utcnow()
    period = reports.default_period()
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    covering = territories()
    by_id = {region.id: region for region in regions}
    shown = sorted({tuple(covering.get(region.id, [region.id])) for region in regions})
    scopes = [reports.DashboardScope(None)] + [
        reports.DashboardScope(list(ids), by_id[ids[0]] if len(ids) == 1 else None) for ids in shown
    ]
    for scope in scopes:
        keep(replace(reports.dashboard(period, scope, regions), computed_at=now))
        db.session.commit()
    # The indicators' default view (the current year) for the same scopes.
    today = utc_to_local(now).date()
    for scope in scopes:
        current_indicators(
            today.replace(month=1, day=1), today, scope.region_ids, now=now, force=True
        )
        db.session.commit()
    return {"dashboards": len(scopes), "indicators": len(scopes)}


# --- The action plan's indicators (issue 19): the same table, the same 15 minutes -------------


def indicators_key(region_ids: list[int] | None) -> str | None:
    """The indicators' scope key in ``dashboard_snapshots`` (None: too many regions to key,
    computed on each view)."""
    key = "indicators:" + (
        "all" if region_ids is None else ",".join(str(i) for i in sorted(region_ids))
    )
    return key if len(key) <= 60 else None


def current_indicators(
    start: date,
    end: date,
    region_ids: list[int] | None,
    exact: bool = False,
    now: datetime | None = None,
    force: bool = False,
) -> indicators.Indicators:
    """The indicators from their snapshot when it is under ``MAX_AGE``, else computed and kept
    (counts by region and the delays' days: no person). Who may see which regions is decided
    before (the view)."""
    now = now or utcnow()
    key = indicators_key(region_ids)
    snapshot = None
    if key is not None and not force:
        snapshot = db.session.scalar(
            select(DashboardSnapshot).where(
                DashboardSnapshot.scope_key == key,
                DashboardSnapshot.period_start == start,
                DashboardSnapshot.period_end == end,
            )
        )
    if snapshot is not None and timedelta(0) <= now - snapshot.computed_at < MAX_AGE:
        counts, computed_at = indicator_counts(snapshot.payload), snapshot.computed_at
    else:
        counts, computed_at = indicators.measure(start, end, region_ids), now
        if key is not None:
            values = {
                "scope_key": key,
                "period_start": start,
                "period_end": end,
                "computed_at": now,
                "payload": indicator_payload(counts),
            }
            db.session.execute(
                insert_on_conflict(DashboardSnapshot)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["scope_key", "period_start", "period_end"],
                    set_={"computed_at": now, "payload": values["payload"]},
                )
            )
    board = indicators.assemble(start, end, region_ids, exact, counts)
    board.computed_at = computed_at
    return board


def indicator_payload(counts: indicators.Counts) -> dict[str, Any]:
    return {
        "by_region": {
            key: None if found is None else [[region, n] for region, n in found.items()]
            for key, found in counts.by_region.items()
        },
        "delays": {key: [list(pair) for pair in days] for key, days in counts.delays.items()},
        "reception": list(counts.reception),
        "settlement": {
            str(m): [list(row) for row in rows] for m, rows in counts.settlement.items()
        },
    }


def indicator_counts(payload: dict[str, Any]) -> indicators.Counts:
    return indicators.Counts(
        by_region={
            key: None if found is None else {region: n for region, n in found}
            for key, found in payload["by_region"].items()
        },
        # Snapshots kept before the days were counted hold one value per person.
        delays={key: reports.day_counts(stored) for key, stored in payload["delays"].items()},
        reception=tuple(payload["reception"]),  # type: ignore[arg-type]
        settlement={
            int(m): [tuple(row) for row in rows]  # type: ignore[misc]
            for m, rows in payload["settlement"].items()
        },
    )


# --- The API's statistics: the extract's aggregate tables, the same 15 minutes -------------------

STATISTICS_KEY = "statistics:all"


def current_statistics(now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The analytics extract's aggregate tables (de-identified, small cells blanked: nothing of
    any one person, and nothing that depends on who asks) from a snapshot under ``MAX_AGE``,
    else computed and kept: they count every indicator for every quarter, seconds of work that
    a ministry system polling the API must not repeat on each call."""
    from casework.reports.analytics import indicator_tables

    now = now or utcnow()
    day = utc_to_local(now).date()
    snapshot = db.session.scalar(
        select(DashboardSnapshot).where(
            DashboardSnapshot.scope_key == STATISTICS_KEY,
            DashboardSnapshot.period_start == day,
            DashboardSnapshot.period_end == day,
        )
    )
    if snapshot is not None and timedelta(0) <= now - snapshot.computed_at < MAX_AGE:
        return snapshot.payload
    tables = indicator_tables()
    values = {
        "scope_key": STATISTICS_KEY,
        "period_start": day,
        "period_end": day,
        "computed_at": now,
        "payload": tables,
    }
    db.session.execute(
        insert_on_conflict(DashboardSnapshot)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["scope_key", "period_start", "period_end"],
            set_={"computed_at": now, "payload": tables},
        )
    )
    return tables
