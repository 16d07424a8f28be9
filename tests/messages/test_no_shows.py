"""No-shows: a missed appointment offers the next free slots and sends the new one; the
dashboard counts no-shows by whether the reminder reached the person."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from casework.appointments import operations as appointments
from casework.appointments.models import Appointment
from casework.auth.models import User
from casework.extensions import db
from casework.messages.models import PersonMessage
from casework.reports.operations import Period, no_shows_by_reminder
from tests.appointments.factories import open_every_day
from tests.messages.conftest import book, messages_of


def missed(appointment: Appointment, agent: User) -> None:
    appointments.record_outcome(
        agent,
        appointment,
        "no_show",
        appointment.version,
        now=appointment.starts_at + timedelta(hours=1),
    )
    db.session.commit()


def test_marking_absent_offers_the_next_slots_and_sends_the_new_appointment(app, client, login):
    record = login("agent", region="06")
    with app.app_context():
        open_every_day(record.id)
        agent = db.session.get(User, record.id)
        appointment = book(agent)
        missed(appointment, agent)
        first_id, case_id = appointment.id, appointment.case_id
        reminder = next(m for m in messages_of(appointment) if m.kind == "reminder")
        assert (reminder.status, reminder.last_error) == ("cancelled", "appointment_passed")
    page = client.get(f"/rendez-vous/{first_id}")
    text = unescape(page.text)
    assert page.status_code == 200 and "Proposer un nouveau rendez-vous" in text
    slots = re.findall(r'name="slot" id="slot-\d+" value="([^"]+)"', text)
    assert 1 <= len(slots) <= 5
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)
    response = client.post(
        f"/rendez-vous/{first_id}/nouveau-rendez-vous", data={"csrf_token": token, "slot": slots[0]}
    )
    assert response.status_code == 302
    with app.app_context():
        new = (
            db.session.query(Appointment)
            .filter(Appointment.case_id == case_id, Appointment.id != first_id)
            .one()
        )
        assert new.status == "booked"
        sent = db.session.query(PersonMessage).filter_by(appointment_id=new.id).all()
        # The confirmation at once; the reminder too when the day before is still to come.
        assert ("confirmation", "pending") in {(m.kind, m.status) for m in sent}
    # A slot that is not offered any more: refused, nothing booked, no 500.
    again = client.post(
        f"/rendez-vous/{first_id}/nouveau-rendez-vous", data={"csrf_token": token, "slot": "x"}
    )
    assert again.status_code in (400, 409)


def test_the_dashboard_counts_no_shows_by_reminder_delivered(agent):
    reminded = book(agent)
    silent = book(agent, consents=())
    held = book(agent, consents=())
    db.session.query(PersonMessage).filter_by(appointment_id=reminded.id, kind="reminder").update(
        {"status": "sent"}
    )
    missed(reminded, agent)
    missed(silent, agent)
    appointments.record_outcome(
        agent, held, "done", held.version, now=held.starts_at + timedelta(hours=1)
    )
    db.session.commit()
    period = Period(date.today(), date.today() + timedelta(days=30))
    rows = {row.reminded: row for row in no_shows_by_reminder(period, None)}
    assert (rows[True].appointments, rows[True].no_shows) == (1, 1)
    assert (rows[False].appointments, rows[False].no_shows) == (2, 1)
    assert rows[False].rate == 0.5
