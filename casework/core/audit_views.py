"""The audit trail, read-only, for administrators."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.core.audit import AuditEvent
from casework.core.pagination import paginate, parse_page_number
from casework.core.permissions import requires

bp = Blueprint("audit", __name__, url_prefix="/admin/journal")


@bp.get("/")
@requires("audit.view")
def index():
    statement = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    action = request.args.get("action", "").strip()[:64]
    if action:
        statement = statement.where(AuditEvent.action.startswith(action, autoescape=True))
    page = paginate(statement, parse_page_number(request.args.get("page")))
    return render_template("core/audit.html", page=page, action=action)
