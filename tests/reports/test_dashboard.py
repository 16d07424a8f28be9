"""The regional dashboard: scope, filters, figures, charts and bounded queries."""

from __future__ import annotations

import re

import pytest

from casework.core.audit import AuditEvent
from casework.extensions import db
from tests.reports.factories import busy_agent

DASHBOARD = "/rapports/tableau-de-bord"


def forget_snapshots() -> None:
    from sqlalchemy import delete

    from casework.reports.models import DashboardSnapshot

    db.session.execute(delete(DashboardSnapshot))
    db.session.commit()


@pytest.fixture
def activity(app, make_user):
    with app.app_context():
        return busy_agent(make_user, 3)


def test_supervisor_sees_the_figures_of_the_region(client, login, activity):
    login(role="supervisor")
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.text
    # Caseload per agent: 3 active cases, 3 follow-ups overdue.
    row = re.search(r"<th scope=\"row\">Test Agent\d+</th>(.*?)</tr>", page).group(1)
    assert re.findall(r">(\d+)<", row) == ["0", "3", "0", "3", "3"]
    # Funnel: 3 submitted, 3 sent, 3 accepted; median answer 2 days.
    funnel = re.search(r"<th scope=\"row\">PROMIS</th>(.*?)</tr>", page).group(1)
    assert re.findall(r">([\d,—]+)<", funnel) == ["3", "3", "3", "0", "0", "2"]
    # Delays: arrival → first appointment 10 days, first appointment → plan 10 days, n = 3.
    assert len(re.findall(r'<td class="numeric"><a href="[^"]+">10</a></td>', page)) == 4
    # Charts: SVG drawn here, described, next to the table.
    assert page.count('role="img"') == 4
    assert '<title id="chart-caseload-title">' in page and "<desc id=" in page
    assert "<script" not in page.split("</head>")[1]


def test_advisor_outside_the_region_sees_nothing_of_it(client, login, activity):
    login(role="advisor", region="03")
    page = client.get(DASHBOARD).text
    assert "PROMIS" not in page and "Aucun dossier actif" in page


def test_a_region_the_user_may_not_see_is_403_and_audited(app, client, login):
    user = login(role="supervisor", region="06")
    with app.app_context():
        from sqlalchemy import select

        from casework.reference.models import Region

        other = db.session.scalar(select(Region.id).where(Region.code == "03"))
    response = client.get(f"{DASHBOARD}?region={other}")
    assert response.status_code == 403
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == user.id, AuditEvent.outcome == "denied")
        ).all()
    assert [e.action for e in denied] == ["reports.dashboard"]


def test_admin_sees_every_region_and_may_narrow(app, client, login, activity):
    login(role="admin")
    page = client.get(DASHBOARD).text
    assert "Toutes les régions" in page and "PROMIS" in page
    with app.app_context():
        from sqlalchemy import select

        from casework.reference.models import Region, ServicePoint

        quebec = db.session.scalar(select(Region.id).where(Region.code == "03"))
        montreal_dr = db.session.scalar(
            select(ServicePoint.id).where(ServicePoint.code == "DR-MTL")
        )
    assert "PROMIS" not in client.get(f"{DASHBOARD}?region={quebec}").text
    by_directorate = client.get(f"{DASHBOARD}?directorate={montreal_dr}").text
    assert "PROMIS" in by_directorate and "Direction régionale de Montréal ·" in by_directorate
    conflicting = client.get(f"{DASHBOARD}?region={quebec}&directorate={montreal_dr}")
    assert conflicting.status_code == 400
    assert "ne couvre pas la région choisie" in conflicting.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-10&end=2026-03-01", "La période est vide"),
        ("start=2026-02-30", "Entrez une date valide."),
        ("start=2010-01-01&end=2026-01-01", "au plus cinq ans"),
    ],
)
def test_a_period_that_cannot_be_reported_says_why(client, login, query, message):
    login(role="supervisor")
    response = client.get(f"{DASHBOARD}?{query}")
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("query", ["region=abc", "directorate=%C2%B2", "region=99999999"])
def test_malformed_filters_are_400_or_403_never_500(client, login, query):
    login(role="admin")
    assert client.get(f"{DASHBOARD}?{query}").status_code in (400, 403)


def test_a_quiet_period_says_so(client, login, activity):
    login(role="supervisor")
    page = client.get(f"{DASHBOARD}?start=2020-01-01&end=2020-01-31").text
    assert "Rien ne s'est passé pendant cette période" in page
    # The current caseload is still shown: it does not depend on the period.
    assert "Charge de dossiers active" in page


def test_agents_and_partners_have_no_dashboard(client, login):
    login(role="agent")
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_dashboard_queries_are_bounded_and_do_not_grow(
    app, client, login, make_user, count_queries, role
):
    login(role=role)
    with app.app_context():
        busy_agent(make_user, 2)
    with count_queries() as few:
        assert client.get(DASHBOARD).status_code == 200
    with app.app_context():
        busy_agent(make_user, 18)
        busy_agent(make_user, 2, region="03")
        forget_snapshots()  # measure the computation again, not the snapshot's reading
    with count_queries() as many:
        page = client.get(DASHBOARD).text
    assert "20" in page or role == "admin"
    assert many.count == few.count, many.statements
    # The figures' SELECTs (the no-shows by reminder one of them), the session, the snapshot's
    # lookup and its keeping, the territory.
    assert many.count <= 18, many.statements


def test_dashboard_read_is_audited(app, client, login):
    user = login(role="advisor")
    client.get(DASHBOARD)
    with app.app_context():
        from sqlalchemy import select

        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == user.id)
        ).all()
    assert "dashboard.viewed" in actions
