"""The API's machinery: flask-smorest, token authentication, rate limiting, problem+json errors,
ETags and idempotent writes. The endpoints are in ``referrals.py``, ``cases.py``,
``statistics.py``, ``arrivals.py`` and ``reference.py``.

Every API request goes through the pages' request guards: the permissions policy
(``core.permissions.enforce_policy``) sees the token's holder as the current user, so the same
role × action × scope rules apply; on top of it, the token must carry the scope that the action
needs (``ACTION_SCOPES``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, g, make_response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Api, Blueprint
from sqlalchemy import delete, select
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from casework.api import ratelimit, tokens
from casework.api.models import ApiIdempotentAnswer
from casework.core.domain import DomainError
from casework.core.errors import problem
from casework.core.permissions import (
    PUBLIC,
    declared_action,
    in_scope,
    record_denial,
    requires,
    scope_for,
)
from casework.core.time import utcnow
from casework.core.unit_of_work import refusals_answered_by
from casework.extensions import csrf, db

PREFIX = "/api/v1"
# The token scope each policy action needs, besides the role's grant in the policy.
ACTION_SCOPES = {
    "referrals.read": "referrals:read",
    "referrals.transition": "referrals:write",
    "reference.view": "reference:read",
    "cases.read": "cases:read",
    "reports.dashboard": "statistics:read",
    "arrivals.announce": "arrivals:write",
}
# Names under which clients try to pass a token in the URL, where it would end up in logs.
TOKEN_QUERY_NAMES = ("access_token", "token", "api_key", "apikey", "key")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
# How long a write's answer is kept for its retries (a client retries within minutes).
IDEMPOTENCY_WINDOW = timedelta(hours=24)
JSON_METHODS = ("POST", "PUT", "PATCH")

# Marshmallow's messages, translated (the API answers in French or English).
FIELD_MESSAGES = {
    "Unknown field.": _l("Unknown field."),
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid datetime.": _l("Not a valid date and time (ISO 8601)."),
    "Invalid JSON body.": _l("Invalid JSON body."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid choice.": _l("Not a valid choice."),
    "String does not match expected pattern.": _l("Not in the expected format."),
    "Not a valid date.": _l("Not a valid date (ISO 8601: 2026-12-24)."),
}


class CaseworkParser(FlaskParser):
    """Bad input is a 400 (not webargs' 422), and unknown query parameters are refused too."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": "raise"}


class CaseworkBlueprint(Blueprint):
    ARGUMENTS_PARSER = CaseworkParser()


class CaseworkApi(Api):
    """flask-smorest without its own error handlers: the API's errors are problem+json."""

    DEFAULT_ERROR_RESPONSE_NAME = None  # each view documents its own problems

    def _register_error_handlers(self) -> None:
        return None


API_CONFIG = {
    "API_TITLE": "casework API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": None,  # served by our own public view (docs.py)
}
SPEC_INFO = {
    "description": (
        "Referrals for partner organisations, agents' case summaries, statistics, expected "
        "arrivals posted by the ministry's systems, and reference data. Authenticate with "
        "`Authorization: Bearer <token>`; errors are application/problem+json (RFC 9457)."
    ),
}


def spec() -> dict[str, Any]:
    """The OpenAPI document of the current application."""
    return current_app.extensions["casework_api"].spec.to_dict()


def blueprint(name: str, description: str) -> CaseworkBlueprint:
    blp = CaseworkBlueprint(name, __name__, url_prefix=PREFIX, description=description)
    blp.register_error_handler(HTTPException, http_error)
    return blp


def action(name: str) -> Callable:
    """Declare a view's policy action (``@requires``); the docs show the token scope it needs."""
    scope = ACTION_SCOPES[name]

    def mark(view: Callable) -> Callable:
        documented = Blueprint.doc(security=[{"bearerAuth": [scope]}])(view)
        return requires(name)(documented)

    return mark


ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "Send it back in If-Match"}}
PROBLEMS = {
    400: "Bad input: the problem names the field",
    401: "No token, or an unknown, revoked or expired one",
    403: "The role or the token's scopes do not allow it",
    404: "Nothing of that id in the caller's scope",
    409: "The lifecycle does not allow this now",
    412: "Stale If-Match: read the resource again",
    413: "The body is over the size limit",
    422: "Idempotency-Key already used for another request",
    428: "If-Match missing",
    429: "Too many requests for this token: see Retry-After",
}


