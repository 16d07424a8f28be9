"""The administrators' audit trail: named events, case numbers, filters, one row per action."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.core.audit import ACTION_LABELS, AuditEvent
from casework.core.permissions import POLICY
from casework.extensions import db
from tests import helpers
from tests.cases.test_caseload import search

SOURCE = Path(__file__).parents[2] / "casework"


def actions(app, actor_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.actor_id == actor_id)
                .order_by(AuditEvent.id)
            )
        )


def test_every_recorded_action_and_every_refusal_has_a_name():
    """A code written by ``record(actor, "code", …)`` or refused by the policy has a label."""
    recorded = set()
    for path in SOURCE.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_.]+)"', path.read_text()))
    assert recorded, "the pattern no longer finds the audit calls"
    missing = sorted((recorded | set(POLICY)) - set(ACTION_LABELS))
    assert missing == []


def test_a_search_is_logged_once_however_often_its_results_are_shown(app, client, login, make_case):
    """The search stays in the session, so coming back to the list (menu, Back button) shows
    its results again: that is a listing, not a second search."""
    agent = login(role="agent")
    case = make_case(agent, family_name="Tremblay")
    search(client, "tremblay")
    client.get("/dossiers/")  # back to the list after opening a case
    logged = actions(app, agent.id)
    assert logged.count("cases.searched") == 1
    assert logged[-2:] == ["cases.searched", "cases.listed"]
    with app.app_context():
        kept = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cases.listed").order_by(AuditEvent.id)
        ).all()[-1]
    assert kept.details == {"case_ids": [case.id], "search_kept": True}
    search(client, "tremblay")  # searching again is a second search
    assert actions(app, agent.id).count("cases.searched") == 2


def test_trail_shows_names_and_case_numbers_never_none(app, client, login, make_user, make_case):
    agent = make_user(role="agent")
    case = make_case(agent)
    other = app.test_client()
    helpers.login(other, agent.username, agent.password)
    other.get(f"/dossiers/{case.id}")
    other.get("/dossiers/")
    login(role="admin")
    page = client.get("/admin/journal/").text
    assert "#None" not in page
    assert f"Dossier {case.number}" in page  # the file read, by its number
    assert "Dossier consulté" in page
    assert f"Compte {agent.username}" in page  # the sign-in, by the account's name
    assert "<code>case.viewed" not in page.split("<tbody>")[1]  # names, not codes
    assert "Dossier : 1 affiché(s)" in page  # the caseload listed, not « Dossier #None »


def test_filters_by_account_case_kind_and_dates(app, client, login, make_user, make_case):
    agent, colleague = make_user(role="agent"), make_user(role="agent")
    case, other_case = make_case(agent), make_case(colleague)
    for who, case_id in ((agent, case.id), (colleague, other_case.id)):
        browser = app.test_client()
        helpers.login(browser, who.username, who.password)
        browser.get(f"/dossiers/{case_id}")
    login(role="admin")

    by_user = client.get(f"/admin/journal/?user={agent.username.upper()}").text
    assert f"Dossier {case.number}" in by_user and other_case.number not in by_user

    by_case = client.get(f"/admin/journal/?case={other_case.number.lower()}").text
    assert f"Dossier {other_case.number}" in by_case and f"Dossier {case.number}" not in by_case

    by_kind = client.get("/admin/journal/?kind=case.viewed").text
    assert case.number in by_kind and "Connexion réussie" not in by_kind

    from casework.core.time import local_today

    today = local_today().isoformat()
    assert case.number in client.get(f"/admin/journal/?start={today}&end={today}").text
    assert "Aucun événement" in client.get("/admin/journal/?start=2001-01-01&end=2001-01-31").text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("user=nobody-here", "Aucun compte"),
        ("case=AQ-1999-999999", "Aucun dossier"),
        ("kind=drop.table", "Choisissez un type"),
        ("start=2026-13-45", "Entrez une date valide"),
        ("start=0001-01-01", "Entrez une date valide"),
        ("start=2026-03-10&end=2026-03-01", "avant la date de début"),
        ("user=" + "x" * 500, "Au plus 80"),
    ],
)
def test_bad_filters_say_what_is_wrong(client, login, query, message):
    login(role="admin")
    response = client.get(f"/admin/journal/?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert '<table class="data-table">' not in response.text


def test_bad_filters_refuse_the_csv_too(client, login):
    login(role="admin")
    from tests.reports.test_exports import confirm

    response = confirm(client, "/rapports/journal.csv?kind=nope")
    assert client.get(response.headers["Location"]).status_code == 400


def test_trail_is_paginated(app, client, login):
    from casework.core import audit

    login(role="admin")
    with app.app_context():
        for _ in range(30):
            audit.record(None, "retention.run", target_type="case")
        db.session.commit()
    first = client.get("/admin/journal/").text
    assert "page=2" in first
    assert client.get("/admin/journal/?page=2").status_code == 200
