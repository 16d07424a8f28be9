"""Each user's choice, per kind of notification, of how they hear of it by e-mail.

The notifications themselves are rows of ``reminders.models.Notification`` (one table, one
unread count): reminders write theirs set-wise in the dispatcher's batch, this package the rest.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db

# immediate: an e-mail at once (through the outbox); digest: in the 07:00 digest; never.
CHANNELS = ("immediate", "digest", "never")


class NotificationPreference(db.Model):
    """Absent, the kind's default applies (``operations.KINDS``)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
