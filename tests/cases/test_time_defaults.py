"""Dates and times: notes and consents default to now; one French time format; relative days."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from casework.core.time import local_now, local_today
from tests import helpers


def test_a_note_defaults_to_now_and_a_consent_to_today(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = client.get(helpers.note_path(app, case.id)).text
    value = re.search(r'id="occurred_at"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*id="occurred_at"', page
    )
    shown = datetime.strptime(value.group(1), "%Y-%m-%dT%H:%M")
    assert abs(shown - local_now()) <= timedelta(minutes=2)
    consents = client.get(f"/dossiers/{case.id}/consentements").text
    assert f'value="{local_today().isoformat()}"' in consents


def test_times_are_written_the_french_way(app):
    from datetime import time

    from casework.core.i18n import format_clock

    with app.test_request_context():
        assert format_clock(time(9, 45)) == "9 h 45"
        assert format_clock(time(0, 5)) == "0 h 05"
