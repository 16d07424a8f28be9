"""Fixtures of the API's tests: tokens issued through the service layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import helpers


@dataclass(frozen=True)
class Issued:
    id: int
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


ALL_SCOPES = (
    "referrals:read",
    "referrals:write",
    "reference:read",
    "cases:read",
    "statistics:read",
    "arrivals:write",
)


@pytest.fixture
def issue_token(app, make_user) -> Callable[..., Issued]:
    """A token for a partner organisation (``organisation=code``) or a user (``user=record``)."""

    def issue(
        organisation: str | None = None,
        user: helpers.UserRecord | None = None,
        scopes: tuple[str, ...] = ALL_SCOPES,
        days: int = 30,
        rate_limit: int = 1000,
    ) -> Issued:
        from casework.api import tokens
        from casework.auth.models import User
        from casework.core.time import utcnow
        from casework.extensions import db
        from casework.reference.models import Organisation

        admin = make_user(role="admin")
        with app.app_context():
            holder_org = (
                db.session.scalar(select(Organisation).where(Organisation.code == organisation))
                if organisation
                else None
            )
            issued = tokens.create(
                db.session.get(User, admin.id),
                "test client",
                list(scopes),
                utcnow() + timedelta(days=days),
                user=db.session.get(User, user.id) if user else None,
                organisation=holder_org,
                rate_limit=rate_limit,
            )
            db.session.commit()
            return Issued(issued.token.id, issued.secret)

    return issue


@pytest.fixture
def sent_referral(app, make_user, make_case) -> Callable[..., int]:
    """A referral to PROMIS in ``status``, the person's consent in force; its id."""

    def create(status: str = "sent", agent: helpers.UserRecord | None = None) -> int:
        agent = agent or make_user(role="agent")
        case = make_case(agent)
        with app.app_context():
            return helpers.consented_referral(agent.id, case.id, status)

    return create
