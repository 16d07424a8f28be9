"""Locale choice: the user's explicit choice for this session, French otherwise."""

from __future__ import annotations

from flask import has_request_context, session

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
