"""API tokens: created by an administrator, shown once, kept as a SHA-256, revocable.

The secret is 32 random bytes (256 bits) from ``secrets``: a plain SHA-256 is enough to store it,
because nobody can guess or brute-force such a value, unlike a password (which needs a slow hash
such as argon2, used for sign-in). A fast hash also lets every request find its token by an
indexed equality, without trying each row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from casework.api.models import ApiToken
from casework.auth.models import User
from casework.core import audit
from casework.core.domain import DomainError
from casework.core.roles import Role
from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.models import Organisation

TOKEN_PREFIX = "cwk_"
# What a token may be used for, on top of what its role may do (the permissions policy).
SCOPES = {
    "referrals:read": _l("Read referrals"),
    "referrals:write": _l("Answer referrals (accept, decline, record the outcome)"),
    "reference:read": _l("Read reference data"),
    "cases:read": _l("Read case summaries, plans and referrals (agents' tools)"),
    "statistics:read": _l("Read de-identified statistics"),
    "arrivals:write": _l("Announce persons expected at the airport (the ministry's systems)"),
}
DEFAULT_RATE_LIMIT = 120
MAX_LIFETIME_DAYS = 366
# last_used_at is written at most this often (as a session's last_seen_at).
LAST_USE_RESOLUTION = timedelta(minutes=1)


ONE_HOLDER = _l("Choose either a user or an organisation.")


class TokenError(DomainError):
    """An administrator's request for a token was refused."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create(
    actor: Any,
    name: str,
    scopes: list[str],
    expires_at: datetime,
    user: User | None = None,
    organisation: Organisation | None = None,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    now: datetime | None = None,
) -> IssuedToken:
    """Issue a token for a user or for a partner organisation (exactly one of them)."""
    now = now or utcnow()
    if (user is None) == (organisation is None):
        raise TokenError(ONE_HOLDER, "organisation_id")
    if user is not None and not user.active:
        raise TokenError(_l("This account is disabled."), "user_id")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if not scopes or unknown:
        raise TokenError(_l("Choose at least one permission."), "scopes")
    if not now < expires_at <= now + timedelta(days=MAX_LIFETIME_DAYS):
        raise TokenError(
            _l("The expiry must be within %(days)d days.", days=MAX_LIFETIME_DAYS), "expires_on"
        )
    if not 1 <= rate_limit <= 10_000:
        raise TokenError(_l("Between 1 and 10,000 requests a minute."), "rate_limit")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip()[:120],
        prefix=secret[:12],
        token_hash=digest(secret),
        user_id=user.id if user else None,
        organisation_id=organisation.id if organisation else None,
        scopes=sorted(set(scopes)),
        rate_limit=rate_limit,
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, scopes=token.scopes)
    return IssuedToken(token, secret)


def revoke(actor: Any, token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        audit.record(actor, "api_token.revoked", token)


def listed() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .options(joinedload(ApiToken.user), joinedload(ApiToken.organisation))
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def find(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token whose secret this is: not revoked, not expired, its user still active."""
    now = now or utcnow()
    token = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user), joinedload(ApiToken.organisation))
        .where(ApiToken.token_hash == digest(secret))
    )
    if token is None or not token.is_usable(now):
        return None
    if token.user is not None and not token.user.active:
        return None
    if token.organisation is not None and not token.organisation.active:
        return None
    return token


def touch(token: ApiToken, now: datetime | None = None) -> None:
    """Record the token's last use, at most once a minute (one conditional UPDATE)."""
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))


@dataclass
class OrganisationClient:
    """Who a partner organisation's token acts as: the partner role, for that organisation only.
    It has no user id; the audit trail names the token (``details.api_token``)."""

    organisation_id: int
    region_id: None = None  # an organisation serves several regions (or all): none is its own
    id: None = None
    role: str = Role.PARTNER.value
    must_change_password: bool = False
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False
    session_token: None = None

    def get_id(self) -> None:
        return None


def principal(token: ApiToken) -> Any:
    """Who the token acts as, for the permissions policy and the operations."""
    if token.user is not None:
        return token.user
    return OrganisationClient(organisation_id=token.organisation_id)
