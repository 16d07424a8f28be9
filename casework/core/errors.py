"""Error pages (HTML or JSON) with a reference id; never a stack trace."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
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
    401: (_l("Not authenticated"), _l("Send a valid API token in the Authorization header.")),
    403: (_l("Access denied"), _l("Your role or your region does not give access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist or is no longer available.")),
    405: (_l("Method not allowed"), _l("This action cannot be performed this way.")),
    409: (
        _l("Conflict"),
        _l("Someone else changed this information in the meantime. Reload the page and try again."),
    ),
    412: (
        _l("Precondition failed"),
        _l("The resource changed since you read it: read it again and retry with its new ETag."),
    ),
    413: (_l("Request too large"), _l("What you sent is larger than the allowed maximum.")),
    428: (_l("Precondition required"), _l("Send the resource's ETag in an If-Match header.")),
    429: (_l("Too many requests"), _l("Too many requests for this token: retry later.")),
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


API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"


def _log(status: int, reference: str) -> None:
    if status >= 500:
        log.exception("error %s on %s %s (ref %s)", status, request.method, request.path, reference)
    else:
        log.info("error %s on %s %s (ref %s)", status, request.method, request.path, reference)


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, Any] | None = None,
):
    """An API error as ``application/problem+json`` (RFC 9457), with a reference id to quote;
    ``errors`` names the fields at fault. Never a stack trace."""
    reference = secrets.token_hex(6)
    _log(status, reference)
    default_title, default_detail = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or str(default_title),
        "status": status,
        "detail": detail or str(default_detail),
        "instance": request.path,
        "reference": reference,
    }
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE
    )
    response.headers.extend(headers or {})
    return response


def render_error(status: int, detail: str | None = None):
    if request.path.startswith(API_PREFIX):
        return problem(status, detail)
    reference = secrets.token_hex(6)
    title, default_detail = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    message = detail or str(default_detail)
    _log(status, reference)
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
