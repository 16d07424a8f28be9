"""The agent's home: caseload summary, today's appointments, referrals awaiting an answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from casework.appointments.models import Appointment
from casework.core.time import utcnow
from casework.extensions import db
from casework.referrals.models import Referral, ReferralEvent
from tests import helpers
from tests.reports.factories import add_activity, busy_agent


def _today_appointment_and_sent_referral(case_id: int) -> None:
    """Move the held appointment to an hour from now, and the referral back to « sent »."""
    soon = utcnow() + timedelta(hours=1)
    db.session.execute(
        update(Appointment)
        .where(Appointment.case_id == case_id)
        .values(starts_at=soon, ends_at=soon + timedelta(minutes=30), status="booked")
    )
    referral = db.session.scalar(select(Referral).where(Referral.case_id == case_id))
    referral.status = "sent"
    db.session.execute(
        ReferralEvent.__table__.delete().where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.to_status == "accepted"
        )
    )
    db.session.commit()


def test_the_agent_home_shows_the_day(app, client, login):
    agent = login(role="agent")
    with app.app_context():
        record = helpers.create_case(agent.id, given_names="Amina", family_name="Haddad")
        add_activity(record.id)
        _today_appointment_and_sent_referral(record.id)
    page = client.get("/").text
    assert "Mes dossiers aujourd&#39;hui" in page or "Mes dossiers aujourd'hui" in page
    assert "Suivis en retard" in page and 'href="/dossiers/?overdue=y"' in page
    assert "Rendez-vous d" in page and "Amina Haddad" in page
    assert "PROMIS" in page and "envoyée il y a 8 jours" in page
    assert "Rappels à faire et en retard" in page and "Aucun rappel" in page
    with app.app_context():
        from casework.cases.models import Case
        from casework.core.time import utcnow
        from tests.reminders.conftest import add_reminder

        add_reminder(db.session.get(Case, record.id), utcnow() - timedelta(days=2))
        db.session.commit()
    page = client.get("/").text
    assert "Action du plan à échéance" in page and record.number in page


def test_agent_home_queries_do_not_grow_with_the_caseload(
    app, client, login, make_user, count_queries
):
    agent = login(role="agent")
    with app.app_context():
        for _index in range(2):
            add_activity(helpers.create_case(agent.id).id)
    with count_queries() as few:
        assert client.get("/").status_code == 200
    with app.app_context():
        for _index in range(18):
            record = helpers.create_case(agent.id)
            add_activity(record.id)
            _today_appointment_and_sent_referral(record.id)
        busy_agent(make_user, 3)
    with count_queries() as many:
        assert client.get("/").status_code == 200
    # Never more with 20 cases than with 2 (one fewer, even: the user's service point is then
    # already loaded with today's appointments).
    assert (
        many.count <= few.count <= 14
    )  # the day, reminders, header counter and session: constant, not per case, many.statements


def test_other_roles_have_no_caseload_summary(client, login):
    login(role="supervisor")
    page = client.get("/").text
    assert "Mes dossiers aujourd" not in page
