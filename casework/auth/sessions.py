"""Server-side sessions: the cookie holds a random token, the ``user_sessions`` row decides."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select, update

from casework.auth.models import User, UserSession
from casework.core.events import ExtensionPoint
from casework.core.time import utcnow
from casework.extensions import db

# Writing last_seen_at on every request would make every page a write; once a minute is enough
# precision for a 30-minute idle timeout.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


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


def revoke_all_sessions(user: User, keep_token: str | None = None) -> None:
    """End every open session of ``user`` (except ``keep_token``, the one making the change)."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_token:
        statement = statement.where(UserSession.token_hash != hash_token(keep_token))
    db.session.execute(statement.values(revoked_at=utcnow()))


def _expired(user_session: UserSession, now: datetime, limits: SessionLimits) -> bool:
    return (
        now - user_session.last_seen_at > limits.idle
        or now - user_session.created_at > limits.absolute
    )


@dataclass(frozen=True)
class SessionFigure:
    """A figure every page's header shows (the unread notifications), read by the session
    lookup's query on every signed-in request rather than by a query of its own when a page
    renders (a subquery on an index costs less than a round trip). ``column()`` is a scalar subquery
    correlated on ``User.id``; the value is in ``user.session_figures[name]``."""

    name: str
    column: Callable[[], ColumnElement[Any]]


# Features that put a figure in the header add it here (notifications): auth cannot import them.
SESSION_FIGURES: ExtensionPoint[SessionFigure] = ExtensionPoint(
    "auth.session_figures",
    "figures the layout's header shows, read with the session on every request",
)

# Built once per set of figures: the lookup runs on every request, and building the statement
# cost about as much as running it. The user's region, service point and organisation are not
# loaded with it: few pages read them (they go through the ids), and those load them when read.
_statements: dict[tuple[SessionFigure, ...], Select] = {}


def _session_and_user(figures: tuple[SessionFigure, ...]) -> Select:
    statement = _statements.get(figures)
    if statement is None:
        statement = _statements[figures] = (
            select(UserSession, User, *(figure.column().label(figure.name) for figure in figures))
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == bindparam("token_hash"))
        )
    return statement


def resume_session(token: str, limits: SessionLimits) -> tuple[User | None, bool]:
    """The user behind ``token``, and whether the session has just expired.

    Expiry is recorded (the row is revoked) so the same cookie can never come back.
    """
    figures = tuple(SESSION_FIGURES)
    row = db.session.execute(_session_and_user(figures), {"token_hash": hash_token(token)}).first()
    if row is None:
        return None, False
    user_session, user, *values = row
    if user_session.revoked_at is not None or not user.active:
        return None, False
    now = utcnow()
    if _expired(user_session, now, limits):
        user_session.revoked_at = now
        return None, True
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        user_session.last_seen_at = now
    user.session_token = token
    user.session_figures = {
        figure.name: value for figure, value in zip(figures, values, strict=True)
    }
    return user, False
