"""What a completed referral led to (issue 19, point 4): the partner reports it when marking the
referral completed; a follow-up confirms or corrects it later. Rows are never changed: the
history of a (referral, kind) is its rows in order, the last one stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.core import audit
from casework.core.domain import Checks, DomainError
from casework.core.time import local_today
from casework.extensions import db
from casework.plans.models import PlanAction
from casework.reference import occupations
from casework.reference.models import Domain, Need
from casework.referrals.models import OUTCOME_KINDS, Referral, ReferralOutcome

OUTCOME_LABELS = {
    "enrolled": _l("Enrolled in a French course"),
    "training_started": _l("Training started"),
    "training_finished": _l("Training finished"),
    "job_obtained": _l("Job obtained"),
}
VERDICT_LABELS = {
    "reported": _l("reported by the organisation"),
    "confirmed": _l("confirmed at a follow-up"),
    "corrected": _l("corrected at a follow-up"),
}
# Francisation course formats (DESIGN.md §3: full time, part time, online, distance multi-site
# classes, workplace courses); the follow-up's French domain uses the same list.
COURSE_FORMATS = {
    "full_time": _l("In class, full time"),
    "part_time": _l("In class, part time"),
    "online": _l("Online"),
    "distance": _l("Distance class (several sites)"),
    "workplace": _l("At the workplace"),
}
CNP_VERSIONS = occupations.CNP_VERSIONS


class OutcomeError(DomainError):
    """An outcome that cannot be recorded (nothing is stored)."""


@dataclass
class OutcomeValues:
    kind: str
    happened: bool = True
    occurred_on: date | None = None
    course_format: str | None = None
    cnp: str | None = None
    cnp_version: str | None = None


def family_of(referral: Referral) -> str | None:
    """The outcome family of a referral: requalification (the MTESS referral of Encadré 8),
    francisation or employment (by the need its plan action answers), or None."""
    if referral.kind == "requalification":
        return "requalification"
    if referral.organisation is not None and referral.organisation.code == "francisation_quebec":
        return "francisation"
    if referral.plan_action_id is None:
        return None
    code = db.session.scalar(
        select(Domain.code)
        .join(Need, Need.domain_id == Domain.id)
        .join(PlanAction, PlanAction.need_id == Need.id)
        .where(PlanAction.id == referral.plan_action_id)
    )
    return code if code in ("francisation", "employment") else None


def validate(family: str, values: OutcomeValues, prefix: str = "outcome_") -> None:
    checks = Checks(OutcomeError)
    checks.require(
        values.kind in OUTCOME_KINDS.get(family, ()), _l("Not a valid choice."), prefix + "kind"
    )
    checks.require(
        values.occurred_on is None or values.occurred_on <= local_today(),
        _l("The date cannot be in the future."),
        prefix + "occurred_on",
    )
    if values.happened and values.kind == "enrolled":
        checks.require(
            values.course_format in COURSE_FORMATS,
            _l("Choose the course format."),
            prefix + "course_format",
        )
    if values.happened and values.kind == "job_obtained":
        checks.require(bool(values.cnp), _l("Give the CNP code of the job."), prefix + "cnp")
        occupations.check_cnp(checks, values.cnp, values.cnp_version, prefix + "cnp")
    checks.done()


def record(
    actor: Any,
    referral: Referral,
    values: OutcomeValues,
    source: str,
    verdict: str = "reported",
    follow_up_id: int | None = None,
) -> ReferralOutcome:
    family = family_of(referral)
    if family is None:
        raise OutcomeError(_l("This referral has no outcome to record."))
    validate(family, values)
    outcome = ReferralOutcome(
        referral_id=referral.id,
        case_id=referral.case_id,
        kind=values.kind,
        happened=values.happened,
        occurred_on=values.occurred_on,
        course_format=values.course_format if values.kind == "enrolled" else None,
        cnp=values.cnp if values.kind == "job_obtained" else None,
        cnp_version=values.cnp_version if values.kind == "job_obtained" and values.cnp else None,
        source=source,
        verdict=verdict,
        follow_up_id=follow_up_id,
        recorded_by_id=actor.id,
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record(
        actor,
        f"referral.outcome_{verdict}",
        referral.case,
        referral_id=referral.id,
        kind=values.kind,
    )
    return outcome


def outcomes_of_case(case_id: int) -> list[ReferralOutcome]:
    """Every outcome of the case's referrals, oldest first (one query)."""
    return list(
        db.session.scalars(
            select(ReferralOutcome)
            .where(ReferralOutcome.case_id == case_id)
            .order_by(ReferralOutcome.id)
        )
    )


def outcomes_of_referral(referral_id: int) -> list[ReferralOutcome]:
    return list(
        db.session.scalars(
            select(ReferralOutcome)
            .where(ReferralOutcome.referral_id == referral_id)
            .order_by(ReferralOutcome.id)
        )
    )


def standing(outcomes: list[ReferralOutcome]) -> dict[tuple[int, str], ReferralOutcome]:
    """The outcome that stands per (referral, kind): the last recorded."""
    return {(o.referral_id, o.kind): o for o in outcomes}
