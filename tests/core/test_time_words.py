"""Times and relative dates, as people read them, in both languages."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from flask_babel import force_locale

from casework.core.i18n import due_in_words, format_clock, relative_day

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("locale", "value", "expected"),
    [
        ("fr_CA", time(9, 45), "9 h 45"),
        ("fr_CA", time(9, 5), "9 h 05"),
        ("en", time(9, 45), "9:45 AM"),
        # A stored moment is UTC: 14:45 UTC is 9 h 45 in Montréal in December.
        ("fr_CA", datetime(2026, 12, 6, 14, 45), "9 h 45"),
    ],
)
def test_one_clock_format(app, locale, value, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_clock(value) == expected


@pytest.mark.parametrize(
    ("offset", "relative", "due"),
    [
        (0, "aujourd'hui", "aujourd'hui"),
        (1, "demain", "demain"),
        (-1, "hier", "en retard de 1 jour"),
        (3, "dans 3 jours", "dans 3 jours"),
        (-2, "il y a 2 jours", "en retard de 2 jours"),
    ],
)
def test_days_in_words_in_french(app, offset, relative, due):
    day = date.fromordinal(TODAY.toordinal() + offset)
    with app.test_request_context(), force_locale("fr_CA"):
        assert relative_day(day, TODAY) == relative
        assert due_in_words(day, TODAY) == due


def test_a_moment_counts_on_quebec_calendar(app):
    # 02:00 UTC on the 7th is still the evening of the 6th in Montréal: today, not tomorrow.
    with app.test_request_context(), force_locale("fr_CA"):
        assert relative_day(datetime(2026, 12, 7, 2, 0), TODAY) == "aujourd'hui"
        assert due_in_words(datetime(2026, 12, 7, 2, 0), TODAY) == "aujourd'hui"


def test_days_in_words_in_english(app):
    with app.test_request_context(), force_locale("en"):
        assert due_in_words(date(2026, 12, 4), TODAY) == "2 days late"
        assert relative_day(date(2026, 12, 9), TODAY) == "in 3 days"


def test_a_day_is_formatted_as_flask_babel_formats_it_in_either_locale(app):
    """The layout's ``dateformat`` keeps formatted days (issue 23): the same text as
    Flask-Babel's, in the locale of the render, and a datetime still in Québec's time."""
    from datetime import date, datetime

    from flask import render_template_string
    from flask_babel import format_date

    days = [date(2026, 1, 31), date(2026, 12, 6), date(2027, 7, 1)]
    patterns = ["medium", "long", "full", "EEEE d MMM"]
    with app.test_request_context("/"):
        for locale in ("fr_CA", "en"):
            with force_locale(locale):
                for day in days:
                    for pattern in patterns:
                        shown = render_template_string(
                            "{{ day|dateformat(pattern) }}", day=day, pattern=pattern
                        )
                        assert shown == format_date(day, pattern)
        late_evening = datetime(2026, 12, 7, 3, 30)  # UTC: still the 6th in Montréal
        assert render_template_string("{{ d|dateformat('long') }}", d=late_evening) == (
            "6 décembre 2026"
        )