def problems(blp: Blueprint, *statuses: int) -> Callable:
    """Document the problem+json answers a view may give."""

    def mark(view: Callable) -> Callable:
        for status in statuses:
            view = blp.alt_response(
                status,
                schema="Problem",
                content_type="application/problem+json",
                description=PROBLEMS[status],
            )(view)
        return view

    return mark


# --- Errors ---------------------------------------------------------------------------------


def field_errors(messages: Any, location: str = "") -> list[dict[str, str]]:
    """webargs' nested messages as a flat list naming each field."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "headers", "path") and not location:
                found += field_errors(value, key)
            else:
                name = str(key) if not location or location == "json" else f"{location}.{key}"
                for item in field_errors(value, location):
                    item["field"] = name if item["field"] == "" else f"{name}.{item['field']}"
                    found.append(item)
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (dict, list)):
                found += field_errors(message, location)
            else:
                found.append({"field": "", "detail": str(FIELD_MESSAGES.get(message, message))})
    return found


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    messages = (getattr(error, "data", None) or {}).get("messages")
    if messages:
        errors = field_errors(messages)
        fields = ", ".join(item["field"] or "body" for item in errors)
        return problem(status, _("Check these fields: %(fields)s.", fields=fields), errors=errors)
    if status == 413:
        return problem(413, errors=[{"field": "body", "detail": _("The body is too large.")}])
    valid_methods = getattr(error, "valid_methods", None)
    headers = {"Allow": ", ".join(valid_methods)} if status == 405 and valid_methods else {}
    return problem(status, headers=headers)


def refusal(error: DomainError) -> Response:
    """An operation's refusal: a field at fault is a 400; a rule about the state, a 409."""
    if error.field:
        found = [{"field": name, "detail": detail} for name, detail in error.errors if name]
        return problem(400, str(error), errors=found)
    return problem(409, str(error))


# --- Authentication, scope and rate limit ---------------------------------------------------


def authenticate() -> Response | None:
    """``before_request`` for /api/: the bearer token becomes the current user for the policy
    guard that runs next; the session cookie is never used here."""
    if not request.path.startswith("/api/"):
        return None
    in_query = [name for name in TOKEN_QUERY_NAMES if name in request.args]
    if in_query:
        detail = _("Send the token in the Authorization header, never in the address.")
        return problem(400, detail, errors=[{"field": in_query[0], "detail": detail}])
    if request.endpoint is None or declared_action(request.endpoint) == PUBLIC:
        return None
    refusals_answered_by(refusal)
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="casework"'}
    if scheme.lower() != "bearer" or not secret.strip():
        return problem(401, headers=challenge)
    token = tokens.find(secret.strip())
    if token is None:
        return problem(401, _("This token is unknown, revoked or expired."), headers=challenge)
    allowance = ratelimit.count_request(token)
    tokens.touch(token)
    holder = tokens.principal(token)
    token_id, scopes = token.id, list(token.scopes)
    db.session.commit()  # the count holds even if the request then fails
    g.api_token_id = token_id
    g.api_allowance = allowance
    if not allowance.allowed:
        return problem(429, headers={"Retry-After": str(allowance.retry_after)})
    g._login_user = holder  # Flask-Login's current user for this request
    needed = ACTION_SCOPES.get(declared_action(request.endpoint) or "")
    if needed not in scopes:
        return problem(403, _("This token does not have the %(scope)s permission.", scope=needed))
    if holder.must_change_password:
        return problem(403, _("This account must change its password before using the API."))
    if request.method in JSON_METHODS and request.mimetype != "application/json":
        detail = _("Send the body as application/json.")
        return problem(400, detail, errors=[{"field": "Content-Type", "detail": detail}])
    return None


def api_headers(response: Response) -> Response:
    """The language the API answered in, and what is left of the token's minute."""
    if not request.path.startswith("/api/"):
        return response
    locale = get_locale()
    response.headers["Content-Language"] = str(locale).replace("_", "-") if locale else "fr-CA"
    response.vary.add("Accept-Language")
    allowance = g.get("api_allowance")
    if allowance is not None:
        response.headers["RateLimit-Limit"] = str(allowance.limit)
        response.headers["RateLimit-Remaining"] = str(allowance.remaining)
    return response


