"""Cross-cutting routes: health check and language switch."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework.core.heartbeat import job_beat, last_beat_age
from casework.core.i18n import SUPPORTED_LOCALES
from casework.core.navigation import safe_next
from casework.core.permissions import public
from casework.core.time import utcnow
from casework.extensions import db

bp = Blueprint("core", __name__)
# The dispatcher runs every 30 s: a heartbeat older than this means no scheduler is running.
SCHEDULER_STALE_SECONDS = 300
# The backup runs nightly: older than a day and a bit, a night was missed.
BACKUP_STALE_SECONDS = 26 * 3600


def backup_health(now=None) -> dict:
    """The nightly backup job's last run: ``ok``, ``stale``, ``error`` or ``never_ran``."""
    row = job_beat("backup")
    if row is None or row.finished_at is None:
        return {"status": "never_ran", "age_seconds": None}
    age = max(0.0, ((now or utcnow()) - row.finished_at).total_seconds())
    fresh = "ok" if age <= BACKUP_STALE_SECONDS else "stale"
    return {"status": fresh if row.outcome == "ok" else "error", "age_seconds": round(age)}


@bp.get("/healthz")
@public
def healthz():
    scheduler: dict = {"status": "unknown", "heartbeat_age_seconds": None}
    backup: dict = {"status": "unknown", "age_seconds": None}
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
        age = last_beat_age()
        scheduler = {
            "status": "never_ran"
            if age is None
            else ("ok" if age <= SCHEDULER_STALE_SECONDS else "stale"),
            "heartbeat_age_seconds": None if age is None else round(age),
        }
        backup = backup_health()
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    # A stopped scheduler does not make this web node unhealthy: it is reported, not failed.
    status = 200 if database == "ok" else 503
    return jsonify(
        status="ok" if status == 200 else "degraded",
        database=database,
        scheduler=scheduler,
        backup=backup,
    ), status


@bp.post("/langue")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))
