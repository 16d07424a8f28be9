"""The e-mail outbox (issue 14): at least once with a stable Message-ID, no lock held while the
mail server is talked to, retries with capped backoff for the e-mail's lifetime, and a long
outage that recovers with nobody doing anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import create_engine, select, text, update

from casework.auth.models import User
from casework.core.time import utcnow
from casework.extensions import db
from casework.reminders import outbox, tasks
from casework.reminders.models import Notification, OutboundEmail
from tests import helpers
from tests.mailsink import SmtpSink, free_port
from tests.reminders.conftest import NOW, add_reminder


def emails() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def test_each_email_gets_its_message_id_when_queued_and_keeps_it(case, mailer):
    add_reminder(case, NOW)
    add_reminder(case, NOW + timedelta(minutes=1))
    tasks.dispatch(NOW + timedelta(minutes=1), with_email=True)
    queued = {email.id: email.message_id for email in emails()}
    assert len(set(queued.values())) == 2
    assert all(mid.startswith("<") and mid.endswith("@localhost>") for mid in queued.values())
    outbox.send_emails(NOW + timedelta(minutes=1), mailer)
    assert sorted(mid for _to, _subject, mid in mailer.sent) == sorted(queued.values())


def test_smtp_down_retries_with_capped_backoff_for_the_lifetime_then_fails_visibly(
    case, mailer, app
):
    mailer.always_fail, mailer.error = True, "smtp_unreachable"
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    (email,) = emails()
    assert email.expires_at == NOW + timedelta(hours=48)
    moment, delays = NOW, []
    while email.status == "pending":
        # Nothing is tried before its time.
        assert outbox.send_emails(moment - timedelta(seconds=1), mailer) == {}
        outbox.send_emails(moment, mailer)
        (email,) = emails()
        if email.status == "pending":
            delays.append((email.next_attempt_at - moment).total_seconds())
            moment = email.next_attempt_at
    assert delays[:6] == [60, 120, 240, 480, 960, 1920]
    assert max(delays) == app.config["EMAIL_RETRY_MAX_SECONDS"] == 3600
    assert moment == NOW + timedelta(hours=48)  # the last try falls on the lifetime's end
    assert (email.status, email.last_error, email.failed_at) == (
        "failed",
        "smtp_unreachable",
        moment,
    )
    assert email.attempts == len(delays) + 1
    db.session.refresh(reminder)
    assert (reminder.status, reminder.last_error) == ("failed", "smtp_unreachable")
    assert db.session.scalar(
        select(Notification.id).where(Notification.reminder_id == reminder.id)
    )  # nothing lost: the in-app notification is there


def test_smtp_back_after_a_failure_sends_once(case, mailer):
    mailer.failures = 1
    add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    assert outbox.send_emails(NOW, mailer) == {"retry": 1}
    later = NOW + timedelta(minutes=5)
    assert outbox.send_emails(later, mailer) == {"sent": 1}
    assert outbox.send_emails(later + timedelta(hours=1), mailer) == {}
    assert len(mailer.sent) == 1
    assert emails()[0].status == "sent"


def test_a_refusal_that_retrying_cannot_cure_fails_at_once(case, mailer):
    mailer.always_fail, mailer.error = True, "smtp_recipient_refused"
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    assert outbox.send_emails(NOW, mailer) == {"failed": 1}
    db.session.refresh(reminder)
    assert (reminder.status, reminder.last_error) == ("failed", "smtp_recipient_refused")


def test_a_server_down_stops_the_run_and_the_others_wait_uncounted(case, mailer):
    mailer.always_fail, mailer.error = True, "smtp_timeout"
    for minute in range(4):
        add_reminder(case, NOW - timedelta(minutes=minute))
    tasks.dispatch(NOW, with_email=True)
    # One e-mail waits for the timeout; the three others are not tried one by one.
    assert outbox.send_emails(NOW, mailer) == {"retry": 1, "released": 3}
    waiting = emails()
    assert [email.status for email in waiting] == ["pending"] * 4
    assert sorted(email.attempts for email in waiting) == [0, 0, 0, 1]
    assert {email.next_attempt_at for email in waiting} == {NOW + timedelta(seconds=60)}


def test_a_dispatcher_never_starts_a_conversation_its_lease_could_not_cover(case, mailer):
    mailer.timeout = 10_000.0  # far longer than the lease
    add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    assert outbox.send_emails(NOW, mailer) == {"released": 1}
    assert mailer.sent == []
    (email,) = emails()
    assert (email.status, email.attempts, email.claim_token) == ("pending", 0, None)


def test_a_claim_abandoned_mid_send_is_sent_again_after_its_lease_with_the_same_message_id(
    case, mailer, app
):
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    lease = NOW + timedelta(seconds=app.config["CLAIM_LEASE_SECONDS"])
    (claimed,) = outbox.claim_emails("dead0000", NOW, lease, 10)
    db.session.commit()
    mailer.send(claimed.address, claimed.subject, claimed.body, claimed.message_id)
    # …and the process died before recording it: the e-mail may or may not have left.
    assert outbox.send_emails(lease - timedelta(seconds=1), mailer) == {}
    assert outbox.send_emails(lease, mailer) == {"sent": 1}
    first, second = mailer.sent
    assert first == second  # one duplicate, recognisable by its Message-ID
    (email,) = emails()
    assert (email.status, email.attempts) == ("sent", 2)
    db.session.refresh(reminder)
    assert reminder.status == "sent"
    assert outbox.send_emails(lease + timedelta(hours=1), mailer) == {}


def test_a_dispatcher_that_lost_its_claim_does_not_overwrite_the_new_owner(case, mailer, app):
    add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    lease = NOW + timedelta(seconds=app.config["CLAIM_LEASE_SECONDS"])
    (stale,) = outbox.claim_emails("slow0000", NOW, lease, 10)
    outbox.claim_emails("next0000", lease, lease + timedelta(minutes=5), 10)
    assert outbox._record(stale.id, "slow0000", status="sent") is False
    assert emails()[0].claim_token == "next0000"


@pytest.mark.no_transaction
def test_the_mail_server_is_talked_to_with_no_lock_held(app, committed):
    """While the mailer talks, another connection can write the very row being sent (SQLite:
    take the write lock; PostgreSQL: lock the row) without waiting at all."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_engine(url, connect_args={"timeout": 0} if url.startswith("sqlite") else {})
    seen = []

    class Probe:
        timeout = 15.0

        def send(self, to, subject, body, message_id):
            with other.begin() as connection:
                if url.startswith("postgresql"):
                    connection.execute(text("SET LOCAL lock_timeout = '10ms'"))
                else:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                changed = connection.execute(
                    text("UPDATE outbound_emails SET subject = subject WHERE message_id = :m"),
                    {"m": message_id},
                ).rowcount
            seen.append(changed)

        def close(self):
            pass

    with app.app_context():
        add_reminder_committed(committed)
        tasks.dispatch(with_email=True)
        assert outbox.send_emails(mailer=Probe()) == {"sent": 1}
        db.session.remove()
    other.dispose()
    assert seen == [1]


