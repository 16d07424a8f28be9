"""API tokens, their rate-limit windows and the answers kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.auth.models import User
    from casework.reference.models import Organisation


class ApiToken(db.Model):
    """A machine client's credential: for one user (acting as that user) or one partner
    organisation (acting as the organisation). Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # The first characters of the secret, shown in lists so that a holder can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_limit: Mapped[int] = mapped_column(Integer, default=120)  # requests a minute
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User | None] = relationship("User", foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship("Organisation")

    audit_type = "api_token"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ApiRateWindow(db.Model):
    """Requests a token made in one minute: a row per token and minute, counted by an upsert,
    so that the limit holds across processes and web nodes."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ApiIdempotentAnswer(db.Model):
    """The answer given to a write sent with an Idempotency-Key: the same key and body get the
    same answer again, without doing the write twice."""

    __tablename__ = "api_idempotent_answers"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
