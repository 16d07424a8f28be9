"""Security at the edge of every request: size limits, same-origin changes, input guards, and
the response headers every page carries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

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


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def own_origins() -> set[str]:
    """The site's own address: the one this request reached (scheme and host, as the proxies
    the configuration trusts report them) and the configured ``BASE_URL``."""
    return {
        origin
        for origin in (_origin_of(request.host_url), _origin_of(current_app.config["BASE_URL"]))
        if origin
    }


def require_same_origin() -> None:
    """Defence in depth beside the CSRF token: a change (POST and the other unsafe methods)
    sent by a browser from another site is refused (403), even with a valid token.

    Browsers send ``Origin`` with every POST (``Referer`` when an older one does not); a foreign
    or opaque (« null ») origin is refused. A request carrying neither header does not come from
    a page of another site (scripts, the test client, curl) and is left to the CSRF check."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    claimed = origin if origin is not None else request.headers.get("Referer")
    if claimed is None:
        return
    if claimed.strip().lower() == "null" or _origin_of(claimed) not in own_origins():
        log.warning("cross-origin %s to %s refused", request.method, request.path)
        abort(403)


UPLOAD_LIMIT_ATTRIBUTE = "casework_upload_limit"


def accepts_upload(limit: Callable[[dict], int]) -> Callable[[F], F]:
    """Declare that a view receives a file: its requests may be as large as ``limit(config)``
    bytes, instead of ``MAX_CONTENT_LENGTH`` (the small limit of every other request)."""

    def mark(view: F) -> F:
        setattr(view, UPLOAD_LIMIT_ATTRIBUTE, limit)
        return view

    return mark


def apply_upload_limit() -> None:
    """Before anything reads the body (the CSRF check parses the form): the request's size limit
    is its view's. Over it, werkzeug answers 413 from the Content-Length without reading, or
    stops a chunked body at the limit; the parser spools files to disk, never to memory."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, UPLOAD_LIMIT_ATTRIBUTE, None)
    if limit is not None:
        request.max_content_length = limit(current_app.config)
        g.upload_limit = request.max_content_length


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that refuses ids no database column can hold (404 instead of an overflow)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def register(app: Flask) -> None:
    app.before_request(require_same_origin)
    app.before_request(reject_control_characters)
    app.after_request(add_security_headers)
