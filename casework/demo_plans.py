"""Illustrative action plans for the demo cases, built through the plan service layer."""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy import select

from casework.assessments.models import Assessment
from casework.auth.models import User
from casework.cases.models import Case
from casework.extensions import db
from casework.plans import operations as plans

FOLLOW_UP = ("todo", "todo", "in_progress", "in_progress", "done", "done", "done", "abandoned")
ABANDON_REASONS = (
    "La personne a trouvé une solution par son réseau.",
    "Besoin réglé entre-temps.",
    "La personne a préféré reporter cette démarche.",
)


def load_demo_plans(progress: Callable[[str], None] | None = None, seed: int = 2026) -> int:
    """A plan for most assessed open cases: finalised and followed up, some still in draft."""
    rng = random.Random(seed)
    step = progress or (lambda _label: None)
    assessed = db.session.scalars(
        select(Case)
        .where(
            Case.status.in_(("active", "on_hold", "closed")),
            Case.id.in_(select(Assessment.case_id).where(Assessment.status == "completed")),
        )
        .order_by(Case.id)
    ).all()
    created = 0
    for case in assessed:
        if rng.random() < 0.15:
            continue  # some assessed cases still wait for their plan
        agent = db.session.get(User, case.agent_id)
        plan, _created = plans.generate(agent, case)
        db.session.flush()
        if not plan.actions or rng.random() < 0.12:
            created += 1
            continue  # left as a draft
        plans.finalise(agent, case, plan, plan.version)
        for action in plan.actions:
            status = rng.choice(FOLLOW_UP)
            if status != "todo":
                reason = rng.choice(ABANDON_REASONS) if status == "abandoned" else None
                plans.set_action_status(agent, case, plan, action.id, status, reason)
        created += 1
    db.session.commit()
    step(f"plans d'action de démonstration : {created}")
    return created


DEMO_AVAILABILITIES = ("Jours de semaine", "Soirs et fins de semaine", "Dès le mois prochain")
# Where demo referrals stop, in order of the lifecycle (every state appears).
DEMO_REFERRAL_STOPS = (
    "draft",
    "submitted",
    "submitted",
    "returned",
    "approved",
    "sent",
    "sent",
    "accepted",
    "declined",
    "completed",
    "completed",
    "not_completed",
)
# Referrals to an organisation that has a demo user stop where that user has something to do.
PARTNER_STOPS = ("sent", "not_completed", "accepted", "completed", "declined", "sent")
PARTNER_STEPS = {
    "accepted": ("accepted",),
    "declined": ("declined",),
    "completed": ("accepted", "completed"),
    "not_completed": ("accepted", "not_completed"),
}


def load_demo_referrals(progress: Callable[[str], None] | None = None, seed: int = 2026) -> int:
    """Referrals from finalised demo plans, stopped at every state of the lifecycle."""
    from datetime import timedelta

    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.core.time import local_today
    from casework.plans.models import Plan
    from casework.referrals import operations as referrals

    rng = random.Random(seed)
    step = progress or (lambda _label: None)
    advisors = {
        u.region_id: u
        for u in db.session.scalars(select(User).where(User.role == "advisor").order_by(User.id))
    }
    partners = {
        u.organisation_id: u
        for u in db.session.scalars(select(User).where(User.role == "partner").order_by(User.id))
    }
    finals = db.session.scalars(
        select(Plan).where(Plan.status == "final").order_by(Plan.case_id)
    ).all()
    created = partner_referrals = 0
    for plan in finals:
        case = db.session.get(Case, plan.case_id)
        agent = db.session.get(User, case.agent_id)
        action = next((a for a in plan.actions if a.service in referrals.REFERRABLE_SERVICES), None)
        if action is None or rng.random() < 0.25:
            continue
        suggestions = [s for s in referrals.suggest(case, action) if s.serves_region]
        if not suggestions:
            continue
        organisation = suggestions[0].organisation
        referral = referrals.create(
            agent,
            case,
            action,
            organisation,
            None,
            interest=rng.choice(("high", "medium", "low")),
            availability=rng.choice(DEMO_AVAILABILITIES),
        )
        if organisation.id in partners:
            stop = PARTNER_STOPS[partner_referrals % len(PARTNER_STOPS)]
            partner_referrals += 1
        else:
            stop = DEMO_REFERRAL_STOPS[created % len(DEMO_REFERRAL_STOPS)]
        _advance(
            referrals,
            cases,
            referral,
            stop,
            agent,
            advisors.get(case.region_id),
            partners.get(organisation.id),
            local_today() - timedelta(days=30),
        )
        created += 1
    db.session.commit()
    step(f"références de démonstration : {created}")
    return created


def _advance(referrals, cases, referral, stop, agent, advisor, partner, consent_day) -> None:
    """Walk ``referral`` to ``stop`` as its actors would, as far as the demo has those actors."""

    def move(actor, to_status, comment=None, reason=None):
        referrals.move(actor, referral, to_status, comment, referral.version, reason)
        db.session.flush()

    if stop == "draft":
        return
    move(agent, "submitted")
    if stop == "submitted" or advisor is None:
        return
    if stop == "returned":
        move(advisor, "returned", "Préciser le besoin et les disponibilités de la personne.")
        return
    move(advisor, "approved")
    if stop == "approved":
        return
    purpose = referrals.consent_purpose(referral)
    if cases.current_consent(referral.case, purpose) is None:
        cases.record_consent(agent, referral.case, purpose, consent_day, "signed")
    move(agent, "sent")
    if partner is None:
        return
    for to_status in PARTNER_STEPS.get(stop, ()):
        comment = "Plus de place dans le groupe ce mois-ci." if to_status == "declined" else None
        reason = "unreachable" if to_status == "not_completed" else None
        move(partner, to_status, comment, reason)
