"""Messages to the person (confirmations, updates, cancellations, reminders of appointments) and
how their case may be contacted.

A message is a row of the person's outbox, claimed, sent with no transaction open and recorded
like staff e-mail (``messages.outbox``, on ``reminders.outbox``'s mechanism). Its key is unique
per event and channel: an event queued twice leaves one row, and a resend after a crash goes out
with the same Message-ID or gateway reference.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import LOCAL_TIMEZONE, utcnow
from casework.extensions import db

KINDS = ("confirmation", "update", "cancellation", "reminder")
CHANNELS = ("email", "sms")
# What may still be stopped: not yet handed to the mail server or the gateway.
PENDING_STATUSES = ("pending", "claimed")


class PersonMessage(db.Model):
    __tablename__ = "person_messages"
    __table_args__ = (
        # The sender's question: what is due now?
        Index("ix_person_messages_status_next", "status", "next_attempt_at"),
        Index("ix_person_messages_case_created", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # appointment:<id>:<kind>:<sequence>:<channel> — one row per event and channel.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    # The template's language, and the person's own when none existed in it (French was used).
    language: Mapped[str] = mapped_column(String(3))
    fallback_from: Mapped[str | None] = mapped_column(String(3))
    # The e-mail address or the E.164 number, copied when queued; erased with the case.
    address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    ics: Mapped[str | None] = mapped_column(Text)
    # The Message-ID of the e-mail, or the reference given to the gateway: the same on a resend.
    message_id: Mapped[str] = mapped_column(String(200))
    # The gateway's own id for the SMS: its delivery receipts name it.
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # The consent in force when it was queued (contact_email or contact_sms).
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id", ondelete="SET NULL"))
    # pending | claimed | sent | delivered | failed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    # A code, never personal data: consent_withdrawn, gateway_refused, bad_number…
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case = relationship("Case")

    audit_type = "person_message"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES


class ContactSettings(db.Model):
    """What the agent knows of how the person may be reached (the consents say whether)."""

    __tablename__ = "contact_settings"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    # A landline receives no SMS, whatever the consent says.
    phone_is_landline: Mapped[bool] = mapped_column(default=False)
    time_zone: Mapped[str] = mapped_column(String(40), default=LOCAL_TIMEZONE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    audit_type = "contact_settings"
