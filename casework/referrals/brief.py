"""What a referral's page gives each reader to act on: the need and its level, the consent that
sending needs, why the organisation was suggested, the urgency and who to call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.auth.models import User
from casework.cases.models import Consent
from casework.cases.operations import current_consent
from casework.extensions import db
from casework.plans.models import PlanAction
from casework.reference.models import Need
from casework.referrals.models import Referral
from casework.referrals.operations import consent_purpose, suggest


@dataclass(frozen=True)
class Fit:
    """Why the suggestions put this organisation forward, and where it ranked."""

    reasons: list[str] = field(default_factory=list)
    rank: int | None = None
    offered: int = 0


@dataclass(frozen=True)
class Brief:
    need: Need | None
    level: str | None
    consent_purpose: str
    consent: Consent | None
    fit: Fit | None


def consent_for_service(case: Any, service: str) -> tuple[str, Consent | None]:
    """Before an organisation is chosen: the consent an action's referral will need."""
    purpose = "share_mtess" if service == "mtess" else "share_partner"
    return purpose, current_consent(case, purpose)


def brief(referral: Referral, with_fit: bool = True) -> Brief:
    """The referral's need (from its plan action), the consent sending needs and, for the
    reviewers, the suggestion's reasons for this organisation as they stand today."""
    action = (
        db.session.get(PlanAction, referral.plan_action_id) if referral.plan_action_id else None
    )
    need = db.session.get(Need, action.need_id) if action and action.need_id else None
    purpose = consent_purpose(referral)
    return Brief(
        need=need,
        level=action.level if action else None,
        consent_purpose=purpose,
        consent=current_consent(referral.case, purpose),
        fit=_fit(referral, action) if with_fit and action is not None else None,
    )


def _fit(referral: Referral, action: PlanAction) -> Fit:
    suggestions = suggest(referral.case, action)
    for rank, suggestion in enumerate(suggestions, start=1):
        if suggestion.organisation.id == referral.organisation_id:
            return Fit(suggestion.reasons, rank, len(suggestions))
    return Fit([], None, len(suggestions))


def agent_of(referral: Referral) -> User | None:
    """The referring agent (name, work phone, e-mail) with their service point."""
    return db.session.scalar(
        select(User).options(joinedload(User.service_point)).where(User.id == referral.agent_id)
    )
