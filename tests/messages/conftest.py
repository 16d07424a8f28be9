"""Fixtures for the messages tests: an agent with availability, a person's case with consents,
an SMTP sink and a fake SMS gateway."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from casework.appointments import operations as appointments
from casework.appointments.models import Appointment
from casework.appointments.slots import SlotQuery, SlotRef, find_slots
from casework.auth.models import User
from casework.cases import operations as cases
from casework.cases.models import Case
from casework.core.time import utcnow
from casework.extensions import db
from casework.messages.models import PersonMessage
from casework.messages.sms import HttpGateway
from casework.reminders.mail import SmtpMailer
from tests import helpers
from tests.appointments.factories import open_every_day
from tests.mailsink import SmtpSink
from tests.smsgateway import FakeGateway

SECRET = "webhook-secret-for-tests"


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def mailer(sink):
    return SmtpMailer(host="127.0.0.1", port=sink.port, sender="casework@exemple.ca", timeout=5)


@pytest.fixture(scope="session")
def fake_gateway():
    server = FakeGateway().start()
    yield server
    server.stop()


@pytest.fixture
def gateway(fake_gateway, app, monkeypatch):
    fake_gateway.mode = "accept"
    fake_gateway.requests.clear()
    fake_gateway.counter = 0  # ids from gw-1 in every test, whichever ran before
    monkeypatch.setitem(app.config, "SMS_WEBHOOK_SECRET", SECRET)
    return HttpGateway(url=fake_gateway.url, token="token-for-tests", timeout=0.5)


@pytest.fixture
def agent(ctx, make_user):
    record = make_user(role="agent", region="06")
    open_every_day(record.id)
    return db.session.get(User, record.id)


def book(agent: User, consents=("contact_email",), days_ahead: int = 3, **person) -> Appointment:
    """A case for a person, the consents given, then an appointment ``days_ahead`` away."""
    values = {"email": "amina@exemple.ca", "phone": "514 555-0123", **person}
    # A number typed before phones were checked (issue 17) is stored as it was: such a
    # number is written straight to the row, as the forms would refuse it today.
    stored_as_typed = values.pop("stored_phone", None)
    record = helpers.create_case(agent.id, **values)
    case = db.session.get(Case, record.id)
    if stored_as_typed is not None:
        case.person.phone = stored_as_typed
    for purpose in consents:
        cases.record_consent(agent, case, purpose, date.today() - timedelta(days=1), "verbal")
    slot = find_slots(
        SlotQuery(
            duration=timedelta(minutes=45),
            mode="in_person",
            agent_id=agent.id,
            not_before=utcnow() + timedelta(days=days_ahead),
        ),
        1,
    )[0]
    appointment = appointments.book_for_case(
        agent,
        case,
        SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at),
        "follow_up",
        "in_person",
    )
    db.session.commit()
    return appointment


def next_slot(appointment: Appointment, days: int = 1) -> SlotRef:
    slot = find_slots(
        SlotQuery(
            duration=timedelta(minutes=45),
            mode="in_person",
            agent_id=appointment.agent_id,
            not_before=appointment.starts_at + timedelta(days=days),
            ignore_appointment_id=appointment.id,
        ),
        1,
    )[0]
    return SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)


def messages_of(appointment: Appointment) -> list[PersonMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(PersonMessage)
            .where(PersonMessage.case_id == appointment.case_id)
            .order_by(PersonMessage.id)
        )
    )


def reminder_of(appointment: Appointment, channel: str = "email") -> PersonMessage:
    return next(
        m
        for m in messages_of(appointment)
        if m.kind == "reminder" and m.channel == channel and m.status == "pending"
    )


def daytime() -> datetime:
    """The next 15:00 UTC (10:00 or 11:00 in Montréal): after every message queued now, and
    outside the quiet hours."""
    now = utcnow()
    moment = now.replace(hour=15, minute=0, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)
