"""Follow-up rules, the reminders they create, in-app notifications and the e-mail outbox.

A reminder is a row with a due time in UTC and a status; jobs only ever claim due rows and act on
them, so any job may run twice or late without harm. Each row carries an idempotency key, unique
per (rule, subject, occurrence): the reconciler upserts by it and never creates a second one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import JSON, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.models import _localised
from casework.reminders.mail import new_message_id

# What the reconciler may still move or cancel; the others are settled.
OPEN_STATUSES = ("pending", "sent", "snoozed")


class FollowUpRule(db.Model):
    """One kind of follow-up, loaded from ``seed/follow_up_rules.yaml``; an administrator may
    switch it off and change its offsets afterwards (a reload of the seed never overwrites that)."""

    __tablename__ = "follow_up_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    trigger: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=True)
    # How far from the trigger's date the reminder falls (negative: before it), in ``unit``.
    offset: Mapped[int] = mapped_column(default=0)
    unit: Mapped[str] = mapped_column(String(20), default="days")  # days | business_days | months
    # Local wall-clock time at which the reminder falls on its day (America/Toronto).
    at_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    # Delivered and still not handled after this many days: the region's supervisors are told.
    escalate_after_days: Mapped[int | None] = mapped_column()
    # Consents carry no end date: the rule says for how long one stays valid.
    validity_days: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    audit_type = "follow_up_rule"

    @property
    def label(self) -> str:
        return _localised(self.name, self.name_en)


class Reminder(db.Model):
    __tablename__ = "reminders"
    __table_args__ = (
        # The dispatcher's question: what is due now?
        Index("ix_reminders_status_next", "status", "next_attempt_at"),
        Index("ix_reminders_agent_status_due", "agent_id", "status", "due_at"),
        Index("ix_reminders_region_status_due", "region_id", "status", "due_at"),
        Index("ix_reminders_rule_status", "rule_id", "status"),
        # A page's referrals (or other subjects) and their reminders: the queue's « unanswered ».
        Index("ix_reminders_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # rule code : subject type : subject id [: occurrence] — unique, the idempotency key.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("follow_up_rules.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column()
    # A deleted case leaves its reminders behind without a case: they are cancelled, never sent.
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # When the trigger says it falls (UTC); the reconciler keeps it in line with the data.
    due_at: Mapped[datetime] = mapped_column()
    # When the dispatcher should deliver it: the due time, or the end of a snooze.
    next_attempt_at: Mapped[datetime] = mapped_column()
    # pending | sent | snoozed | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    deliveries: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column()
    snoozed_until: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when a supervisor hands the reminder to someone else: a transfer no longer moves it.
    reassigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # A code, never personal data: smtp_refused, smtp_unreachable, smtp_timeout, case_gone…
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    rule: Mapped[FollowUpRule] = relationship()
    agent = relationship("User", foreign_keys=[agent_id])
    case = relationship("Case")

    __mapper_args__ = {"version_id_col": version}
    audit_type = "reminder"

    @property
    def user_id(self) -> int:
        """Whose reminder this is (the SELF scope of the reminders' actions)."""
        return self.agent_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Notification(db.Model):
    """What a person finds in the application; the unique key makes each delivery happen once.

    Reminders write theirs here (``reminder``, set-wise in the dispatcher's batch); the
    notifications package writes the workflow ones (a referral returned, a transfer offered…),
    keyed ``<kind>:<event>:<recipient>`` so that an event recorded twice is one notification."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # The digest's question: whose notifications wait for the morning e-mail?
        Index("ix_notifications_email_user", "email", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # reminder | escalation | referral_returned | transfer_offered | airport_booking …
    kind: Mapped[str] = mapped_column(String(40))
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    # What the link opens (referral, transfer, appointment, case), checked when it is followed.
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column()
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    # The short text's values (case number, organisation, the comment), erased with the case.
    details: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # The e-mail the recipient chose: queued (sent at once), digest (waits for 07:00), digested.
    email: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    reminder: Mapped[Reminder | None] = relationship()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


def _new_message_id() -> str:
    return new_message_id(current_app.config["MAIL_FROM"] if has_app_context() else "")


def email_lifetime() -> timedelta:
    """How long a newly queued e-mail is retried before it fails for good."""
    hours = current_app.config["EMAIL_LIFETIME_HOURS"] if has_app_context() else 48
    return timedelta(hours=hours)


def _expiry() -> datetime:
    return utcnow() + email_lifetime()


class OutboundEmail(db.Model):
    """The e-mail outbox (``reminders.outbox``): claimed with a lease, sent with no transaction
    open, its outcome recorded after; retried with backoff until ``expires_at``."""

    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # reminder | escalation | digest
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Given when the e-mail is queued: a copy sent again after a crash carries the same one.
    message_id: Mapped[str] = mapped_column(String(200), default=_new_message_id)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|claimed|sent|failed
    # Attempts made (counted when claimed): the backoff grows with them.
    attempts: Mapped[int] = mapped_column(default=0)
    # When it is due; while claimed, when the claim's lease runs out.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # Retried until then (the e-mail lifetime), then failed for good.
    expires_at: Mapped[datetime] = mapped_column(default=_expiry)
    sent_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
