"""The audit trail, read-only, for administrators."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from casework.core.audit import trail
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import requires

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")


def action_filter() -> str:
    """The action prefix typed in the trail's filter (also used by its CSV export)."""
    return request.args.get("action", "").strip()[:64]


@bp.get("/")
@requires("audit.view")
def index():
    action = action_filter()
    page = paginate(trail(action), parse_page_number(request.args.get("page")))
    return render_template("core/audit.html", page=page, action=action)
