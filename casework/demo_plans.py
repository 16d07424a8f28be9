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
