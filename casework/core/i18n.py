"""Locale choice: the user's explicit choice for this session, French otherwise."""

from __future__ import annotations

from flask import has_request_context, session
from flask_babel import format_datetime, get_locale

SUPPORTED_LOCALES = ("fr_CA", "en")
DEFAULT_LOCALE = "fr_CA"
LOCALE_NAMES = {"fr_CA": "Français", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = session.get("locale")
    return chosen if chosen in SUPPORTED_LOCALES else DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    return locale.replace("_", "-")


MOMENT_PATTERNS = {"fr": "d MMM yyyy, H 'h' mm", "en": "MMM d, yyyy, h:mm a"}


def format_moment(value) -> str:
    """A date and time as people write them: « 20 nov. 2026, 12 h 30 », "Nov 20, 2026, 12:30 PM"."""
    locale = get_locale()
    pattern = MOMENT_PATTERNS.get(locale.language if locale else "fr", MOMENT_PATTERNS["fr"])
    return format_datetime(value, pattern)
