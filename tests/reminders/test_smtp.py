"""E-mail to a real SMTP server (aiosmtpd) started by the test, and the digest and escalation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework.auth.models import User
from casework.extensions import db
from casework.reminders import tasks
from casework.reminders.mail import SmtpMailer
from casework.reminders.models import Notification, OutboundEmail
from tests.mailsink import SmtpSink, free_port
from tests.reminders.conftest import NOW, add_reminder, rule


@pytest.fixture
def smtp_server():
    sink = SmtpSink().start()
    yield sink.inbox, sink.port
    sink.stop()


def test_reminder_email_reaches_a_real_smtp_server_once(case, agent, smtp_server, app):
    inbox, port = smtp_server
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="casework@exemple.ca")
    add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    assert tasks.send_emails(NOW, mailer)["sent"] == 1
    tasks.send_emails(NOW + timedelta(minutes=1), mailer)
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [agent.email]
    assert message["Subject"].startswith("Rappel : Action du plan à échéance")
    email = db.session.scalar(select(OutboundEmail))
    assert message["Message-ID"] == email.message_id
    body = message.get_content()
    assert case.number in body and "http://127.0.0.1:5000/rappels/" in body
    assert case.person.given_names not in body


def test_smtp_server_down_is_a_retry_then_a_visible_failure(case, app):
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), sender="casework@exemple.ca", timeout=2)
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    assert tasks.send_emails(NOW, mailer)["retry"] == 1
    email = db.session.scalar(select(OutboundEmail))
    assert (email.status, email.last_error) == ("pending", "smtp_unreachable")
    assert email.next_attempt_at == NOW + timedelta(seconds=app.config["EMAIL_RETRY_SECONDS"])
    db.session.refresh(reminder)
    assert reminder.status == "sent"  # delivered in the application meanwhile


def test_mailer_from_config_is_off_without_a_host(app):
    from casework.reminders.mail import mailer_from_config

    assert mailer_from_config({"SMTP_HOST": ""}) is None
    configured = mailer_from_config(
        {"SMTP_HOST": "smtp.exemple.ca", "SMTP_PORT": 587, "MAIL_FROM": "a@exemple.ca"}
    )
    assert (configured.host, configured.port) == ("smtp.exemple.ca", 587)


def test_overdue_reminders_are_escalated_once_to_the_regions_supervisors(
    app, case, agent, make_user, mailer, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")  # e-mail on
    supervisor = db.session.get(User, make_user(role="supervisor").id)
    supervisor.email = "superviseure@exemple.ca"
    elsewhere = make_user(role="supervisor", region="03")
    reminder = add_reminder(case, NOW, code="no_contact_60d")
    tasks.dispatch(NOW, with_email=True)
    days = rule("no_contact_60d").escalate_after_days
    assert tasks.escalate(NOW + timedelta(days=days - 1)) == {}
    counts = tasks.escalate(NOW + timedelta(days=days))
    assert counts == {"notified": 1, "escalated": 1}
    assert tasks.escalate(NOW + timedelta(days=days + 1)) == {}
    escalations = db.session.scalars(
        select(Notification).where(Notification.kind == "escalation")
    ).all()
    assert [(n.user_id, n.reminder_id) for n in escalations] == [(supervisor.id, reminder.id)]
    assert elsewhere.id not in {n.user_id for n in escalations}
    tasks.send_emails(NOW + timedelta(days=days), mailer)
    assert [to for to, _subject, _key in mailer.sent] == [agent.email, supervisor.email]


def test_a_handled_reminder_is_not_escalated(case, agent, make_user):
    from casework.reminders import operations

    make_user(role="supervisor")
    reminder = add_reminder(case, NOW, code="no_contact_60d")
    tasks.dispatch(NOW, with_email=False)
    operations.complete(agent, reminder, reminder.version)
    assert tasks.escalate(NOW + timedelta(days=60)) == {}


def test_daily_digest_lists_todays_appointments_and_due_reminders_once(case, agent, mailer):
    from tests.reminders.test_rules import _appointment

    morning = datetime(2026, 6, 15, 11, 0)  # 07:00 in Montréal
    _appointment(case, agent, datetime(2026, 6, 15, 18, 30))  # 14:30 local, today
    _appointment(case, agent, datetime(2026, 6, 16, 14, 0))  # tomorrow: not in today's digest
    add_reminder(case, datetime(2026, 6, 10, 13), key="old")
    add_reminder(case, datetime(2026, 6, 15, 13), key="today")
    add_reminder(case, datetime(2026, 6, 20, 13), key="later")
    assert tasks.queue_digests(morning, with_email=True) == {"queued": 1}
    assert tasks.queue_digests(morning + timedelta(minutes=5), with_email=True) == {"queued": 1}
    digests = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "digest")).all()
    assert len(digests) == 1  # the second run found it queued already
    body = digests[0].body
    # One time format: « 14 h 30 » in French, "2:30 PM" in English; tomorrow's 10:00 is left out.
    assert "14 h 30" in body and "2:30 PM" in body
    assert "10 h 00" not in body and "10:00" not in body
    # One appointment and two reminders (one overdue), in French then in English.
    assert body.count(case.number) == 6
    assert "en retard" in body
    assert digests[0].subject.startswith("Votre journée — 2 rappel(s), 1 rendez-vous")


def test_a_scheduler_started_late_sends_the_days_digest_but_never_early(case, agent):
    add_reminder(case, NOW)
    early = datetime(2026, 6, 15, 10, 59)  # 06:59 in Montréal
    assert tasks.queue_digests(early, with_email=True) == {}
    assert tasks.queue_digests(datetime(2026, 6, 15, 15, 30), with_email=True) == {"queued": 1}


def test_no_digest_without_email(case, agent):
    add_reminder(case, NOW)
    assert tasks.queue_digests(NOW, with_email=False) == {}
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0
