"""Response headers that every page carries."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and (
        current_user.is_authenticated or response.mimetype in ("text/html", "application/json")
    ):
        # Signed-in pages show personal data; nothing of them may stay in a shared browser cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def reject_control_characters() -> None:
    """400 for NUL bytes in the query string or form: no database stores them, and PostgreSQL
    refuses them outright, so they must never reach a query."""
    fields = (*request.args.items(multi=True), *request.form.items(multi=True))
    if any("\x00" in key or "\x00" in value for key, value in fields):
        abort(400)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that refuses ids no database column can hold (404 instead of an overflow)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def register(app: Flask) -> None:
    app.before_request(reject_control_characters)
    app.after_request(add_security_headers)
