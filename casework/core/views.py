"""Cross-cutting routes: health check and language switch."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework.core.i18n import SUPPORTED_LOCALES
from casework.core.navigation import safe_next
from casework.core.permissions import public
from casework.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status


@bp.post("/langue")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))
