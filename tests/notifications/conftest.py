"""Fixtures for the notifications: an agent with a case, the people around them, and the
workflow steps done through the operations (as the pages do them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.auth.models import User
from casework.cases.models import Case
from casework.extensions import db
from casework.referrals import operations as referrals
from casework.referrals.models import Referral, ReferralEvent
from casework.reminders.models import Notification
from tests import helpers


@dataclass
class People:
    agent: helpers.UserRecord
    advisor: helpers.UserRecord
    partner: helpers.UserRecord
    supervisor: helpers.UserRecord
    case: helpers.CaseRecord


@pytest.fixture
def people(app, make_user, make_case) -> People:
    agent = make_user(role="agent")
    with app.app_context():
        user = db.session.get(User, agent.id)
        user.email = f"{agent.username}@exemple.ca"
        db.session.commit()
    case = make_case(agent)
    return People(
        agent=agent,
        advisor=make_user(role="advisor"),
        partner=make_user(role="partner", organisation="promis"),
        supervisor=make_user(role="supervisor"),
        case=case,
    )


def user(record: helpers.UserRecord) -> User:
    return db.session.get(User, record.id)


def referral_in(people: People, status: str) -> Referral:
    """A referral of the case to PROMIS in ``status`` (the consent recorded with the first)."""
    from casework.cases.operations import current_consent

    if current_consent(case_of(people), "share_partner") is None:
        referral_id = helpers.consented_referral(people.agent.id, people.case.id, status=status)
        return db.session.get(Referral, referral_id)
    first = db.session.scalar(select(Referral).where(Referral.case_id == people.case.id))
    referral = Referral(
        case_id=first.case_id,
        organisation_id=first.organisation_id,
        agent_id=first.agent_id,
        region_id=first.region_id,
        purpose="Francisation",
        status=status,
    )
    referral.events.append(ReferralEvent(actor_id=people.agent.id, to_status=status))
    db.session.add(referral)
    db.session.commit()
    return referral


def move(actor: helpers.UserRecord, referral: Referral, to: str, comment=None, reason=None):
    referrals.move(user(actor), referral, to, comment, referral.version, reason=reason)
    db.session.commit()


def return_referral(people: People, comment: str = "Précisez le besoin de logement.") -> Referral:
    referral = referral_in(people, "submitted")
    move(people.advisor, referral, "returned", comment)
    return referral


def notifications_of(record: helpers.UserRecord, kind: str | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == record.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(statement.order_by(Notification.id)))


def case_of(people: People) -> Case:
    return db.session.get(Case, people.case.id)


def later(minutes: int = 1) -> timedelta:
    return timedelta(minutes=minutes)
