"""The header's case search (issue 16, point 4): on every page for agents, advisors and
supervisors (not for the others), results scoped like the caseload, bad input answered with a
message, each search audited once, the « / » shortcut in a local script (no inline script)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers
from tests.cases.test_caseload import listed, search


@pytest.mark.parametrize("role", ["agent", "advisor", "supervisor"])
def test_the_header_has_the_search_for_who_reads_cases(client, login, role):
    login(role=role)
    home = client.get("/").text
    assert 'id="recherche-globale"' in home
    assert 'aria-keyshortcuts="/"' in home
    assert "/static/js/search-shortcut.js" in home
    assert "<script>" not in home  # the shortcut is a local file: the CSP forbids inline code


@pytest.mark.parametrize("role", ["airport", "partner", "admin"])
def test_the_others_have_no_case_search(client, login, role):
    login(role=role)
    assert 'id="recherche-globale"' not in client.get("/").text


def test_a_search_from_another_page_lists_the_readers_cases_only(
    client, login, make_user, make_case
):
    agent = login(role="agent")
    mine = make_case(agent, given_names="Noémie", family_name="Gagnon")
    theirs = make_case(make_user(role="agent"), given_names="Noemie", family_name="Gagnon")
    response = helpers.post_form(
        client, "/dossiers/recherche", {"q": "noemie gagnon"}, token_from="/rappels/"
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert listed(page, mine) and not listed(page, theirs)


def test_an_advisor_searches_their_region_by_phone_and_email(client, login, make_user, make_case):
    login(role="advisor")
    agent = make_user(role="agent")  # same region (Montréal) as the advisor
    case = make_case(agent, phone="514 555-0199", email="o.kovalenko@exemple.ca")
    for query in ("(514) 555-0199", "o.kovalenko@exemple.ca"):
        assert listed(search(client, query), case), query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a", "Tapez au moins deux lettres ou chiffres."),
        ("x" * 1000, "100 caractères"),
        ("!!! --- ???", "Rien à chercher"),
    ],
)
def test_bad_input_gets_a_clear_message_never_an_error(client, login, query, message):
    login(role="agent")
    response = helpers.post_form(client, "/dossiers/recherche", {"q": query}, token_from="/")
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).text


def _search_from_header(client, query: str):
    response = helpers.post_form(
        client, "/dossiers/recherche", {"q": query}, token_from="/rappels/"
    )
    return client.get(response.headers["Location"])


def test_each_search_is_audited_once(app, client, login, make_case):
    agent = login(role="agent")
    make_case(agent, family_name="Tremblay")
    _search_from_header(client, "tremblay")
    client.get("/dossiers/")  # back to the list, the search still kept: a listing
    _search_from_header(client, "tremblay")  # searched again: a second search
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.actor_id == agent.id, AuditEvent.action.like("cases.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["cases.searched", "cases.listed", "cases.searched"]
