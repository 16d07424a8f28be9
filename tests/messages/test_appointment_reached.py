"""« An agent sees at a glance whether the person was reached »: the appointment page and the
case page's next-appointment card say the latest message of each channel — queued, sent,
delivered, failed with its reason — with a link to it in the case's messages (issue 20)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from casework.auth.models import User
from casework.extensions import db
from casework.messages.outbox import record_receipt, send_messages
from tests.appointments.factories import open_every_day
from tests.messages.conftest import book, messages_of


@pytest.fixture
def booked(app, client, login):
    """An appointment of the signed-in agent, the person consenting to e-mail and SMS."""
    agent = login("agent", region="06")
    with app.app_context():
        open_every_day(agent.id)
        appointment = book(db.session.get(User, agent.id), consents=("contact_sms",), email=None)
        return appointment.id, appointment.case_id


def _line(html: str) -> str:
    page = unescape(html)
    match = re.search(r'<div class="reached-line">(.*?)</div>', page, re.S)
    assert match, "no « Person reached? » line"
    return re.sub(r"\s+", " ", match.group(1))


def _sms_confirmation(app, appointment_id):
    with app.app_context():
        from casework.appointments.models import Appointment

        appointment = db.session.get(Appointment, appointment_id)
        return next(
            m for m in messages_of(appointment) if m.kind == "confirmation" and m.channel == "sms"
        )


def test_queued_then_sent_then_delivered(app, client, booked, gateway):
    appointment_id, case_id = booked
    confirmation = _sms_confirmation(app, appointment_id)
    line = _line(client.get(f"/rendez-vous/{appointment_id}").text)
    assert "Personne jointe ?" in line and "Pas encore" in line
    assert "SMS, Confirmation :" in line and "<strong>en file</strong>" in line
    link = f'href="/dossiers/{case_id}#message-{confirmation.id}"'
    assert link in line
    # The link lands on the message in the case page's messages.
    case_page = client.get(f"/dossiers/{case_id}").text
    assert f'id="message-{confirmation.id}"' in case_page
    assert "Personne jointe ?" in _line(case_page)  # the next-appointment card too

    with app.app_context():
        assert send_messages(now=confirmation.next_attempt_at, gateway=gateway)["sent"] >= 1
    line = _line(client.get(f"/rendez-vous/{appointment_id}").text)
    assert "Envoyé ; pas encore d'accusé de réception." in line
    assert "<strong>envoyé</strong>" in line and link in line

    with app.app_context():
        provider_id = _sms_confirmation(app, appointment_id).provider_id
        assert record_receipt({"id": provider_id, "status": "delivered"}) == "delivered"
        db.session.commit()
    line = _line(client.get(f"/rendez-vous/{appointment_id}").text)
    assert "Oui : le dernier message a été remis." in line and "<strong>remis</strong>" in line
    assert "Oui : le dernier message a été remis." in _line(client.get(f"/dossiers/{case_id}").text)


def test_a_failed_message_says_why(app, client, booked, gateway):
    appointment_id, _case_id = booked
    confirmation = _sms_confirmation(app, appointment_id)
    with app.app_context():
        send_messages(now=confirmation.next_attempt_at, gateway=gateway)
        provider_id = _sms_confirmation(app, appointment_id).provider_id
        assert record_receipt({"id": provider_id, "status": "failed"}) == "failed"
        db.session.commit()
    line = _line(client.get(f"/rendez-vous/{appointment_id}").text)
    assert "Non : le dernier message a échoué. Appelez la personne." in line
    assert "<strong>échec</strong> (l'opérateur n'a pas pu le remettre)" in line


def test_no_message_no_line(app, client, login):
    agent = login("agent", region="06")
    with app.app_context():
        open_every_day(agent.id)
        appointment = book(db.session.get(User, agent.id), consents=())
        appointment_id = appointment.id
    page = client.get(f"/rendez-vous/{appointment_id}").text
    assert 'class="reached-line"' not in page
