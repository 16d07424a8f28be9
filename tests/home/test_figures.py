"""Home pages that lead somewhere: each count is a link to the list it counts, scoped as that
list is, with a line saying what it counts (issue 16, point 5)."""

import re

from sqlalchemy import update

from casework.extensions import db
from casework.referrals.models import Referral
from tests import helpers

FIGURE = re.compile(
    r'<li class="stat[^"]*"><a href="([^"]+)"><span class="stat__value">(\d+)</span> '
    r'<span class="stat__label">([^<]+)</span></a>\s*<span class="stat__hint">([^<]+)</span>'
)


def figures(page: str) -> dict[str, tuple[str, int]]:
    """Label → (link, value) of every figure of a home page; each has its explanation."""
    found = FIGURE.findall(page)
    assert found and all(hint.strip() for *_, hint in found)
    return {label: (href.replace("&amp;", "&"), int(value)) for href, value, label, _ in found}


def rows(browser, href: str, kind: str) -> int:
    """How many objects of ``kind`` (dossiers, references) the linked list shows."""
    return len(set(re.findall(rf'href="/{kind}/(\d+)"', browser.get(href).text)))


def _referrals(app, agent, statuses, organisation="promis"):
    ids = {}
    with app.app_context():
        for status in statuses:
            record = helpers.create_case(agent.id)
            ids[status] = helpers.consented_referral(agent.id, record.id, status)
        if organisation != "promis":
            from sqlalchemy import select

            from casework.reference.models import Organisation

            other = db.session.scalar(
                select(Organisation.id).where(Organisation.code == organisation)
            )
            db.session.execute(
                update(Referral).where(Referral.id.in_(ids.values())).values(organisation_id=other)
            )
        db.session.commit()
    return ids


def test_every_agent_count_opens_the_list_it_counts(app, client, login, make_user, make_case):
    agent = login(role="agent", region="06")
    for _ in range(2):
        make_case(agent)
    _referrals(app, agent, ["sent", "returned", "approved", "submitted"])
    stranger = make_user(role="agent", region="06")
    _referrals(app, stranger, ["sent", "returned"])  # not counted, not listed
    page = client.get("/").text
    shown = figures(page)
    assert "Chaque nombre ouvre la liste qu'il compte." in page
    for label in ("Nouveau", "Actif", "En suspens", "Fermé", "Suivis en retard"):
        href, value = shown[label]
        assert href.startswith("/dossiers/?") and rows(client, href, "dossiers") == value, label
    for label, expected in (("Références à traiter", 2), ("Références en attente de réponse", 1)):
        href, value = shown[label]
        assert value == expected and rows(client, href, "references") == value, label
    assert shown["Rappels du jour"][0] == "/rappels/?tab=due"
    assert shown["Rappels en retard"][0] == "/rappels/?tab=overdue"


def test_advisor_sees_the_queue_counts_of_the_region_only(app, client, login, make_user):
    advisor = login(role="advisor", region="06")
    here, there = make_user(role="agent", region="06"), make_user(role="agent", region="03")
    _referrals(app, here, ["submitted", "submitted", "returned", "sent"])
    _referrals(app, there, ["submitted", "returned"])
    with app.app_context():  # one of ours has waited ten days
        from datetime import timedelta

        from casework.core.time import utcnow

        oldest = min(
            r.id for r in db.session.query(Referral).filter_by(status="submitted", agent_id=here.id)
        )
        db.session.execute(
            update(Referral)
            .where(Referral.id == oldest)
            .values(updated_at=utcnow() - timedelta(days=10))
        )
        db.session.commit()
    shown = figures(client.get("/").text)
    expected = {
        "En attente d'examen": 2,
        "En attente depuis 7 jours ou plus": 1,
        "Retournées aux agentes et agents": 1,
        "Envoyées, sans réponse": 1,
    }
    for label, value in expected.items():
        href, count = shown[label]
        assert count == value and rows(client, href, "references") == value, label
    assert advisor.region_id is not None


def test_partner_sees_the_new_referrals_to_answer(app, client, login, make_user):
    login(role="partner", organisation="promis")
    agent = make_user(role="agent", region="06")
    _referrals(app, agent, ["sent", "sent", "accepted", "completed"])
    _referrals(app, agent, ["sent"], organisation="cfiq")  # another organisation's
    shown = figures(client.get("/").text)
    href, count = shown["Nouvelles références en attente de votre réponse"]
    assert count == 2 and rows(client, href, "references") == 2
    href, count = shown["En cours"]
    assert count == 1 and rows(client, href, "references") == 1


def test_supervisor_counts_lead_to_the_region_lists(app, client, login, make_user, make_case):
    login(role="supervisor", region="06")
    agent = make_user(role="agent", region="06")
    _referrals(app, agent, ["submitted"])
    shown = figures(client.get("/").text)
    href, count = shown["Références en attente d'examen"]
    assert count == 1 and rows(client, href, "references") == 1
    href, count = shown["Suivis en retard"]
    assert rows(client, href, "dossiers") == count


def test_airport_staff_land_on_the_console(client, login):
    login(role="airport")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/aeroport/")


def test_a_referral_sent_today_is_not_sent_zero_days_ago(app, client, login):
    agent = login(role="agent")
    _referrals(app, agent, ["sent"])
    with app.app_context():
        from datetime import timedelta

        from casework.core.time import utcnow
        from casework.referrals.models import ReferralEvent

        db.session.execute(
            update(ReferralEvent).values(occurred_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
    page = client.get("/").text
    assert "il y a 0 jour" not in page and "envoyée aujourd&#39;hui" in page
