"""The person's outbox (issue 14 for the channels of issue 15): no lock held while the SMS
gateway or the mail server is talked to (no write transaction on SQLite, no row lock on
PostgreSQL: while a message is handed over, another connection writes its very row at once);
a message whose sender died mid-send goes again after its lease, with the same reference."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, delete, text

from casework.extensions import db
from casework.messages import outbox
from casework.messages.models import PersonMessage
from casework.messages.outbox import send_messages
from casework.referrals.models import Disclosure
from casework.reminders.mail import SmtpMailer
from tests.messages.conftest import book, daytime, messages_of


def write_at_once(url: str, reference: str) -> int:
    """Write the row being sent from another connection, refusing to wait for any lock."""
    other = create_engine(url, connect_args={"timeout": 0} if url.startswith("sqlite") else {})
    try:
        with other.begin() as connection:
            if url.startswith("postgresql"):
                connection.execute(text("SET LOCAL lock_timeout = '10ms'"))
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            return connection.execute(
                text("UPDATE person_messages SET body = body WHERE message_id = :m"),
                {"m": reference},
            ).rowcount
    finally:
        other.dispose()


@pytest.mark.no_transaction
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_the_gateway_and_the_mail_server_are_talked_to_with_no_lock_held(app, committed, channel):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    seen: list[int] = []

    class ProbeGateway:
        timeout = 10.0

        def send(self, to, body, reference):
            seen.append(write_at_once(url, reference))
            return "gw-probe"

        def close(self):
            pass

    class ProbeMailer(SmtpMailer):
        def deliver(self, message):
            seen.append(write_at_once(url, message["Message-ID"]))

    now = daytime()  # outside the quiet hours
    with app.app_context():
        db.session.add(
            PersonMessage(
                key=f"probe:{committed.case.id}:{channel}",
                case_id=committed.case.id,
                kind="confirmation",
                channel=channel,
                language="fr",
                address="+15145550123" if channel == "sms" else "amina@exemple.ca",
                subject="Rendez-vous",
                body="Votre rendez-vous",
                message_id=f"<probe-{channel}@exemple.ca>",
                next_attempt_at=now - timedelta(minutes=1),
                expires_at=now + timedelta(days=1),
            )
        )
        db.session.commit()
        try:
            if channel == "sms":
                counts = send_messages(now=now, gateway=ProbeGateway())
            else:
                mailer = ProbeMailer(host="127.0.0.1", port=1, sender="casework@exemple.ca")
                counts = send_messages(now=now, mailer=mailer)
        finally:
            db.session.rollback()
            db.session.execute(delete(Disclosure).where(Disclosure.case_id == committed.case.id))
            db.session.execute(
                delete(PersonMessage).where(PersonMessage.case_id == committed.case.id)
            )
            db.session.commit()
            db.session.remove()
    assert counts == {"sent": 1}
    assert seen == [1]


def test_an_sms_abandoned_mid_send_goes_again_after_its_lease_with_the_same_reference(
    agent, gateway, fake_gateway, app
):
    appointment = book(agent, consents=("contact_sms",), email=None)
    now = daytime()
    lease = now + timedelta(seconds=app.config["CLAIM_LEASE_SECONDS"])
    (claimed,) = outbox.claim("dead0000", now, lease, 10, ("sms",))
    db.session.commit()
    gateway.send(claimed.address, claimed.body, claimed.message_id)
    # …and the process died before recording it: the text may or may not have left.
    assert send_messages(now=lease - timedelta(seconds=1), gateway=gateway) == {}
    assert send_messages(now=lease, gateway=gateway) == {"sent": 1}
    first, second = (request["headers"]["Idempotency-Key"] for request in fake_gateway.requests)
    assert first == second == claimed.message_id  # the gateway can drop the copy
    (message,) = [m for m in messages_of(appointment) if m.id == claimed.id]
    assert (message.status, message.attempts) == ("sent", 2)
    assert send_messages(now=lease + timedelta(hours=1), gateway=gateway) == {}
