"""The person's outbox: claim, send with no transaction open, record — the mechanism of staff
e-mail (``reminders.outbox``: the same lease, backoff and at-least-once rules), for e-mails with
their calendar file and for SMS through the gateway.

Each row is one event on one channel (its key is unique), so an event is never sent twice on
purpose; a dispatcher that dies between sending and recording leaves its claim to expire, and the
message goes again with the same Message-ID or gateway reference (``Idempotency-Key``), which
mail systems and gateways use to drop the copy.

Before an SMS is sent its time is checked against the person's quiet hours (21:00–08:00 in their
time zone): one claimed in them goes back to the queue until 08:00, its attempt uncounted. A
message whose appointment has begun is stopped, not sent.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import select

from casework.core import outbox
from casework.core.outbox import DeliveryError, RetryPolicy
from casework.core.time import LOCAL_TIMEZONE, utcnow
from casework.extensions import db
from casework.messages.models import ContactSettings, PersonMessage
from casework.messages.operations import outside_quiet_hours
from casework.messages.sms import SmsGateway, gateway_from_config
from casework.referrals.models import Disclosure
from casework.reminders.mail import MailError, SmtpMailer, mailer_from_config

log = logging.getLogger(__name__)

BATCH = 100
GATEWAY_NAME = "SMS gateway"


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, as plain values."""

    id: int
    case_id: int
    channel: str
    address: str | None
    subject: str
    body: str
    ics: str | None
    message_id: str
    consent_id: int | None
    attempts: int
    expires_at: datetime
    time_zone: str | None


@dataclass
class Senders:
    mailer: SmtpMailer | None
    gateway: SmsGateway | None

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(
            channel
            for channel, sender in (("email", self.mailer), ("sms", self.gateway))
            if sender is not None
        )

    @property
    def timeout(self) -> float:
        return max(sender.timeout for sender in (self.mailer, self.gateway) if sender is not None)

    def close(self) -> None:
        for sender in (self.mailer, self.gateway):
            if sender is not None:
                sender.close()


def send_messages(
    now: datetime | None = None,
    mailer: SmtpMailer | None = None,
    gateway: SmsGateway | None = None,
    batch_size: int = BATCH,
) -> dict[str, int]:
    """Send the person messages due at ``now`` (the real time when not given), claim by claim."""
    config = current_app.config
    senders = Senders(mailer or mailer_from_config(config), gateway or gateway_from_config(config))
    if not senders.channels:
        return {}
    policy = RetryPolicy.from_config(config, senders.timeout)
    moment = utcnow if now is None else (lambda: now)
    started = time.monotonic()
    counts: Counter[str] = Counter()
    try:
        while True:
            token = secrets.token_hex(8)
            stop_at = time.monotonic() + policy.sending_seconds
            elapsed = time.monotonic() - started if now is not None else 0.0
            lease = moment() + timedelta(seconds=policy.lease_seconds + elapsed)
            claimed = claim(token, moment(), lease, batch_size, senders.channels)
            db.session.commit()
            for message in claimed:
                if time.monotonic() >= stop_at:
                    counts["released"] += _put_back(message, token, moment())
                    continue
                counts[_send_one(message, token, senders, moment(), policy)] += 1
            if len(claimed) < batch_size:
                return dict(counts)
    except BaseException:
        db.session.rollback()
        raise
    finally:
        senders.close()


def claim(
    token: str, now: datetime, lease: datetime, batch_size: int, channels: tuple[str, ...]
) -> list[Outgoing]:
    """One transaction: due messages of the channels that are configured become this sender's
    until ``lease`` (``core.outbox.claim_due``); their content is read as plain values. The
    caller commits."""
    ids = outbox.claim_due(
        PersonMessage, token, now, lease, batch_size, PersonMessage.channel.in_(channels)
    )
    if not ids:
        return []
    rows = db.session.execute(
        select(
            PersonMessage.id,
            PersonMessage.case_id,
            PersonMessage.channel,
            PersonMessage.address,
            PersonMessage.subject,
            PersonMessage.body,
            PersonMessage.ics,
            PersonMessage.message_id,
            PersonMessage.consent_id,
            PersonMessage.attempts,
            PersonMessage.expires_at,
            ContactSettings.time_zone,
        )
        .outerjoin(ContactSettings, ContactSettings.case_id == PersonMessage.case_id)
        .where(PersonMessage.id.in_(ids))
        .order_by(PersonMessage.next_attempt_at, PersonMessage.id)
    )
    return [Outgoing(*row) for row in rows]


