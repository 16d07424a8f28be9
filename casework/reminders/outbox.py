"""The e-mail outbox: claim, send with no transaction open, record. E-mail is at least once.

Each database step is a short transaction of its own, and none is open while a mail server is
talked to (on SQLite an open write transaction holds the database's one write lock, and every
agent's save would wait for it; on PostgreSQL the claim's row locks would be held):

1. **claim** — one ``UPDATE … RETURNING`` makes a batch of due e-mails this dispatcher's until a
   lease runs out and counts the attempt; the text and the addresses are read in the same
   transaction as plain values (no ORM object that could load lazily later), then it commits;
2. **send** — each e-mail handed to the SMTP server, no transaction open;
3. **record** — one ``UPDATE`` per e-mail, only while the claim is still ours: sent, retried
   later, or failed for good.

A dispatcher that dies between 2 and 3 leaves its claim to expire; the e-mail is then claimed and
sent again with the Message-ID it was given when queued. Only the e-mail on the wire at that
moment can go twice: at most one duplicate per crash, recognisable by its Message-ID. A live
dispatcher stops sending well before its lease could run out under it, so it is never taken over.

A failure is retried with capped exponential backoff for the e-mail's lifetime (48 hours by
default, like a mail server's queue); only then is it failed for good, with its reminder, and
shown to the agent and their supervisor. A refusal that retrying cannot cure (the recipient
refused for good, no address) fails at once.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from casework.core import outbox
from casework.core.outbox import RetryPolicy
from casework.core.time import utcnow
from casework.extensions import db
from casework.reminders.mail import Mailer, MailError, mailer_from_config
from casework.reminders.models import OutboundEmail, Reminder

log = logging.getLogger(__name__)

EMAIL_BATCH = 100


@dataclass(frozen=True)
class Outgoing:
    """A claimed e-mail, as plain values: nothing left to load from the database."""

    id: int
    reminder_id: int | None
    address: str | None
    subject: str
    body: str
    message_id: str
    attempts: int
    expires_at: datetime


def send_emails(
    now: datetime | None = None, mailer: Mailer | None = None, batch_size: int = EMAIL_BATCH
) -> dict[str, int]:
    """Send the e-mails due at ``now`` (the real time when not given), claim by claim."""
    mailer = mailer or mailer_from_config(current_app.config)
    if mailer is None:
        return {}
    policy = RetryPolicy.from_config(current_app.config, mailer.timeout)
    moment = utcnow if now is None else (lambda: now)
    started = time.monotonic()
    counts: Counter[str] = Counter()
    try:
        while True:
            token = secrets.token_hex(8)
            stop_sending_at = time.monotonic() + policy.sending_seconds
            # With an injected time, each claim's lease still runs from when it is taken.
            elapsed = time.monotonic() - started if now is not None else 0.0
            lease = moment() + timedelta(seconds=policy.lease_seconds + elapsed)
            claimed = claim_emails(token, moment(), lease, batch_size)
            db.session.commit()
            server_down = _send_claimed(
                claimed, token, mailer, moment, policy, stop_sending_at, counts
            )
            if server_down or len(claimed) < batch_size:
                return dict(counts)
    finally:
        mailer.close()


def claim_emails(token: str, now: datetime, lease: datetime, batch_size: int) -> list[Outgoing]:
    """One transaction: the e-mails due at ``now`` become this dispatcher's until ``lease``
    (``core.outbox.claim_due``); their text and addresses are read. The caller commits."""
    from casework.auth.models import User

    ids = outbox.claim_due(OutboundEmail, token, now, lease, batch_size)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            OutboundEmail.id,
            OutboundEmail.reminder_id,
            User.email,
            OutboundEmail.subject,
            OutboundEmail.body,
            OutboundEmail.message_id,
            OutboundEmail.attempts,
            OutboundEmail.expires_at,
        )
        .join(User, User.id == OutboundEmail.user_id)
        .where(OutboundEmail.id.in_(ids))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
    )
    return [Outgoing(*row) for row in rows]


def _send_claimed(
    claimed: list[Outgoing],
    token: str,
    mailer: Mailer,
    moment: Callable[[], datetime],
    policy: RetryPolicy,
    stop_sending_at: float,
    counts: Counter[str],
) -> bool:
    """Send what was claimed, one e-mail after the other; returns whether the server is down.

    What is left unsent — the lease would run out, the server stopped answering, the process is
    stopping — goes back to the queue at once, attempt uncounted, rather than wait for the lease.
    """
    unsent = list(claimed)
    retry_at = moment()
    try:
        while unsent and time.monotonic() < stop_sending_at:
            email = unsent.pop(0)
            outcome, error = _send_one(email, token, mailer, moment, policy)
            counts[outcome] += 1
            if error is not None and error.server_down:
                # The rest would wait for the same timeout one by one: they wait for the retry.
                retry_at = moment() + policy.backoff(email.attempts)
                return True
        return False
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if unsent:
            counts["released"] += release(token, unsent, retry_at)


def _send_one(
    email: Outgoing,
    token: str,
    mailer: Mailer,
    moment: Callable[[], datetime],
    policy: RetryPolicy,
) -> tuple[str, MailError | None]:
    try:
        if not email.address:
            raise MailError("no_address")
        mailer.send(email.address, email.subject, email.body, email.message_id)
    except MailError as error:
        return _record_failure(email, token, error, moment(), policy), error
    recorded = _record(
        email.id, token, status="sent", sent_at=moment(), claim_token=None, last_error=None
    )
    db.session.commit()
    # Not ours any more: the lease ran out (a stalled process) and another dispatcher took it.
    return ("sent" if recorded else "sent_after_lease"), None


def _record(email_id: int, token: str, **values: object) -> bool:
    return outbox.record(OutboundEmail, email_id, token, **values)


def _record_failure(
    email: Outgoing, token: str, error: MailError, now: datetime, policy: RetryPolicy
) -> str:
    final, values = policy.after_failure(error, email.attempts, email.expires_at, now)
    recorded = _record(email.id, token, **values)
    if final and recorded and email.reminder_id is not None:
        fail_reminders([email.reminder_id], error.code)
    db.session.commit()
    log.warning("e-mail %s not sent (%s), attempt %d", email.id, error.code, email.attempts)
    return "failed" if final else "retry"


def release(token: str, emails: list[Outgoing], retry_at: datetime) -> int:
    """Give claimed e-mails back to the queue, their attempt not counted; a failure here only
    leaves them to their lease."""
    try:
        released = outbox.release(OutboundEmail, [email.id for email in emails], token, retry_at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("%d claimed e-mails left to their lease", len(emails))
        return 0
    return released


def fail_reminders(reminder_ids: list[int], code: str) -> None:
    """Reminders whose e-mail failed for good: shown in the Failed tab (the in-app notification
    was delivered)."""
    if reminder_ids:
        db.session.execute(
            update(Reminder)
            .where(Reminder.id.in_(reminder_ids), Reminder.status == "sent")
            .values(status="failed", last_error=code, version=Reminder.version + 1)
            .execution_options(synchronize_session=False)
        )
