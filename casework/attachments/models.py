"""Documents attached to a case, and what was shared with a partner's referral."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import written_in_sql
from casework.core.time import utcnow
from casework.extensions import db

# clean: scanned, nothing found. pending: the scanner could not be reached; never served until a
# later scan clears it. not_scanned: scanning is switched off (the demo); served, and labelled so.
# infected: a later scan found a threat; the file was destroyed at once (a file found infected
# on upload is never stored).
SCAN_STATUSES = ("clean", "pending", "not_scanned", "infected")
SERVABLE = ("clean", "not_scanned")


# Compared with the status that the partial index below names (core.db).
PENDING_SCAN = written_in_sql("pending")


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_case_uploaded", "case_id", "uploaded_at"),
        # The rescan job's queue: only the few rows waiting for the scanner.
        Index(
            "ix_attachments_pending_scan",
            "next_scan_at",
            sqlite_where=text("scan_status = 'pending'"),
            postgresql_where=text("scan_status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The file's name in the store: random, never the uploader's.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The name as uploaded (checked: no path, no control characters), shown and used on download.
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # content.KINDS, decided from the bytes
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    document_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    expires_on: Mapped[date | None] = mapped_column(Date)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    scan_status: Mapped[str] = mapped_column(String(20))
    scanned_at: Mapped[datetime | None] = mapped_column()
    scan_attempts: Mapped[int] = mapped_column(default=0)
    # A pending file is scanned again from this time; a job that claims it moves it forward.
    next_scan_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deletion_reason: Mapped[str | None] = mapped_column(String(30))
    # Set once the bytes are gone from the store (deletion, retention, infection found later).
    file_removed_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    case = relationship("Case", lazy="joined", innerjoin=True)
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    deleted_by = relationship("User", foreign_keys=[deleted_by_id])
    shares: Mapped[list[AttachmentShare]] = relationship(
        back_populates="attachment", cascade="all, delete-orphan", order_by="AttachmentShare.id"
    )

    __mapper_args__ = {"version_id_col": version}
    audit_type = "attachment"

    # The case's keys, so that the permissions policy scopes a document as its case.
    @property
    def agent_id(self) -> int:
        return self.case.agent_id

    @property
    def region_id(self) -> int:
        return self.case.region_id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def servable(self) -> bool:
        return self.deleted_at is None and self.scan_status in SERVABLE


class AttachmentShare(db.Model):
    """One document made available to the organisation of one referral (a disclosure)."""

    __tablename__ = "attachment_shares"
    __table_args__ = (UniqueConstraint("attachment_id", "referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index serves the lookups by attachment.
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    disclosure_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosures.id", ondelete="SET NULL")
    )
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachment: Mapped[Attachment] = relationship(back_populates="shares")
    referral = relationship("Referral")
