"""Where a request goes next: redirect targets that stay on this site, and « done »."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect
from werkzeug.wrappers import Response


def safe_next(target: str | None, fallback: str) -> str:
    """Return ``target`` only if it is a path on this site; anything else falls back."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\\"):
        return fallback
    return target


def done(message: str, url: str, category: str = "success") -> Response:
    """The change is made (the unit of work commits it): say so, and go to ``url``."""
    flash(message, category)
    return redirect(url)
