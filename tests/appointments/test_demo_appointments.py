"""The demo's calendars: availability for every agent, past and upcoming meetings, airport."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import pairwise

from sqlalchemy import func, select

from casework.appointments import availability, operations
from casework.appointments.models import (
    AirportBooking,
    Appointment,
    AvailabilityException,
    SlotClaim,
)
from casework.auth.models import User
from casework.core.time import utcnow
from casework.demo.appointments import holidays_between, load_demo_appointments
from casework.extensions import db
from casework.reference.models import HostCity
from casework.reminders.models import Reminder
from tests import helpers


def _load_demo() -> None:
    from casework.demo import load_demo, load_demo_cases_once

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(40)  # cases, plans, referrals, then the calendars


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_demo_fills_every_agents_calendar(ctx):
    seated_at_airport = helpers.create_user("agent")  # the helper seats region 06 at YUL
    _load_demo()

    agents = db.session.scalars(
        select(User).where(User.role == "agent", User.active.is_(True))
    ).all()
    for agent in agents:
        windows = availability.windows_of(agent.id)
        assert windows, agent.username
        assert {w.weekday for w in windows} == {0, 1, 2, 3, 4}
    assert {w.service_point.code for w in availability.windows_of(seated_at_airport.id)} == {
        "DR-MTL"
    }
    assert all(w.remote_interpretation for w in availability.windows_of(_user("agent.estrie").id))
    assert not any(w.remote_interpretation for w in availability.windows_of(_user("agente").id))
    assert db.session.scalar(
        select(func.count(AvailabilityException.id)).where(AvailabilityException.kind == "leave")
    )

    appointments = db.session.scalars(select(Appointment)).all()
    assert {a.status for a in appointments} >= {"booked", "done", "no_show", "cancelled"}
    claims = defaultdict(int)
    for appointment_id, count in db.session.execute(
        select(SlotClaim.appointment_id, func.count()).group_by(SlotClaim.appointment_id)
    ):
        claims[appointment_id] = count
    followed_up = set(
        db.session.scalars(
            select(Reminder.subject_id).where(Reminder.subject_type == "appointment")
        )
    )
    busy = defaultdict(list)
    for appointment in appointments:
        quarters = (appointment.ends_at - appointment.starts_at).total_seconds() // 900
        assert quarters == appointment.type.duration_minutes // 15
        expected = 0 if appointment.status == "cancelled" else quarters
        assert claims[appointment.id] == expected, appointment.id
        if appointment.status == "no_show":
            # The marker, or the follow-up reminder the reminders feature turned it into.
            assert appointment.follow_up_needed or appointment.id in followed_up, appointment.id
        if appointment.status == "cancelled":
            assert appointment.cancel_reason in operations.CANCEL_REASONS
        if appointment.status != "cancelled":
            busy[appointment.agent_id].append((appointment.starts_at, appointment.ends_at))
    for periods in busy.values():
        periods.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(periods))

    bookings = db.session.scalars(select(AirportBooking)).all()
    assert len(bookings) >= 3
    assert {b.booked_by.username for b in bookings} == {"accueil", "accueil2"}
    refugee = next(b for b in bookings if b.immigration_category == "gar")
    host = db.session.scalar(select(HostCity).where(HostCity.name == refugee.host_city))
    assert host.region_id == refugee.destination_region_id
    assert all(b.appointment.channel == "airport" for b in bookings)

    agente = _user("agente")
    now = utcnow()
    mine = [a for a in appointments if a.agent_id == agente.id]
    assert operations.upcoming(agente.id)
    assert any(a.status == "no_show" for a in mine)
    assert any(a.status == "booked" and a.starts_at < now for a in mine)

    assert load_demo_appointments() == 0  # only once
    assert db.session.scalar(select(func.count(Appointment.id))) == len(appointments)


def test_holidays_on_working_days_of_the_public_service_calendar():
    assert holidays_between(date(2026, 12, 20), date(2027, 1, 5)) == [
        (date(2026, 12, 24), "Veille de Noël"),
        (date(2026, 12, 25), "Noël"),
        (date(2026, 12, 31), "Veille du jour de l'An"),
        (date(2027, 1, 1), "Jour de l'An"),
    ]  # 26 December and 2 January 2027 are Saturdays
    spring = [day for day, _ in holidays_between(date(2027, 3, 1), date(2027, 6, 1))]
    assert spring == [date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 24)]
    autumn = [day for day, _ in holidays_between(date(2026, 9, 1), date(2026, 10, 31))]
    assert autumn == [date(2026, 9, 7), date(2026, 10, 12)]
