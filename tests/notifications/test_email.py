"""Each user chooses, per kind, how a notification also reaches them by e-mail: at once
(through the outbox, to a real SMTP server here), in the 07:00 digest, or never."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.core.time import utcnow
from casework.extensions import db
from casework.notifications import operations
from casework.reminders import tasks
from casework.reminders.mail import SmtpMailer
from casework.reminders.models import Notification, OutboundEmail
from tests.mailsink import SmtpSink
from tests.notifications.conftest import (
    move,
    notifications_of,
    referral_in,
    return_referral,
    user,
)

# 07:00 in Montréal on the day after the events (the digest's hour).
MORNING_AFTER = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)


@pytest.fixture
def mail_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def _emails(kind: str | None = None) -> list[OutboundEmail]:
    statement = select(OutboundEmail).order_by(OutboundEmail.id)
    if kind:
        statement = statement.where(OutboundEmail.kind == kind)
    return list(db.session.scalars(statement))


def test_an_immediate_notification_reaches_the_smtp_server_once_without_the_comment(
    ctx, people, mail_on, sink
):
    return_referral(people, "Mme Diallo doit préciser son besoin.")
    [notification] = notifications_of(people.agent)
    assert notification.email == "queued"
    [queued] = _emails("notification")
    assert queued.key == notification.key and queued.status == "pending"
    mailer = SmtpMailer(host="127.0.0.1", port=sink.port, sender="casework@exemple.ca")
    assert tasks.send_emails(mailer=mailer)["sent"] == 1
    assert tasks.send_emails(mailer=mailer) == {}  # nothing left: sent once
    [(recipients, message)] = sink.inbox.messages
    assert recipients == [user(people.agent).email]
    assert message["Subject"].startswith("Notification : Référence à PROMIS retournée")
    body = message.get_content()
    assert f"/notifications/{notification.id}" in body
    assert "Diallo" not in body  # the comment stays in the application


def test_a_digest_preference_waits_for_the_morning_digest_then_is_in_it_once(ctx, people, mail_on):
    operations.save_preferences(user(people.agent), {"referral_returned": "digest"})
    return_referral(people)
    [notification] = notifications_of(people.agent)
    assert notification.email == "digest"
    assert _emails() == []
    assert tasks.queue_digests(MORNING_AFTER) == {"queued": 1}
    [digest] = _emails("digest")
    assert digest.user_id == people.agent.id
    assert "Notifications depuis le dernier résumé" in digest.body
    assert "Référence à PROMIS retournée" in digest.body
    assert "Referral to PROMIS returned" in digest.body  # then in English
    db.session.refresh(notification)
    assert notification.email == "digested"
    # A second run the same morning adds nothing; the next morning has nothing new.
    tasks.queue_digests(MORNING_AFTER + timedelta(minutes=5))
    tasks.queue_digests(MORNING_AFTER + timedelta(days=1))
    assert len(_emails("digest")) == 1


def test_a_user_without_reminders_gets_a_digest_of_notifications_only(
    ctx, people, make_user, mail_on
):
    from casework.cases import operations as cases
    from tests.notifications.conftest import case_of

    supervisor = user(people.supervisor)
    supervisor.email = "gestion@exemple.ca"
    receiver = make_user(role="agent")
    transfer = cases.request_transfer(supervisor, case_of(people), user(receiver), "Charge")
    cases.answer_transfer(user(receiver), transfer, accept=True)
    db.session.commit()
    assert [n.email for n in notifications_of(people.supervisor)] == ["digest"]
    tasks.queue_digests(MORNING_AFTER)
    [digest] = [email for email in _emails("digest") if email.user_id == people.supervisor.id]
    assert digest.subject.startswith("Votre résumé,")
    assert "a accepté le transfert du dossier" in digest.body


def test_never_means_no_email_at_all(ctx, people, mail_on):
    operations.save_preferences(
        user(people.agent), {"referral_returned": "never", "referral_accepted": "never"}
    )
    return_referral(people)
    move(people.partner, referral_in(people, "sent"), "accepted")
    assert {n.email for n in notifications_of(people.agent)} == {None}
    assert len(notifications_of(people.agent)) == 2  # still in the application
    tasks.queue_digests(MORNING_AFTER)
    assert [e.body for e in _emails() if "Notifications depuis" in e.body] == []


def test_without_smtp_nothing_is_queued(ctx, people):
    return_referral(people)
    [notification] = notifications_of(people.agent)
    assert notification.email is None and _emails() == []


def test_a_user_without_an_address_gets_no_email(ctx, people, mail_on):
    user(people.agent).email = None
    db.session.commit()
    return_referral(people)
    assert notifications_of(people.agent)[0].email is None and _emails() == []


def test_preferences_keep_only_known_kinds_and_channels(ctx, people):
    from casework.notifications.operations import NotificationError

    agent = user(people.agent)
    with pytest.raises(NotificationError):
        operations.save_preferences(agent, {"referral_returned": "weekly"})
    with pytest.raises(NotificationError):
        operations.save_preferences(agent, {"lottery_won": "immediate"})
    assert operations.save_preferences(agent, {"escalation": "digest"}) == ["escalation"]
    assert operations.save_preferences(agent, {"escalation": "digest"}) == []
    assert operations.preferences(agent)["escalation"] == "digest"
    assert db.session.scalar(select(Notification.id)) is None
