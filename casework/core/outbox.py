"""What every outbox shares — staff e-mail (``reminders.outbox``) and the person's messages
(``messages.outbox``): a claim with a lease, an outcome written only while the claim is still
the sender's, capped exponential backoff, and the delivery error a sender raises.

An outbox table has the columns ``id``, ``status`` (``pending``, ``claimed``, then its own final
states), ``claim_token``, ``next_attempt_at`` and ``attempts``. Each function here is one short
statement inside the caller's transaction; the caller commits, and never holds a transaction
open while it talks to a mail server or a gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, select, update

from casework.core.db import skip_locked
from casework.extensions import db

# Room left in a lease, after the remote conversation's own time, to record its outcome
# (SQLite's busy timeout is 5 s); the configuration refuses a lease too short for it.
LEASE_MARGIN_SECONDS = 10


class DeliveryError(Exception):
    """The message was not accepted; ``code`` is safe to store and show (no address, no text).
    Each channel names the codes that retrying cannot cure and those that mean the server is
    down (the rest of a batch then waits for the retry rather than for the same timeout)."""

    PERMANENT: ClassVar[frozenset[str]] = frozenset({"no_address"})
    SERVER_DOWN: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def permanent(self) -> bool:
        return self.code in self.PERMANENT

    @property
    def server_down(self) -> bool:
        return self.code in self.SERVER_DOWN


@dataclass(frozen=True)
class RetryPolicy:
    lease_seconds: int
    retry_seconds: int
    retry_cap_seconds: int
    # How long a sender may go on sending under one claim: a conversation that starts before
    # this ends (each step bounded by the client's timeout) is recorded within the lease.
    sending_seconds: float

    @classmethod
    def from_config(cls, config: Any, timeout: float) -> RetryPolicy:
        lease = int(config["CLAIM_LEASE_SECONDS"])
        return cls(
            lease_seconds=lease,
            retry_seconds=int(config["EMAIL_RETRY_SECONDS"]),
            retry_cap_seconds=int(config["EMAIL_RETRY_MAX_SECONDS"]),
            sending_seconds=lease - 2 * timeout - LEASE_MARGIN_SECONDS,
        )

    def backoff(self, attempts: int) -> timedelta:
        return backoff(attempts, self.retry_seconds, self.retry_cap_seconds)

    def after_failure(
        self, error: DeliveryError, attempts: int, expires_at: datetime, now: datetime
    ) -> tuple[bool, dict[str, Any]]:
        """Whether the failure is final, and the values to record: failed for good when
        retrying cannot cure it or the message's lifetime is over, else pending until the next
        try — the last one falling on the lifetime's end, not a whole backoff after it."""
        final = error.permanent or now >= expires_at
        values: dict[str, Any] = {"claim_token": None, "last_error": error.code}
        if final:
            return True, values | {"status": "failed", "failed_at": now}
        retry_at = min(now + self.backoff(attempts), expires_at)
        return False, values | {"status": "pending", "next_attempt_at": retry_at}


def backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    """1, 2, 4, 8… times the base delay after each failed attempt, never more than the cap."""
    return timedelta(seconds=min(base_seconds * 2 ** max(0, attempts - 1), cap_seconds))


def claim_due(
    model: Any,
    token: str,
    now: datetime,
    lease: datetime,
    batch_size: int,
    *criteria: ColumnElement[bool],
) -> list[int]:
    """One ``UPDATE … RETURNING``: the rows due at ``now`` — waiting, or claimed by a sender
    whose lease has run out — become this sender's until ``lease``, the attempt counted. Rows
    another sender is claiming at this moment are skipped (PostgreSQL), not waited for."""
    due = skip_locked(
        select(model.id)
        .where(
            model.status.in_(("pending", "claimed")),
            model.next_attempt_at <= now,
            *criteria,
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(batch_size)
    )
    return list(
        db.session.scalars(
            update(model)
            .where(model.id.in_(due.scalar_subquery()))
            .values(
                status="claimed",
                claim_token=token,
                next_attempt_at=lease,
                attempts=model.attempts + 1,
            )
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    )


def record(model: Any, row_id: int, token: str, **values: Any) -> bool:
    """Write an outcome, only while the claim is still this sender's (its lease ran out and
    another sender took it, or a withdrawal of consent took it away)."""
    done = db.session.execute(
        update(model)
        .where(model.id == row_id, model.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def release(model: Any, ids: list[int], token: str, retry_at: datetime) -> int:
    """Give claimed rows back to the queue until ``retry_at``, their attempt not counted."""
    return db.session.execute(
        update(model)
        .where(model.id.in_(ids), model.claim_token == token)
        .values(
            status="pending",
            claim_token=None,
            next_attempt_at=retry_at,
            attempts=model.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
