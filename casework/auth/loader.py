"""Flask-Login's user loader: the web-layer side of server-side sessions."""

from __future__ import annotations

from flask import current_app, flash
from flask_babel import lazy_gettext as _l

from casework.auth.models import User
from casework.auth.sessions import SessionLimits, resume_session
from casework.extensions import db, login_manager


@login_manager.user_loader
def load_user(token: str) -> User | None:
    limits = SessionLimits(
        idle=current_app.config["IDLE_TIMEOUT"], absolute=current_app.config["SESSION_MAX_AGE"]
    )
    user, expired = resume_session(token, limits)
    if db.session.dirty:
        # The loader runs before the view; committing the touch or the expiry here keeps the
        # view's own transaction clean.
        db.session.commit()
    if expired:
        flash(_l("Your session expired. Please sign in again."), "info")
    return user