def add_reminder_committed(committed) -> None:
    from casework.cases.models import Case

    add_reminder(db.session.get(Case, committed.case.id), NOW - timedelta(days=1))
    db.session.commit()


def test_a_two_hour_outage_recovers_with_nobody_doing_anything(case, app, monkeypatch):
    """A real SMTP server, down for two hours, then back: the scheduler's dispatcher runs every
    30 s on an injected clock; every e-mail goes out exactly once."""
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT_SECONDS", 2)
    reminders = [add_reminder(case, NOW + timedelta(minutes=10 * n)) for n in range(12)]
    moment, tick = NOW, timedelta(seconds=30)
    while moment < NOW + timedelta(hours=2):
        tasks.deliver(moment)
        moment += tick
    assert all(email.status == "pending" for email in emails()) and len(emails()) == 12
    sink = SmtpSink(port).start()
    try:
        back = moment
        while any(email.status != "sent" for email in emails()):
            assert moment < back + timedelta(hours=2), "the outbox did not recover"
            tasks.deliver(moment)
            moment += tick
    finally:
        sink.stop()
    ids = sink.inbox.message_ids()
    assert sorted(ids) == sorted(email.message_id for email in emails())
    assert len(ids) == len(set(ids)) == len(reminders)
    assert moment - back <= timedelta(hours=1, minutes=1)  # the capped backoff, at most


def test_failed_for_good_is_shown_to_the_supervisor_on_the_page_and_in_the_digest(
    case, agent, make_user, mailer, app, client
):
    supervisor = make_user(role="supervisor")
    db.session.get(User, supervisor.id).email = "superviseure@exemple.ca"
    mailer.always_fail, mailer.error = True, "smtp_unreachable"
    reminder = add_reminder(case, NOW)
    tasks.dispatch(NOW, with_email=True)
    db.session.execute(update(OutboundEmail).values(expires_at=NOW))
    outbox.send_emails(NOW, mailer)
    db.session.refresh(reminder)
    assert reminder.status == "failed"
    helpers.login(client, supervisor.username, supervisor.password)
    with app.test_request_context():
        failed_tab = url_for("reminders.index", tab="failed")
    page = client.get(failed_tab).text
    assert case.number in page and "Le serveur de courriel n'a pas pu être joint." in page
    morning = NOW.replace(hour=11) + timedelta(days=1)  # 07:00 in Montréal, the next day
    tasks.queue_digests(morning, with_email=True)
    digest = db.session.scalar(
        select(OutboundEmail).where(
            OutboundEmail.user_id == supervisor.id, OutboundEmail.kind == "digest"
        )
    )
    assert digest.subject == "Courriels non remis dans votre région : 1"
    assert case.number in digest.body and agent.full_name in digest.body


def test_a_digest_that_failed_is_listed_for_the_supervisor(case, agent, make_user, app, client):
    supervisor = make_user(role="supervisor")
    db.session.add(
        OutboundEmail(
            key="digest:failed",
            user_id=agent.id,
            kind="digest",
            subject="Votre journée",
            body="…",
            status="failed",
            failed_at=utcnow() - timedelta(hours=1),
            last_error="smtp_unreachable",
        )
    )
    db.session.commit()
    helpers.login(client, supervisor.username, supervisor.password)
    with app.test_request_context():
        failed_tab = url_for("reminders.index", tab="failed")
    from casework.reminders import operations

    rows = operations.undelivered_emails(db.session.get(User, supervisor.id))
    assert [(row.kind, row.full_name) for row in rows] == [("digest", agent.full_name)]
    page = client.get(failed_tab).text
    assert "Autres courriels non remis dans la région" in page and agent.full_name in page
