"""Server-side sessions behind Flask-Login: the cookie holds a token, the database decides."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, flash, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from casework.auth.models import User, UserSession
from casework.core.time import utcnow
from casework.extensions import db, login_manager

# Writing last_seen_at on every request would make every page a write; once a minute is enough
# precision for a 30-minute idle timeout.
TOUCH_INTERVAL = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def open_session(user: User) -> str:
    """Create a server-side session row and return the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id))
    user.session_token = token
    return token


def revoke_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all_sessions(user: User) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


@login_manager.user_loader
def load_user_from_session(token: str) -> User | None:
    row = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if user_session.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    if now - user_session.last_seen_at > current_app.config["IDLE_TIMEOUT"]:
        user_session.revoked_at = now
        db.session.commit()
        g.session_expired = True
        flash(
            _l("Your session expired after a period of inactivity. Please sign in again."), "info"
        )
        return None
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        user_session.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user
