"""Statistics for the ministry's systems: the de-identified indicator tables of the analytics
extract (docs/analytics.md), with the same small-cell suppression — counts under 5 are null."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields
from sqlalchemy import select

from casework.api import schemas
from casework.api.web import action, blueprint, problems
from casework.core.permissions import Scope, scope_for
from casework.extensions import db
from casework.reference.models import Region
from casework.reports.analytics import AGGREGATE_COLUMNS, SMALL_CELL
from casework.reports.snapshots import current_statistics

blp = blueprint("api_statistics", "De-identified indicator tables, small cells suppressed.")


class IndicatorRow(schemas.Strict):
    """One group's count; the group's columns are named in ``columns``."""

    n = fields.Integer(allow_none=True, required=True)
    suppressed = fields.Integer(required=True)


class IndicatorTable(schemas.Strict):
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Dict(), required=True)


class Statistics(schemas.Strict):
    small_cell_threshold = fields.Integer(required=True)
    scope = fields.String(required=True, metadata={"description": "all, or the region's code"})
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(IndicatorTable), required=True)


def _in_scope(tables: dict[str, list]) -> tuple[str | None, dict[str, list]]:
    """The caller's region's code and its rows, or (None, every table) for the province."""
    if scope_for(current_user.role, "reports.dashboard") is Scope.ALL:
        return None, tables
    region = db.session.scalar(select(Region.code).where(Region.id == current_user.region_id))
    return region, {
        name: [row for row in rows if row["region"] == region]
        for name, rows in tables.items()
        if "region" in AGGREGATE_COLUMNS[name]
    }


@blp.route("/statistics")
@action("reports.dashboard")
@blp.response(200, Statistics)
@problems(blp, 400, 401, 403, 429)
def statistics() -> dict[str, Any]:
    """The indicator tables for the caller's scope: the province for an administrator's token,
    the region for a supervisor's or an advisor's (tables without a region are then left out)."""
    region, tables = _in_scope(current_statistics())
    return {
        "small_cell_threshold": SMALL_CELL,
        "scope": region or "all",
        "tables": {
            name: {"columns": [*AGGREGATE_COLUMNS[name], "n", "suppressed"], "rows": rows}
            for name, rows in tables.items()
        },
    }
