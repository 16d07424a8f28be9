"""Illustrative action plans and referrals for the demo cases, built through the service layer.

How far plans and referrals go, and the words written on them, come from seed/demo/plans.yaml.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from casework.assessments.models import Assessment
from casework.auth.models import User
from casework.cases.models import Case
from casework.demo.tables import read_tables, repeated
from casework.extensions import db
from casework.plans import operations as plans

# How a referral reaches each stop of a partner user: the organisation's answers, in order.
PARTNER_STEPS = {
    "accepted": ("accepted",),
    "declined": ("declined",),
    "completed": ("accepted", "completed"),
    "not_completed": ("accepted", "not_completed"),
}


@dataclass(frozen=True)
class PlanTables:
    """seed/demo/plans.yaml."""

    action_statuses: tuple[str, ...]
    abandon_reasons: tuple[str, ...]
    referral_availabilities: tuple[str, ...]
    referral_stops: tuple[str, ...]
    partner_stops: tuple[str, ...]
    comments: Mapping[str, str]  # returned (the advisor's), declined (the organisation's)
    note_share: float  # the share of referrals that carry the agent's note
    notes: Mapping[str, tuple[str, ...]]  # the agent's notes, by the action's service

    @classmethod
    def read(cls, seed_dir: str | None = None) -> PlanTables:
        tables = read_tables("plans", seed_dir)
        return cls(
            action_statuses=repeated(tables["action_statuses"]),
            abandon_reasons=tables["abandon_reasons"],
            referral_availabilities=tables["referral_availabilities"],
            referral_stops=tables["referral_stops"],
            partner_stops=tables["partner_stops"],
            comments={key: tables["comments"][key] for key in ("returned", "declined")},
            note_share=float(tables["referral_notes"]["share"]),
            notes={
                service: tuple(notes)
                for service, notes in tables["referral_notes"].items()
                if service != "share"
            },
        )

    def note_for(self, service: str, draw: random.Random, turn: int) -> str | None:
        """The agent's note for a referral of ``service``: one in ``note_share``, in turn."""
        notes = self.notes.get(service, ())
        if not notes or draw.random() >= self.note_share:
            return None
        return notes[turn % len(notes)]


def load_demo_plans(progress: Callable[[str], None] | None = None, seed: int = 2026) -> int:
    """A plan for most assessed open cases: finalised and followed up, some still in draft."""
    from casework.cases import operations as cases
    from casework.core.time import local_today

    rng = random.Random(seed)
    tables = PlanTables.read()
    step = progress or (lambda _label: None)
    assessed = db.session.scalars(
        select(Case)
        .where(
            Case.status.in_(("active", "on_hold", "closed")),
            Case.id.in_(select(Assessment.case_id).where(Assessment.status == "completed")),
        )
        .order_by(Case.id)
    ).all()
    # The actions for household members (issue 19) draw from their own generator, so that the
    # rest of the demo (which plans are followed how, then the referrals) draws as before.
    member_rng = random.Random(f"{seed}:members")
    member_labels = tuple(
        rule.member_action.label.split("{member}")[0]
        for rule in plans.rules().rules.values()
        if rule.member_action is not None
    )
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
            draw = member_rng if action.label.startswith(member_labels) else rng
            status = draw.choice(tables.action_statuses)
            # Done « avec le consentement de la personne »: the consent comes first.
            needed = action.consent_purpose if status == "done" else None
            if needed and cases.current_consent(case, needed) is None:
                cases.record_consent(agent, case, needed, local_today(), "signed")
            if status != "todo":
                reason = draw.choice(tables.abandon_reasons) if status == "abandoned" else None
                plans.set_action_status(agent, case, plan, action.id, status, reason)
        created += 1
    db.session.commit()
    step(f"plans d'action de démonstration : {created}")
    return created


def load_demo_referrals(progress: Callable[[str], None] | None = None, seed: int = 2026) -> int:
    """Referrals from finalised demo plans, stopped at every state of the lifecycle."""
    from datetime import timedelta

    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.core.time import local_today
    from casework.plans.models import Plan
    from casework.referrals import operations as referrals

    rng = random.Random(seed)
    tables = PlanTables.read()
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
    # A draw of its own, so that the notes change nothing of the referrals' other draws.
    notes = random.Random(seed + 1)
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
            availability=rng.choice(tables.referral_availabilities),
            note=tables.note_for(action.service, notes, created),
        )
        if organisation.id in partners:
            stop = tables.partner_stops[partner_referrals % len(tables.partner_stops)]
            partner_referrals += 1
        else:
            stop = tables.referral_stops[created % len(tables.referral_stops)]
        _advance(
            referrals,
            cases,
            tables,
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


def _advance(
    referrals, cases, tables, referral, stop, agent, advisor, partner, consent_day
) -> None:
    """Walk ``referral`` to ``stop`` as its actors would, as far as the demo has those actors."""

    def move(actor, to_status, comment=None, reason=None):
        outcome = _demo_outcome(referral, consent_day) if to_status == "completed" else None
        referrals.move(
            actor, referral, to_status, comment, referral.version, reason, outcome=outcome
        )
        db.session.flush()

    if stop == "draft":
        return
    move(agent, "submitted")
    if stop == "submitted" or advisor is None:
        return
    if stop == "returned":
        move(advisor, "returned", tables.comments["returned"])
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
        comment = tables.comments["declined"] if to_status == "declined" else None
        reason = "unreachable" if to_status == "not_completed" else None
        move(partner, to_status, comment, reason)


# What a completed demo referral led to, by its family (illustrative): the organisation reports
# it on completion; the demo's 6-month follow-ups confirm it (demo.followups).
DEMO_OUTCOMES = {
    "francisation": {"kind": "enrolled", "course_format": "part_time"},
    "requalification": {"kind": "training_started"},
    "employment": {"kind": "job_obtained", "cnp": "4032", "cnp_version": "2016"},
}


def _demo_outcome(referral, day):
    from casework.referrals import outcomes

    family = outcomes.family_of(referral)
    if family is None:
        return None
    return outcomes.OutcomeValues(occurred_on=day, **DEMO_OUTCOMES[family])


# Plans are finalised as the demo loads, before its calendar exists; the story wants each one
# finalised in the weeks after the person's first interview. Its own stream: nothing else moves.
PLAN_DATES_SEED = 23


def date_plans_after_first_interviews() -> int:
    """Each finalised plan dated 5 to 21 days after its case's first appointment held (never
    after now); plans of cases with no appointment held keep their date. Returns how many."""
    from datetime import timedelta

    from sqlalchemy import func

    from casework.appointments.models import Appointment
    from casework.core.time import utcnow
    from casework.plans.models import Plan

    rng = random.Random(PLAN_DATES_SEED)
    first_held = (
        select(Appointment.case_id, func.min(Appointment.starts_at).label("at"))
        .where(Appointment.status == "done")
        .group_by(Appointment.case_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Plan, first_held.c.at)
        .join(first_held, first_held.c.case_id == Plan.case_id)
        .where(Plan.finalised_at.is_not(None))
        .order_by(Plan.id)
    ).all()
    now = utcnow()
    for plan, held_at in rows:
        later = timedelta(days=rng.randint(5, 21), hours=rng.randint(0, 8))
        plan.finalised_at = min(now, held_at + later)
    db.session.flush()
    return len(rows)
