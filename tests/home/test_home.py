import pytest

from tests import helpers


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("agent", "Mes dossiers"),
        ("advisor", "Références à examiner"),
        ("airport", "aéroport"),
        ("supervisor", "Tableau de bord régional"),
        ("partner", "Références reçues"),
        ("admin", "Comptes utilisateurs"),
    ],
)
def test_home_page_says_what_each_role_does_next(client, login, role, expected):
    login(role=role)
    page = client.get("/", follow_redirects=True).text  # airport staff land on the console
    assert expected in page
    # Every card leads somewhere: the regional dashboard is no longer « à venir ».
    if role in ("supervisor", "advisor", "admin"):
        assert 'href="/rapports/tableau-de-bord"' in page
        assert "badge--soon" not in page


def test_admin_home_links_to_account_administration(client, login):
    login(role="admin")
    page = client.get("/").text
    assert 'href="/admin/utilisateurs/"' in page and 'href="/admin/journal/"' in page


def test_home_in_english(client, login):
    login(role="agent")
    helpers.post_form(client, "/langue", {"locale": "en", "next": "/"})
    page = client.get("/").text
    assert "My caseload" in page and "My next appointments" in page


@pytest.mark.parametrize(
    "path",
    [
        "/referentiel/",
        "/referentiel/organismes",
        "/referentiel/besoins",
        "/referentiel/points-de-service",
    ],
)
def test_reference_pages_render_with_bounded_queries(client, login, count_queries, path):
    login(role="agent")
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    # 8, and one for the header's count of unread reminder notifications.
    assert counter.count <= 9, counter.statements


def test_the_home_names_the_readers_region_and_point_from_the_kept_lists(app, client, login):
    """Read from the places' lists kept per revision of the reference data (so the page's
    query count does not depend on which appointments it read: tests/bench/test_smoke.py), and
    renamed at once when a service point is renamed."""
    from sqlalchemy import select

    from casework.auth.models import User
    from casework.extensions import db
    from casework.reference.models import ServicePoint

    agent = login(role="agent")
    with app.app_context():
        user = db.session.get(User, agent.id)
        point = db.session.get(ServicePoint, user.service_point_id)
        expected = f"{user.region.label} · {point.name}"
    lead = client.get("/").text.split('<p class="lead">')[1].split("</p>")[0]
    assert lead.endswith(f" · {expected}"), lead
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).where(ServicePoint.id == point.id))
        point.name = "Point de service renommé"
        db.session.commit()
    lead = client.get("/").text.split('<p class="lead">')[1].split("</p>")[0]
    assert lead.endswith(" · Point de service renommé"), lead
