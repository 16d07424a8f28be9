"""Cross-cutting routes: health check and language switch."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, session, url_for

from casework.core.heartbeat import health
from casework.core.i18n import SUPPORTED_LOCALES
from casework.core.navigation import safe_next
from casework.core.permissions import public

bp = Blueprint("core", __name__)


@bp.get("/healthz")
@public
def healthz():
    healthy, report = health()
    # A stopped scheduler does not make this web node unhealthy: it is reported, not failed.
    return jsonify(status="ok" if healthy else "degraded", **report), 200 if healthy else 503


@bp.post("/langue")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))