def _record(message_id: int, token: str, **values: Any) -> bool:
    return outbox.record(PersonMessage, message_id, token, **values)


def _put_back(message: Outgoing, token: str, at: datetime) -> int:
    released = outbox.release(PersonMessage, [message.id], token, at)
    db.session.commit()
    return released


def _send_one(
    message: Outgoing, token: str, senders: Senders, now: datetime, policy: RetryPolicy
) -> str:
    if now >= message.expires_at:
        _record(
            message.id,
            token,
            status="cancelled",
            cancelled_at=now,
            claim_token=None,
            last_error="appointment_passed",
        )
        db.session.commit()
        return "expired"
    if message.channel == "sms":
        morning = outside_quiet_hours(now, message.time_zone or LOCAL_TIMEZONE)
        if morning != now:
            _put_back(message, token, morning)
            return "quiet_hours"
    try:
        if not message.address:
            raise MailError("no_address")
        provider_id = _hand_over(message, senders)
    except DeliveryError as error:
        return _record_failure(message, token, error, now, policy)
    recorded = _record(
        message.id,
        token,
        status="sent",
        sent_at=now,
        claim_token=None,
        last_error=None,
        provider_id=provider_id,
    )
    if recorded and message.channel == "sms":
        _register_disclosure(message, now)
    db.session.commit()
    return "sent" if recorded else "sent_after_lease"


def _hand_over(message: Outgoing, senders: Senders) -> str | None:
    if message.channel == "sms":
        return senders.gateway.send(message.address, message.body, message.message_id)
    email = senders.mailer.build(message.address, message.subject, message.body, message.message_id)
    if message.ics:
        method = "CANCEL" if "METHOD:CANCEL" in message.ics else "PUBLISH"
        email.add_attachment(
            message.ics, subtype="calendar", filename="rendez-vous.ics", params={"method": method}
        )
    _deliver(senders.mailer, email)
    return None


def _deliver(mailer: SmtpMailer, email: EmailMessage) -> None:
    mailer.deliver(email)


def _register_disclosure(message: Outgoing, now: datetime) -> None:
    """The gateway received the person's number: the register of disclosures says so, and under
    which consent."""
    db.session.add(
        Disclosure(
            case_id=message.case_id,
            recipient=GATEWAY_NAME,
            disclosed_at=now,
            categories=["phone_number", "appointment_time"],
            legal_basis="consent:contact_sms",
            consent_id=message.consent_id,
        )
    )


def _record_failure(
    message: Outgoing, token: str, error: DeliveryError, now: datetime, policy: RetryPolicy
) -> str:
    final, values = policy.after_failure(error, message.attempts, message.expires_at, now)
    _record(message.id, token, **values)
    db.session.commit()
    log.warning(
        "person message %s not sent (%s), attempt %d", message.id, error.code, message.attempts
    )
    return "failed" if final else "retry"


# --- What the gateway posts back -----------------------------------------------------------


def record_receipt(payload: dict, now: datetime | None = None) -> str:
    """A delivery receipt: ``delivered`` or ``failed`` for the gateway's message id. A receipt
    for a message we do not know is ignored (and logged, without the payload)."""
    status = payload.get("status")
    provider_id = str(payload.get("id") or "")[:100]
    if status not in ("delivered", "failed") or not provider_id:
        log.warning("SMS receipt not understood; ignored")
        return "ignored"
    message = db.session.scalar(
        select(PersonMessage).where(
            PersonMessage.channel == "sms", PersonMessage.provider_id == provider_id
        )
    )
    if message is None:
        log.warning("SMS receipt for an unknown message; ignored")
        return "unknown"
    now = now or utcnow()
    if status == "delivered":
        message.status, message.delivered_at, message.last_error = "delivered", now, None
    else:
        message.status, message.failed_at, message.last_error = "failed", now, "receipt_failed"
    return status
