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
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from casework.config import LEASE_MARGIN_SECONDS
from casework.core.db import skip_locked
from casework.core.time import utcnow
from casework.extensions import db
from casework.reminders.mail import Mailer, MailError, mailer_from_config
from casework.reminders.models import OutboundEmail, Reminder

log = logging.getLogger(__name__)

EMAIL_BATCH = 100
# Room left in a lease, after the SMTP conversation's own time, to record its outcome (SQLite's
# busy timeout is 5 s); the configuration refuses a lease too short for it.
RECORD_SECONDS = LEASE_MARGIN_SECONDS


@dataclass(frozen=True)
class RetryPolicy:
    lease_seconds: int
    retry_seconds: int
    retry_cap_seconds: int
    # How long a dispatcher may go on sending under one claim: an SMTP conversation that starts
    # before this ends (each step bounded by the client's timeout) is recorded within the lease.
    sending_seconds: float

    @classmethod
    def from_config(cls, config: Any, smtp_timeout: float) -> RetryPolicy:
        lease = int(config["CLAIM_LEASE_SECONDS"])
        return cls(
            lease_seconds=lease,
            retry_seconds=int(config["EMAIL_RETRY_SECONDS"]),
            retry_cap_seconds=int(config["EMAIL_RETRY_MAX_SECONDS"]),
            sending_seconds=lease - 2 * smtp_timeout - RECORD_SECONDS,
        )

    def backoff(self, attempts: int) -> timedelta:
        return backoff(attempts, self.retry_seconds, self.retry_cap_seconds)


def backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    """1, 2, 4, 8… times the base delay after each failed attempt, never more than the cap."""
    return timedelta(seconds=min(base_seconds * 2 ** max(0, attempts - 1), cap_seconds))


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
    """One transaction: the e-mails due at ``now`` — waiting, or claimed by a dispatcher whose
    lease has run out — become this dispatcher's until ``lease``; their text and addresses are
    read. The caller commits."""
    from casework.auth.models import User

    due = skip_locked(
        select(OutboundEmail.id)
        .where(
            OutboundEmail.status.in_(("pending", "claimed")),
            OutboundEmail.next_attempt_at <= now,
        )
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(batch_size)
    )
    ids = list(
        db.session.scalars(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(due.scalar_subquery()))
            .values(
                status="claimed",
                claim_token=token,
                next_attempt_at=lease,
                attempts=OutboundEmail.attempts + 1,
            )
            .returning(OutboundEmail.id)
            .execution_options(synchronize_session=False)
        )
    )
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


def _record(email_id: int, token: str, **values: Any) -> bool:
    """Write an outcome, only while the claim is still this dispatcher's."""
    done = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id, OutboundEmail.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def _record_failure(
    email: Outgoing, token: str, error: MailError, now: datetime, policy: RetryPolicy
) -> str:
    final = error.permanent or now >= email.expires_at
    values: dict[str, Any] = {"claim_token": None, "last_error": error.code}
    if final:
        values |= {"status": "failed", "failed_at": now}
    else:
        # The last try falls on the lifetime's end, not a whole backoff after it.
        retry_at = min(now + policy.backoff(email.attempts), email.expires_at)
        values |= {"status": "pending", "next_attempt_at": retry_at}
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
        released = db.session.execute(
            update(OutboundEmail)
            .where(
                OutboundEmail.id.in_([email.id for email in emails]),
                OutboundEmail.claim_token == token,
            )
            .values(
                status="pending",
                claim_token=None,
                next_attempt_at=retry_at,
                attempts=OutboundEmail.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
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
