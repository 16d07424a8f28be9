"""French URLs (core/urls.py): the English paths they replaced answer 301 for a GET, keeping the
query string; unknown old paths stay 404; a POST to an old path is a 404, never redirected."""

from __future__ import annotations

import pytest
from flask import url_for

from casework.core.urls import OLD_PREFIXES, OLD_SEGMENTS, french_path
from casework.referrals.views import MOVE_PATHS
from tests import helpers
from tests.core.test_permissions import _sample

ENGLISH_PREFIXES = {french: english for english, french in OLD_PREFIXES.items()}
ENGLISH_SEGMENTS = {french: english for english, french in OLD_SEGMENTS.items()}


def english(path: str) -> str:
    """What ``path`` was before the URLs became French."""
    segments = path.split("/")
    segments[1] = ENGLISH_PREFIXES.get(segments[1], segments[1])
    segments[2:] = [ENGLISH_SEGMENTS.get(segment, segment) for segment in segments[2:]]
    return "/".join(segments)


def test_every_old_page_address_moves_permanently_to_its_french_one(app, client):
    moved = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.build({name: _sample(rule, name) for name in rule.arguments})[1]
        old = english(path)
        if old == path:
            continue
        response = client.get(old + "?page=2&tab=overdue")
        assert response.status_code == 301, old
        assert response.headers["Location"] == path + "?page=2&tab=overdue", old
        moved += 1
    assert moved >= 40


@pytest.mark.parametrize(
    ("old", "endpoint", "arguments"),
    [
        ("/cases/?status=new&page=3", "cases.index", {"status": "new", "page": 3}),
        ("/cases", "cases.index", {}),  # the French route ends with a slash
        ("/reference", "reference.index", {}),
        (
            "/cases/7/assessment/comparer?de=1&a=2",
            "assessments.compare",
            {"case_id": 7, "de": 1, "a": 2},
        ),
        ("/appointments/case/7/book", "appointments.book", {"case_id": 7}),
        ("/reminders/?tab=overdue", "reminders.index", {"tab": "overdue"}),
        ("/reminders/regles", "reminders.rules", {}),
        ("/airport/reservations/4?langue=en", "airport.slip", {"booking_id": 4, "langue": "en"}),
        (
            "/rapports/tableau-de-bord/funnel.csv?start=2026-01-01",
            "reports.dashboard_csv",
            {"table": "funnel", "start": "2026-01-01"},
        ),
    ],
)
def test_a_bookmark_keeps_working_with_its_query_string(app, client, old, endpoint, arguments):
    with app.test_request_context():
        new = url_for(endpoint, **arguments)
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new


@pytest.mark.parametrize(
    "old",
    [
        "/cases/nope",
        "/cases/7/assessment/nope",
        "/appointments/case/7/nope",
        "/reminders/7/terminer",  # a POST-only route: no page to send a GET to
        "/rapports/tableau-de-bord/nope.csv",
        "/caseses/",
    ],
)
def test_an_unknown_old_path_is_still_a_404(client, old):
    assert client.get(old).status_code == 404


def test_a_post_to_an_old_path_is_a_404_not_a_redirect(app, client, login, make_case):
    agent = login("agent")
    case = make_case(agent)
    with app.test_request_context():
        new = url_for("cases.add_interaction", case_id=case.id)
    old = f"/cases/{case.id}/suivi"
    assert french_path(old) == new
    note = {"kind": "note", "occurred_at": "2026-01-05T10:00", "summary": "x"}
    response = helpers.post_form(client, old, note, token_from=new)
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_french_words_stand_for_english_codes_in_urls(app):
    with app.test_request_context():
        assert url_for("referrals.move", referral_id=3, to_status="sent") == "/references/3/envoyee"
        assert url_for("reports.dashboard_csv", table="funnel") == (
            "/rapports/tableau-de-bord/references.csv"
        )
    assert set(MOVE_PATHS) == {
        "submitted",
        "approved",
        "returned",
        "sent",
        "accepted",
        "declined",
        "completed",
        "not_completed",
    }


def test_no_english_path_segment_is_left(app):
    """Every static part of every route is French (or a name: ics, pdf, csv, json, healthz).
    The API's paths are identifiers for programs, English like its field names and codes."""
    english_words = {*OLD_PREFIXES, *OLD_SEGMENTS, *MOVE_PATHS, "caseload", "needs", "funnel"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        static = [part for part in rule.rule.split("/") if part and "<" not in part]
        assert not set(static) & english_words, rule.rule