# --- Objects in scope ------------------------------------------------------------------------


def load_in_scope(model: type, ident: int, policy_action: str) -> Any:
    """The object, or 404 — also when it lies outside the caller's scope (the refusal is kept
    in the audit trail, as ``load_or_abort`` does): a client learns nothing about what it may
    not see, not even that it exists."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    scope = scope_for(current_user.role, policy_action)
    if scope is None or not in_scope(current_user, scope, obj):
        record_denial(policy_action, obj)
        abort(404)
    return obj


# --- ETags and idempotency ------------------------------------------------------------------


def etag_of(obj: Any) -> str:
    return f'"{obj.id}-{obj.version}"'


def require_current(obj: Any) -> int:
    """A write needs the ETag the client read (If-Match): absent → 428, stale → 412. Returns the
    version it stands for, which the operation checks again under its own lock."""
    header = request.headers.get("If-Match")
    if not header:
        abort(428)
    candidates = [item.strip().removeprefix("W/") for item in header.split(",")]
    if etag_of(obj) not in candidates:
        abort(412)
    return obj.version


def idempotent(view: Callable) -> Callable:
    """A write sent again with the same Idempotency-Key and body gets the first answer again,
    without being done twice; the same key with another body is refused (422)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not IDEMPOTENCY_KEY.match(key):
            detail = _("At most 200 visible characters.")
            return problem(400, detail, errors=[{"field": "Idempotency-Key", "detail": detail}])
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])
        ).hexdigest()
        stored = db.session.scalar(
            select(ApiIdempotentAnswer).where(
                ApiIdempotentAnswer.token_id == g.api_token_id,
                ApiIdempotentAnswer.key == key,
                ApiIdempotentAnswer.created_at >= utcnow() - IDEMPOTENCY_WINDOW,
            )
        )
        if stored is not None:
            if stored.fingerprint != fingerprint:
                detail = _("This Idempotency-Key was used for another request.")
                return problem(422, detail, errors=[{"field": "Idempotency-Key", "detail": detail}])
            replay = Response(stored.body, status=stored.status, mimetype="application/json")
            replay.headers.extend({**stored.headers, "Idempotent-Replayed": "true"})
            return replay
        response = make_response(view(*args, **kwargs))
        db.session.execute(
            delete(ApiIdempotentAnswer).where(
                ApiIdempotentAnswer.token_id == g.api_token_id,
                ApiIdempotentAnswer.created_at < utcnow() - IDEMPOTENCY_WINDOW,
            )
        )
        if response.status_code < 300:
            kept = {name: response.headers[name] for name in ("ETag",) if name in response.headers}
            db.session.add(
                ApiIdempotentAnswer(
                    token_id=g.api_token_id,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status_code,
                    body=response.get_data(as_text=True),
                    headers=kept,
                )
            )
        return response

    return wrapper


# --- Registration ---------------------------------------------------------------------------


def register(app: Flask) -> None:
    """Called from ``app.register_blueprints``: before the request guards, so that the token is
    the current user when the policy guard looks."""
    from casework.api import arrivals, cases, docs, reference, referrals, statistics
    from casework.api.schemas import Problem

    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api = CaseworkApi(app, spec_kwargs={"info": SPEC_INFO})
    app.extensions["casework_api"] = api
    api.spec.components.schema("Problem", schema=Problem)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "API token"}
    )
    app.before_request(authenticate)
    app.after_request(api_headers)
    for module in (referrals, cases, reference, statistics, arrivals):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)


def purge_idempotent_answers(now: datetime | None = None) -> dict[str, int]:
    """Delete the stored answers past their window, of every token (the scheduler's
    ``idempotency`` job): a token that stopped writing must not keep the persons' data its
    answers carry (an expected arrival's name and date of birth) past it."""
    deleted = db.session.execute(
        delete(ApiIdempotentAnswer).where(
            ApiIdempotentAnswer.created_at < (now or utcnow()) - IDEMPOTENCY_WINDOW
        )
    ).rowcount
    db.session.commit()
    return {"idempotent_answers_deleted": deleted}
