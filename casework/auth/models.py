"""Staff accounts, their server-side sessions and login attempts."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.roles import Role
from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.lookup import territory

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.reference.models import Organisation, Region, ServicePoint


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    # Work phone: partner organisations call the agent who referred a person.
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Optimistic lock: two admins editing the same account cannot overwrite each other silently.
    version: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region] = relationship("Region")
    service_point: Mapped[ServicePoint | None] = relationship("ServicePoint")
    organisation: Mapped[Organisation | None] = relationship("Organisation")

    __mapper_args__ = {"version_id_col": version}

    audit_type = "user"
    # Set when the user is loaded from a server-side session; Flask-Login stores this id.
    session_token = None
    # Read with the session (auth.sessions.SESSION_FIGURES); replaced, never changed in place.
    session_figures = MappingProxyType({})

    # Flask-Login protocol, written out so that the session token, not the user id, is stored.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return self.role_enum.label

    @property
    def user_id(self) -> int:
        return self.id

    @property
    def scope_region_ids(self) -> list[int]:
        """The regions a region-scoped role sees: those of the directorate that covers the
        user's region (reference.lookup.territory), read once per loaded user."""
        cached = self.__dict__.get("_territory")
        if cached is None or cached[0] != self.region_id:
            cached = (self.region_id, territory(self.region_id))
            self.__dict__["_territory"] = cached
        return cached[1]


class UserSession(db.Model):
    """A signed-in browser. Revoking the row ends the session whatever the cookie says."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One row per sign-in attempt; throttling counts these, so it holds across processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_addr_at", "remote_addr", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)


class SecondFactor(db.Model):
    """A user's TOTP secret (RFC 6238). Unconfirmed while enrolment is under way; the last time
    step accepted makes each code valid once."""

    __tablename__ = "user_second_factors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    """One single-use recovery code, hashed like a password."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()


class SecondFactorRole(db.Model):
    """A role an administrator requires the second factor of, beyond those that always need it."""

    __tablename__ = "second_factor_roles"

    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    required: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
