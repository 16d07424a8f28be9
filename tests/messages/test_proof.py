"""The proof of issue 20 with a real SMTP sink and the fake gateway: a booking sends one
confirmation and one reminder, a move updates and cancels the old reminder, a withdrawal stops
everything, quiet hours hold, a language without a template falls back to French."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from casework.appointments import operations as appointments
from casework.cases import operations as cases
from casework.cases.models import Consent
from casework.core.time import utcnow
from casework.extensions import db
from casework.messages import operations
from casework.messages.outbox import send_messages
from tests.messages.conftest import book, messages_of, next_slot, reminder_of


def calendars(sink) -> list[Calendar]:
    found = []
    for _recipients, message in sink.inbox.messages:
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                found.append(Calendar.from_ical(part.get_content()))
    return found


def event_of(calendar: Calendar):
    return next(iter(calendar.walk("VEVENT")))


def test_booking_sends_exactly_one_confirmation_and_one_reminder(agent, sink, mailer):
    appointment = book(agent)
    now = utcnow()
    assert send_messages(now=now, mailer=mailer) == {"sent": 1}
    reminder = reminder_of(appointment)
    # Nothing more until the reminder's time, however often the sender runs.
    assert send_messages(now=now + timedelta(minutes=5), mailer=mailer) == {}
    assert send_messages(now=reminder.next_attempt_at, mailer=mailer) == {"sent": 1}
    assert send_messages(now=reminder.next_attempt_at + timedelta(hours=1), mailer=mailer) == {}
    subjects = [message["Subject"] for _to, message in sink.inbox.messages]
    assert subjects == [
        "Votre rendez-vous Accompagnement Québec est confirmé",
        "Rappel : votre rendez-vous Accompagnement Québec demain",
    ]
    assert [to for to, _message in sink.inbox.messages] == [["amina@exemple.ca"]] * 2
    # The reminder falls the day before at 10:00 in the person's time zone.
    local = reminder.next_attempt_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("America/Toronto")
    )
    starts = appointment.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("America/Toronto")
    )
    assert (local.hour, local.date()) == (10, starts.date() - timedelta(days=1))
    confirmation = calendars(sink)[0]
    assert confirmation["METHOD"] == "PUBLISH"
    event = event_of(confirmation)
    assert str(event["UID"]) == f"appointment-{appointment.id}@casework.invalid"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART").replace(tzinfo=None) == appointment.starts_at
    # The same event queued again (a listener run twice) leaves one row per key.
    assert operations.queue_for_appointment(appointment.id, "confirmation") == 0


def test_a_move_sends_an_update_and_cancels_the_old_reminder(agent, sink, mailer):
    appointment = book(agent)
    send_messages(now=utcnow(), mailer=mailer)
    old_reminder = reminder_of(appointment)
    appointments.reschedule(agent, appointment, next_slot(appointment), appointment.version)
    db.session.commit()
    assert send_messages(now=utcnow(), mailer=mailer) == {"sent": 1}
    db.session.refresh(old_reminder)
    assert (old_reminder.status, old_reminder.last_error) == ("cancelled", "replaced")
    new_reminder = reminder_of(appointment)
    assert new_reminder.id != old_reminder.id
    assert new_reminder.next_attempt_at > old_reminder.next_attempt_at
    first, update = calendars(sink)
    assert event_of(update)["UID"] == event_of(first)["UID"]
    assert event_of(update)["SEQUENCE"] > event_of(first)["SEQUENCE"]
    assert (
        sink.inbox.messages[1][1]["Subject"] == "Votre rendez-vous Accompagnement Québec a changé"
    )
    # A cancellation: the same UID, METHOD:CANCEL, and no reminder left.
    appointments.cancel(agent, appointment, "person_request", None, appointment.version)
    db.session.commit()
    assert send_messages(now=utcnow(), mailer=mailer) == {"sent": 1}
    cancelled = calendars(sink)[2]
    assert cancelled["METHOD"] == "CANCEL"
    assert event_of(cancelled)["STATUS"] == "CANCELLED"
    assert event_of(cancelled)["UID"] == event_of(first)["UID"]
    assert not [m for m in messages_of(appointment) if m.status == "pending"]


def test_a_withdrawal_stops_everything(agent, sink, mailer, gateway, fake_gateway):
    appointment = book(agent, consents=("contact_email", "contact_sms"))
    pending = [m for m in messages_of(appointment) if m.status == "pending"]
    assert {(m.kind, m.channel) for m in pending} == {
        ("confirmation", "email"),
        ("reminder", "email"),
        ("confirmation", "sms"),
        ("reminder", "sms"),
    }
    case = appointment.case
    for consent in db.session.query(Consent).filter_by(case_id=case.id):
        cases.withdraw_consent(agent, case, consent.id)
    db.session.commit()
    far = appointment.starts_at - timedelta(hours=1)
    assert send_messages(now=far, mailer=mailer, gateway=gateway) == {}
    assert sink.inbox.messages == [] and fake_gateway.requests == []
    assert {(m.status, m.last_error) for m in messages_of(appointment)} == {
        ("cancelled", "consent_withdrawn")
    }
    # The case's timeline says so.
    notes = operations.withdrawals(case)
    assert sorted((note.purpose, note.stopped) for note in notes) == [
        ("contact_email", 2),
        ("contact_sms", 2),
    ]


def test_quiet_hours_hold_sms_until_eight(agent, gateway, fake_gateway):
    appointment = book(agent, consents=("contact_sms",), email=None)
    confirmation = next(m for m in messages_of(appointment) if m.kind == "confirmation")
    montreal = ZoneInfo("America/Toronto")
    # The first 22:00 in Montréal after the message is due, whatever the hour the suite runs
    # (booked in the quiet hours, it is already due at 08:00): still within its lifetime
    # (48 hours from then) when the next 08:00 comes.
    due = confirmation.next_attempt_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(montreal)
    evening = due.replace(hour=22, minute=0, second=0, microsecond=0)
    if evening <= due:
        evening += timedelta(days=1)
    at_ten_pm = evening.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    assert send_messages(now=at_ten_pm, gateway=gateway) == {"quiet_hours": 1}
    assert fake_gateway.requests == []
    db.session.refresh(confirmation)
    morning = confirmation.next_attempt_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(montreal)
    assert (morning.hour, morning.minute, morning.date()) == (
        8,
        0,
        evening.date() + timedelta(days=1),
    )
    assert confirmation.attempts == 0  # held, not a failure
    assert send_messages(now=confirmation.next_attempt_at, gateway=gateway) == {"sent": 1}
    assert fake_gateway.requests[0]["json"]["to"] == "+15145550123"


def test_a_language_without_a_template_falls_back_to_french(agent, sink, mailer):
    spanish = book(agent, preferred_language="es")
    english = book(agent, preferred_language="en", email="john@exemple.ca")
    send_messages(now=utcnow(), mailer=mailer)
    by_address = {to[0]: message for to, message in sink.inbox.messages}
    spanish_mail = by_address["amina@exemple.ca"].get_body(("plain",)).get_content()
    english_mail = by_address["john@exemple.ca"].get_body(("plain",)).get_content()
    assert by_address["amina@exemple.ca"]["Subject"].startswith("Votre rendez-vous")
    assert "Message en français : nous n'avons pas de modèle en espagnol." in spanish_mail
    assert by_address["john@exemple.ca"]["Subject"].startswith("Your Accompagnement Québec")
    assert "Message in English." in english_mail
    row = next(m for m in messages_of(spanish) if m.kind == "confirmation")
    assert (row.language, row.fallback_from) == ("fr", "es")
    assert next(m for m in messages_of(english) if m.kind == "confirmation").language == "en"
