"""Locale choice: the user's explicit choice for this session (the API: Accept-Language),
French otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from babel.dates import format_date as format_babel_date
from babel.dates import format_time as format_wall_clock
from flask import has_request_context, request, session
from flask_babel import (
    format_date,
    format_datetime,
    format_time,
    get_locale,
    get_timezone,
    ngettext,
)
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

from casework.core.time import local_today, utc_to_local

SUPPORTED_LOCALES = ("fr_CA", "en")
DEFAULT_LOCALE = "fr_CA"
LOCALE_NAMES = {"fr_CA": "Français", "en": "English"}


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.path.startswith("/api/"):  # machine clients say it with Accept-Language
        best = request.accept_languages.best_match(("fr", "fr-CA", "en"), default="fr")
        return "en" if best == "en" else DEFAULT_LOCALE
    chosen = session.get("locale")
    return chosen if chosen in SUPPORTED_LOCALES else DEFAULT_LOCALE


def template_gettext(translations: Any) -> dict[str, Any]:
    """``_``, ``gettext`` and ``ngettext`` for one template render, bound to ``translations``
    (those of the render's locale): the same results as the Jinja i18n extension's new-style
    callables that Flask-Babel installs (Markup when autoescaping, ``%`` formatting with the
    keyword arguments, ``num`` given to plural forms), without looking the translations up
    again on every call. Macros imported without context keep the environment's callables."""

    @pass_context
    def gettext(context: Any, string: str, **variables: Any) -> str:
        result = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            result = Markup(result)
        return result % variables

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        result = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            result = Markup(result)
        return result % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


# Closed lists' labels, translated once per locale: (the list, its labels in that locale).
_translated: dict[tuple[int, str], tuple[Mapping[str, Any], dict[str, str]]] = {}


def translated(labels: Mapping[str, Any]) -> dict[str, str]:
    """A closed list's labels (a module constant: code → lazy label) in the current locale,
    resolved once per locale for the whole process rather than once per row: a list of 20
    cases showed 60 lazy labels, each a lookup of the locale and the catalogue (issue 23).
    The labels are code and compiled catalogues, which do not change while the application
    runs, and nothing personal; force_locale is followed (the locale is read on each call)."""
    locale = str(get_locale() or DEFAULT_LOCALE)
    key = (id(labels), locale)
    hit = _translated.get(key)
    if hit is None or hit[0] is not labels:
        hit = (labels, {code: str(label) for code, label in labels.items()})
        _translated[key] = hit
    return hit[1]


_resolved: dict[tuple[int, str], tuple[Any, str]] = {}
RESOLVED_KEPT = 4096


def resolved(label: Any, locale: str | None = None) -> Any:
    """``label`` in ``locale`` (the current one when not given) when it is a lazy string, as is
    otherwise. Meant for the lazy labels of class attributes (form fields' labels and hints),
    which live as long as the process: each is resolved once per locale, where a field's
    template read it three or four times per render, each a lookup of the locale and the
    catalogue (issue 23)."""
    if not isinstance(label, LazyString):
        return label
    key = (id(label), locale or str(get_locale() or DEFAULT_LOCALE))
    hit = _resolved.get(key)
    if hit is None or hit[0] is not label:
        if len(_resolved) >= RESOLVED_KEPT:  # labels made per request would otherwise pile up
            _resolved.clear()
        hit = _resolved[key] = (label, str(label))
    return hit[1]


def html_lang(locale: str) -> str:
    return locale.replace("_", "-")


MOMENT_PATTERNS = {"fr": "d MMM yyyy, H 'h' mm", "en": "MMM d, yyyy, h:mm a"}
CLOCK_PATTERNS = {"fr": "H 'h' mm", "en": "h:mm a"}


def _pattern(patterns: dict[str, str]) -> str:
    locale = get_locale()
    return patterns.get(locale.language if locale else "fr", patterns["fr"])


def format_moment(value) -> str:
    """A date and time as people write them: « 20 nov. 2026, 12 h 30 », "Nov 20, 2026, 12:30 PM"
    (a naive datetime is UTC, shown in Québec's time)."""
    pattern = _pattern(MOMENT_PATTERNS)
    if not isinstance(value, datetime):
        return format_datetime(value, pattern)
    # The same moments come back on every request (the airport's slots, today's bookings):
    # each is formatted once per language and time zone (Babel takes some 30 µs a moment).
    key = (value, pattern, str(get_locale()), str(get_timezone()))
    text = _moments.get(key)
    if text is None:
        if len(_moments) >= MOMENTS_KEPT:
            _moments.clear()
        text = _moments[key] = format_datetime(value, pattern)
    return text


MOMENTS_KEPT = 4096
_moments: dict[tuple, str] = {}


def format_clock(value) -> str:
    """A time of day as people write it: « 9 h 45 », "9:45 AM" — the one time format of every
    page, slip and message (a naive datetime is UTC, shown in Québec's time; a ``time`` is a
    wall-clock time already in Québec's time — opening hours, availability — and stays as is)."""
    if isinstance(value, time):
        return format_wall_clock(value, _pattern(CLOCK_PATTERNS), locale=get_locale())
    return format_time(value, _pattern(CLOCK_PATTERNS))


def _day(value: date | datetime) -> date:
    return utc_to_local(value).date() if isinstance(value, datetime) else value


def relative_day(value: date | datetime, today: date | None = None) -> str:
    """How far a day is from today, in words: « aujourd'hui », « demain », « hier »,
    « dans 3 jours », « il y a 2 jours ». A datetime is UTC, taken on Québec's calendar."""
    days = (_day(value) - (today or local_today())).days
    return _days_in_words("relative", days, _locale())


def due_in_words(
    value: date | datetime, today: date | None = None, locale: str | None = None
) -> str:
    """When something is due, in words: « aujourd'hui », « demain », « dans 3 jours », and for
    what is past due « en retard de 2 jours » (never « late » for a day still to come)."""
    days = (_day(value) - (today or local_today())).days
    return _days_in_words("due", days, locale or _locale())


def _locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


# Lists show a day in words on every row: the words for a number of days, in a locale, are the
# same every time (code and compiled catalogues), so they are looked up once (issue 23).
@lru_cache(maxsize=2048)
def _days_in_words(kind: str, days: int, locale: str) -> str:
    if kind == "due" and days < 0:
        return ngettext("%(num)d day late", "%(num)d days late", -days)
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in %(num)d day", "in %(num)d days", days)
    return ngettext("%(num)d day ago", "%(num)d days ago", -days)


def format_day(
    value: date | datetime | None, format: str = "medium", locale: str | None = None
) -> str:
    """Flask-Babel's ``dateformat`` filter, a day (not a moment) formatted once per day,
    pattern and locale: a list of 25 cases formatted each follow-up day through Babel (issue
    23). A datetime still goes through Flask-Babel, for the user's time zone."""
    if type(value) is not date:
        return format_date(value, format)
    return _formatted_day(value, format, locale or _locale())


# The templates' ``dateformat`` and ``due_in_words``: in the render's language, as the layout's
# context says it (``current_locale``), rather than looked up again on every row of a list.
@pass_context
def day_filter(context: Any, value: date | datetime | None, format: str = "medium") -> str:
    return format_day(value, format, context.get("current_locale"))


@pass_context
def due_filter(context: Any, value: date | datetime, today: date | None = None) -> str:
    return due_in_words(value, today, context.get("current_locale"))


@lru_cache(maxsize=4096)
def _formatted_day(day: date, pattern: str, locale: str) -> str:
    return format_babel_date(day, pattern, locale=locale)
