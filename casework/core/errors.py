"""Error pages (HTML or JSON) with a reference id; never a stack trace."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Invalid request"),
        _l("The request could not be understood. Check what you entered and try again."),
    ),
    403: (_l("Access denied"), _l("Your role or your region does not give access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist or is no longer available.")),
    405: (_l("Method not allowed"), _l("This action cannot be performed this way.")),
    409: (
        _l("Conflict"),
        _l("Someone else changed this information in the meantime. Reload the page and try again."),
    ),
    413: (_l("Request too large"), _l("What you sent is larger than the allowed maximum.")),
    500: (
        _l("Unexpected error"),
        _l(
            "Something went wrong on our side. The team has been notified; give them the reference below."
        ),
    ),
}
TOO_LARGE_UPLOAD = _l(
    "The file is larger than the {mb} MB allowed: nothing was kept. Go back and choose a smaller file (a scan in lower resolution, or one document at a time)."
)
CSRF_MESSAGE = _l(
    "Your form has expired or was not sent from this site. Reload the page and try again."
)


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(status: int, detail: str | None = None):
    reference = secrets.token_hex(6)
    title, default_detail = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    message = detail or str(default_detail)
    if status >= 500:
        log.exception("error %s on %s %s (ref %s)", status, request.method, request.path, reference)
    else:
        log.info("error %s on %s %s (ref %s)", status, request.method, request.path, reference)
    if wants_json():
        body = {"error": str(title), "message": message, "status": status, "reference": reference}
        return jsonify(body), status
    page = render_template(
        "errors/error.html", status=status, title=title, message=message, reference=reference
    )
    return page, status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413 and g.get("upload_limit"):
            megabytes = max(g.upload_limit // (1024 * 1024), 1)
            return render_error(413, str(TOO_LARGE_UPLOAD.format(mb=megabytes)))
        return render_error(error.code or 500)

    @app.errorhandler(StaleDataError)
    def stale_data(_error: StaleDataError):
        # Two saves of the same row raced past the form's version check: the later one loses.
        from casework.extensions import db

        db.session.rollback()
        return render_error(409)

    @app.errorhandler(Exception)
    def unexpected_error(_error: Exception):
        from casework.extensions import db

        db.session.rollback()
        return render_error(InternalServerError.code)
