"""Caseload filters, accent-insensitive search and bounded queries."""

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from casework.cases.models import Case
from casework.extensions import db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("helene", True),
        ("HÉLÈNE", True),
        ("hel", True),
        ("cote", True),
        ("Côté Hélène", True),
        ("514-555-0123", True),
        ("5550123", True),
        ("helene.cote@exemple", True),
        ("zzzz", False),
    ],
)
def test_accent_insensitive_search(client, login, make_case, query, expected):
    agent = login(role="agent")
    case = make_case(
        agent,
        given_names="Hélène",
        family_name="Côté",
        phone="(514) 555-0123",
        email="helene.cote@exemple.ca",
    )
    make_case(agent, given_names="Oksana", family_name="Kovalenko")
    page = client.get("/cases/", query_string={"q": query}).text
    assert (case.number in page) is expected
    assert "Kovalenko" not in page


def test_letters_without_decomposition_are_folded(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent, given_names="Văn Đức", family_name="Đặng")
    other = make_case(agent, given_names="Şule", family_name="Yılmaz")
    assert case.number in client.get("/cases/", query_string={"q": "duc dang"}).text
    assert other.number in client.get("/cases/", query_string={"q": "yilmaz"}).text


def test_search_by_case_number(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    other = make_case(agent)
    page = client.get("/cases/", query_string={"q": case.number}).text
    assert case.number in page and other.number not in page


def test_search_never_reaches_cases_outside_scope(client, login, make_user, make_case):
    login(role="agent", region="06")
    stranger = make_user(role="agent", region="06")
    make_case(stranger, given_names="Hélène", family_name="Secrète")
    assert "Secrète" not in client.get("/cases/", query_string={"q": "secrete"}).text


def test_filters_status_priority_overdue(app, client, login, make_case):
    agent = login(role="agent")
    overdue, future, urgent = make_case(agent), make_case(agent), make_case(agent)
    with app.app_context():
        db.session.execute(
            update(Case)
            .where(Case.id == overdue.id)
            .values(next_follow_up_on=date.today() - timedelta(days=3), status="active")
        )
        db.session.execute(
            update(Case)
            .where(Case.id == future.id)
            .values(next_follow_up_on=date.today() + timedelta(days=30))
        )
        db.session.execute(update(Case).where(Case.id == urgent.id).values(priority="urgent"))
        db.session.commit()
    page = client.get("/cases/?overdue=y").text
    assert overdue.number in page and future.number not in page and urgent.number not in page
    page = client.get("/cases/?priority=urgent").text
    assert urgent.number in page and overdue.number not in page
    page = client.get("/cases/?status=active").text
    assert overdue.number in page and future.number not in page


def test_supervisor_filters_by_region(client, login, make_user, make_case):
    login(role="supervisor", region="06")
    agent = make_user(role="agent", region="06")
    case = make_case(agent)
    assert case.number in client.get("/cases/").text
    assert "Agent" in client.get("/cases/").text or "agent" in client.get("/cases/").text


def test_bad_filter_values_are_harmless(client, login):
    login(role="agent")
    for query in (
        "status=pirate",
        "sort=evil",
        "page=-1",
        "region=abc",
        "domain=nope",
        "q=" + "x" * 500,
        "q=%22*OR*",
    ):
        assert client.get(f"/cases/?{query}").status_code == 200, query


def _caseload_queries(client, count_queries, path="/cases/"):
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_caseload_and_case_page_use_a_bounded_number_of_queries(
    app, client, login, make_case, count_queries
):
    agent = login(role="agent")
    cases = [make_case(agent) for _ in range(3)]
    few_list = _caseload_queries(client, count_queries)
    few_page = _caseload_queries(client, count_queries, f"/cases/{cases[0].id}")
    for _ in range(25):
        cases.append(make_case(agent))
    _add_timeline_and_household(app, agent, cases[0].id)
    assert _caseload_queries(client, count_queries) == few_list
    assert _caseload_queries(client, count_queries, f"/cases/{cases[0].id}") == few_page
    assert few_list <= 12 and few_page <= 16


def _add_timeline_and_household(app, agent, case_id):
    from datetime import datetime

    from casework.cases.models import HouseholdMember, Interaction

    with app.app_context():
        for index in range(15):
            db.session.add(
                Interaction(
                    case_id=case_id,
                    kind="note",
                    occurred_at=datetime(2026, 1, 1 + index),
                    summary="n",
                    author_id=agent.id,
                )
            )
            db.session.add(
                HouseholdMember(
                    case_id=case_id, relationship_to_person="child", given_names=f"Enfant {index}"
                )
            )
        db.session.commit()
