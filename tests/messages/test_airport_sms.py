"""The airport counter records the SMS consent: a booking with it sends the confirmation (and
the reminder) by SMS through the person-message outbox; without it, no SMS (issue 20)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casework.appointments.models import AirportBooking
from casework.cases.models import Consent
from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.messages.models import ContactSettings, PersonMessage
from casework.messages.operations import reminder_time
from casework.messages.outbox import send_messages
from tests.appointments.test_airport import (  # noqa: F401
    SLOT,
    agent,
    book,
    counter,
    intake,
    search,
)

# An agent with free slots (``agent``) and the counter signed in (``counter``), in every test.
pytestmark = pytest.mark.usefixtures("agent", "counter")


def _booked(app, client, **overrides) -> int:
    """Booked on the last slot offered: booked in the evening, the first one is tomorrow at
    opening time, before the end of the quiet hours, and its SMS confirmation is rightly dropped
    as too late (the suite failed between 21:00 and midnight in Québec)."""
    data = intake(app, email=None, **overrides)
    offered = SLOT.findall(search(client, data).text)
    assert offered, "no slot offered"
    response = book(client, data, offered[-1])
    assert response.status_code == 302, response.text
    with app.app_context():
        return db.session.scalars(select(AirportBooking)).one().appointment.case_id


def _messages(case_id: int) -> list[PersonMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(PersonMessage).where(PersonMessage.case_id == case_id).order_by(PersonMessage.id)
        )
    )


def test_an_airport_booking_with_sms_consent_texts_one_confirmation(
    app, client, gateway, fake_gateway
):
    case_id = _booked(app, client, phone="(514) 555-0123", sms_consent="y")
    with app.app_context():
        consent = db.session.scalars(
            select(Consent).where(Consent.case_id == case_id, Consent.purpose == "contact_sms")
        ).one()
        assert consent.withdrawn_on is None and consent.method == "verbal"
        audited = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "consent.given")
        ).all()
        assert any((event.details or {}).get("purpose") == "contact_sms" for event in audited)
        sms = [m for m in _messages(case_id) if m.channel == "sms"]
        # The reminder of the day before too, unless its time had passed when booked.
        booking = db.session.scalars(select(AirportBooking)).one()
        remind_at = reminder_time(booking.starts_at, "America/Toronto")
        expected = ["confirmation"] + (["reminder"] if remind_at > booking.booked_at else [])
        assert sorted(m.kind for m in sms) == expected
        assert {m.address for m in sms} == {"+15145550123"}
        confirmation = next(m for m in sms if m.kind == "confirmation")
        # Sent when it is due (after the quiet hours, if booked at night); run twice: one copy.
        for _ in range(2):
            send_messages(now=confirmation.next_attempt_at, gateway=gateway)
        texts = [r["json"] for r in fake_gateway.requests]
        confirmations = [t for t in texts if t["reference"] == confirmation.message_id]
        assert len(confirmations) == 1
        assert confirmations[0]["to"] == "+15145550123"
        db.session.expire_all()
        assert db.session.get(PersonMessage, confirmation.id).status == "sent"


def test_an_airport_booking_without_sms_consent_texts_nothing(app, client, gateway, fake_gateway):
    case_id = _booked(app, client, phone="514 555-0123")
    with app.app_context():
        assert [m for m in _messages(case_id) if m.channel == "sms"] == []
        assert (
            db.session.scalars(
                select(Consent).where(Consent.case_id == case_id, Consent.purpose == "contact_sms")
            ).all()
            == []
        )
        for message in _messages(case_id):
            send_messages(now=message.next_attempt_at, gateway=gateway)
        assert fake_gateway.requests == []


def test_a_landline_is_recorded_and_refuses_the_sms_consent(app, client):
    data = intake(app, phone="514 555-0123", sms_consent="y", phone_is_landline="y")
    refused = search(client, data)
    assert refused.status_code == 400
    assert "Un téléphone fixe ne peut pas recevoir de SMS" in refused.text
    case_id = _booked(app, client, phone="514 555-0123", phone_is_landline="y")
    with app.app_context():
        assert db.session.get(ContactSettings, case_id).phone_is_landline is True


def test_sms_consent_needs_a_valid_mobile_number(app, client):
    no_phone = search(client, intake(app, phone=None, email="a@exemple.ca", sms_consent="y"))
    assert no_phone.status_code == 400
    assert "Pour envoyer des SMS, entrez le numéro de cellulaire" in no_phone.text
    malformed = search(client, intake(app, phone="555-01", sms_consent="y"))
    assert malformed.status_code == 400
    assert "Entrez un numéro de téléphone avec son indicatif régional" in malformed.text
    extension = search(client, intake(app, phone="514 555-0123 ext. 12", sms_consent="y"))
    assert extension.status_code == 400
    assert "poste ne peut pas recevoir de SMS" in extension.text
