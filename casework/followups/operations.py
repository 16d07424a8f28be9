"""Service layer for follow-up interviews: record one (append-only), the latest known
situation, the history, and what a follow-up may judge (plan objectives, referral outcomes)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from casework.cases import choices
from casework.cases.models import Case
from casework.core import audit
from casework.core.domain import Checks, DomainError
from casework.core.events import emit
from casework.core.time import local_today, utc_to_local, utcnow
from casework.extensions import db
from casework.followups import cmm
from casework.followups.events import FollowUpRecorded
from casework.followups.models import (
    CHILDREN_STATUSES,
    DOMAINS,
    EMPLOYMENT_STATUSES,
    FRENCH_FORMATS,
    HOUSING_STATUSES,
    INTEGRATION_STATUSES,
    MILESTONES,
    OBJECTIVE_VERDICTS,
    FollowUp,
    FollowUpSituation,
    ObjectiveReview,
)
from casework.plans.models import PlanAction
from casework.plans.operations import latest_final
from casework.reference import occupations
from casework.reference.models import Region
from casework.referrals import outcomes
from casework.referrals.models import Referral, ReferralOutcome

NOTES_MAX = 5_000
PROVIDER_MAX = 200
MUNICIPALITY_MAX = 120

DOMAIN_LABELS = {
    "housing": _l("Housing"),
    "french": _l("French"),
    "employment": _l("Employment"),
    "residence": _l("Place of residence"),
    "children": _l("Children"),
    "integration": _l("Objectif Intégration"),
    "immigration": _l("Immigration status"),
}
MILESTONE_LABELS = {m: _l("%(n)d months after arrival", n=m) for m in MILESTONES}
HOUSING_LABELS = {
    "stable": _l("Stable"),
    "temporary": _l("Temporary"),
    "at_risk": _l("At risk"),
}
EMPLOYMENT_LABELS = choices.EMPLOYMENT_STATUSES
CHILDREN_LABELS = {
    "all_in_school_or_daycare": _l("All in school or daycare"),
    "some": _l("Some in school or daycare"),
    "none": _l("None in school or daycare"),
    "waiting_list": _l("On a waiting list"),
}
INTEGRATION_LABELS = {
    "attestation_obtained": _l("Attestation obtained"),
    "session_enrolled": _l("Enrolled in the session"),
    "not_started": _l("Not started"),
}
VERDICT_LABELS = {
    "met": _l("Met"),
    "partly_met": _l("Partly met"),
    "not_met": _l("Not met"),
}


class FollowUpError(DomainError):
    """A follow-up that cannot be recorded: nothing is stored."""


@dataclass
class Situation:
    """One domain's values as typed; only the fields of that domain are read."""

    housing_status: str | None = None
    french_enrolled: bool | None = None
    french_level: int | None = None
    french_provider: str | None = None
    french_format: str | None = None
    employment_status: str | None = None
    employment_cnp: str | None = None
    employment_cnp_version: str | None = None
    region_id: int | None = None
    municipality: str | None = None
    children_status: str | None = None
    integration_status: str | None = None
    integration_attested_on: date | None = None
    permanent_resident: bool | None = None
    permanent_residence_on: date | None = None
    note: str | None = None


# The columns each domain records.
DOMAIN_FIELDS = {
    "housing": ("housing_status",),
    "french": ("french_enrolled", "french_level", "french_provider", "french_format"),
    "employment": ("employment_status", "employment_cnp", "employment_cnp_version"),
    "residence": ("region_id", "municipality"),
    "children": ("children_status",),
    "integration": ("integration_status", "integration_attested_on"),
    "immigration": ("permanent_resident", "permanent_residence_on"),
}


@dataclass
class OutcomeCheck:
    """What a follow-up found of a referral's outcome: it confirms the standing outcome when
    it says the same, it corrects it otherwise (or states it first)."""

    referral_id: int
    values: outcomes.OutcomeValues


@dataclass
class FollowUpValues:
    held_on: date | None
    milestone: int | None = None
    mode: str | None = None
    interpreter_language: str | None = None
    interpretation_pilot: bool = False
    notes: str | None = None
    reminder_id: int | None = None
    situations: dict[str, Situation] = field(default_factory=dict)  # domain → values
    reviews: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # action → verdict
    outcome_checks: list[OutcomeCheck] = field(default_factory=list)


# --- Reading ----------------------------------------------------------------------------------


def latest_situation(case_id: int) -> dict[str, FollowUpSituation]:
    """The last known situation, per domain (one query)."""
    newest = (
        select(FollowUpSituation.domain, func.max(FollowUpSituation.id).label("id"))
        .where(FollowUpSituation.case_id == case_id)
        .group_by(FollowUpSituation.domain)
        .subquery()
    )
    rows = db.session.scalars(
        select(FollowUpSituation)
        .options(selectinload(FollowUpSituation.region))
        .join(newest, newest.c.id == FollowUpSituation.id)
    )
    return {row.domain: row for row in rows}


def history(case_id: int) -> list[FollowUp]:
    """Every follow-up of the case, newest first, with what each recorded (three queries)."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .options(
                selectinload(FollowUp.situations).selectinload(FollowUpSituation.region),
                selectinload(FollowUp.reviews),
                selectinload(FollowUp.agent),
            )
            .where(FollowUp.case_id == case_id)
            .order_by(FollowUp.held_on.desc(), FollowUp.id.desc())
        )
    )


def last_follow_up(case_id: int) -> FollowUp | None:
    return db.session.scalar(
        select(FollowUp)
        .where(FollowUp.case_id == case_id)
        .order_by(FollowUp.held_on.desc(), FollowUp.id.desc())
        .limit(1)
    )


def months_between(start: date | None, end: date) -> int | None:
    """Whole months from ``start`` to ``end`` (a month is reached on the same day number)."""
    if start is None:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def suggested_milestone(case: Case, held_on: date) -> int | None:
    """The milestone a follow-up held on ``held_on`` is closest to, within six weeks, if
    the case has none recorded at it yet."""
    arrival = case.person.arrival_date
    if arrival is None:
        return None
    done = set(
        db.session.scalars(
            select(FollowUp.milestone).where(
                FollowUp.case_id == case.id, FollowUp.milestone.is_not(None)
            )
        )
    )
    days = (held_on - arrival).days
    for milestone in MILESTONES:
        if milestone not in done and abs(days - milestone * 30.44) <= 45:
            return milestone
    return None


@dataclass
class ObjectiveGroup:
    """The followed plan's actions that share one objective (several actions often serve the
    same one): judged once, recorded for each; ``review`` is the latest judgement of any."""

    objective: str
    actions: list[PlanAction]
    review: ObjectiveReview | None = None

    @property
    def key(self) -> int:
        return self.actions[0].id


def objectives(case: Case) -> list[ObjectiveGroup]:
    """The followed plan's objectives, in the plan's order, with their latest judgement."""
    plan = latest_final(case)
    if plan is None:
        return []
    latest_reviews: dict[int, ObjectiveReview] = {}
    for review in db.session.scalars(
        select(ObjectiveReview)
        .where(ObjectiveReview.case_id == case.id, ObjectiveReview.plan_action_id.is_not(None))
        .order_by(ObjectiveReview.id)
    ):
        latest_reviews[review.plan_action_id] = review
    groups: dict[str, ObjectiveGroup] = {}
    for action in plan.actions:
        group = groups.setdefault(action.objective, ObjectiveGroup(action.objective, []))
        group.actions.append(action)
        review = latest_reviews.get(action.id)
        if review is not None and (group.review is None or review.id > group.review.id):
            group.review = review
    return list(groups.values())


def referrals_with_outcomes(case: Case) -> list[tuple[Referral, str, list[ReferralOutcome]]]:
    """The case's completed referrals that have an outcome family, each with its outcomes'
    history (what a follow-up may confirm or correct)."""
    referrals = list(
        db.session.scalars(
            select(Referral)
            .options(selectinload(Referral.organisation))
            .where(Referral.case_id == case.id, Referral.status == "completed")
            .order_by(Referral.id)
        )
    )
    history_by_referral: dict[int, list[ReferralOutcome]] = {}
    for outcome in outcomes.outcomes_of_case(case.id):
        history_by_referral.setdefault(outcome.referral_id, []).append(outcome)
    found = []
    for referral in referrals:
        family = outcomes.family_of(referral)
        if family is not None:
            found.append((referral, family, history_by_referral.get(referral.id, [])))
    return found


def opened_on(case: Case) -> date:
    return utc_to_local(case.opened_at).date()


# --- Recording --------------------------------------------------------------------------------


def _validate(case: Case, values: FollowUpValues, region_codes: dict[int, str]) -> None:
    checks = Checks(FollowUpError)
    today = local_today()
    if checks.require(values.held_on is not None, _l("Give the date of the follow-up."), "held_on"):
        checks.require(
            values.held_on <= today,
            _l("The follow-up cannot be dated in the future."),
            "held_on",
        )
        checks.require(
            values.held_on >= opened_on(case),
            _l(
                "The follow-up cannot be dated before the case was opened (%(date)s).",
                date=opened_on(case).isoformat(),
            ),
            "held_on",
        )
    checks.require(
        values.milestone is None or values.milestone in MILESTONES,
        _l("Not a valid choice."),
        "milestone",
    )
    checks.require(
        values.mode is None or values.mode in choices.MODES, _l("Not a valid choice."), "mode"
    )
    checks.require(
        values.interpreter_language is None or choices.is_language(values.interpreter_language),
        _l("Not a valid choice."),
        "interpreter_language",
    )
    checks.require(
        values.notes is None or len(values.notes) <= NOTES_MAX,
        _l("At most %(max)d characters.", max=NOTES_MAX),
        "notes",
    )
    checks.require(set(values.situations) <= set(DOMAINS), _l("Unknown domain."), "situations")
    checks.require(
        bool(values.situations) or bool(values.reviews) or bool(values.outcome_checks),
        _l("Record the situation in at least one domain."),
        "situations",
    )
    _validate_situations(checks, values.situations, region_codes, values.held_on or today)
    for action_id, (verdict, comment) in values.reviews.items():
        checks.require(
            verdict in OBJECTIVE_VERDICTS, _l("Not a valid choice."), f"objective_{action_id}"
        )
        checks.require(
            comment is None or len(comment) <= 2000,
            _l("At most %(max)d characters.", max=2000),
            f"objective_{action_id}_comment",
        )
    checks.done()


def _validate_situations(
    checks: Checks, situations: dict[str, Situation], region_codes: dict[int, str], held_on: date
) -> None:
    def choice(value: Any, allowed: Any, name: str) -> None:
        checks.require(value is None or value in allowed, _l("Not a valid choice."), name)

    housing = situations.get("housing")
    if housing:
        checks.require(
            housing.housing_status, _l("Choose the housing situation."), "housing_status"
        )
        choice(housing.housing_status, HOUSING_STATUSES, "housing_status")
    french = situations.get("french")
    if french:
        checks.require(
            french.french_level is None or 1 <= french.french_level <= 12,
            _l("A level on the Québec scale goes from 1 to 12."),
            "french_level",
        )
        choice(french.french_format, FRENCH_FORMATS, "french_format")
        checks.require(
            french.french_provider is None or len(french.french_provider) <= PROVIDER_MAX,
            _l("At most %(max)d characters.", max=PROVIDER_MAX),
            "french_provider",
        )
        if french.french_enrolled:
            checks.require(french.french_format, _l("Choose the course format."), "french_format")
    employment = situations.get("employment")
    if employment:
        checks.require(
            employment.employment_status,
            _l("Choose the employment situation."),
            "employment_status",
        )
        choice(employment.employment_status, EMPLOYMENT_STATUSES, "employment_status")
        occupations.check_cnp(
            checks, employment.employment_cnp, employment.employment_cnp_version, "employment_cnp"
        )
    residence = situations.get("residence")
    if residence:
        checks.require(residence.region_id in region_codes, _l("Choose the region."), "region_id")
        checks.require(bool(residence.municipality), _l("Give the municipality."), "municipality")
        checks.require(
            residence.municipality is None or len(residence.municipality) <= MUNICIPALITY_MAX,
            _l("At most %(max)d characters.", max=MUNICIPALITY_MAX),
            "municipality",
        )
    children = situations.get("children")
    if children:
        choice(children.children_status, CHILDREN_STATUSES, "children_status")
    integration = situations.get("integration")
    if integration:
        choice(integration.integration_status, INTEGRATION_STATUSES, "integration_status")
        checks.require(
            integration.integration_attested_on is None
            or integration.integration_attested_on <= held_on,
            _l("The date cannot be after the follow-up."),
            "integration_attested_on",
        )
    immigration = situations.get("immigration")
    if immigration:
        checks.require(
            immigration.permanent_residence_on is None
            or immigration.permanent_residence_on <= held_on,
            _l("The date cannot be after the follow-up."),
            "permanent_residence_on",
        )
        checks.require(
            not immigration.permanent_resident or immigration.permanent_residence_on is not None,
            _l("Give the date permanent residence was obtained."),
            "permanent_residence_on",
        )


OUTCOME_FIELD_SUFFIX = {
    "occurred_on": "_on",
    "course_format": "_format",
    "cnp": "_cnp",
    "cnp_version": "_cnp_version",
}


def check(case: Case, values: FollowUpValues) -> tuple[dict, dict, dict]:
    """Every check of ``record``, with nothing stored: the form runs it to show every error at
    once. Returns what ``record`` needs (region codes, referrals, plan actions)."""
    # A closed case may still be followed (what became of the person); an anonymised one has
    # no person left to follow.
    if case.anonymised_at is not None:
        raise FollowUpError(_l("This case was anonymised: no follow-up can be recorded."))
    region_codes = {row.id: row.code for row in db.session.execute(select(Region.id, Region.code))}
    found = Checks(FollowUpError)
    try:
        _validate(case, values, region_codes)
    except FollowUpError as error:
        found.found.extend(error.errors)
    referrals = {r.id: (r, family) for r, family, _h in referrals_with_outcomes(case)}
    standing = outcomes.standing(outcomes.outcomes_of_case(case.id))
    for outcome_check in values.outcome_checks:
        prefix = f"out_{outcome_check.referral_id}"
        if outcome_check.referral_id not in referrals:
            found.require(False, _l("Not a valid choice."), prefix)
            continue
        before = standing.get((outcome_check.referral_id, outcome_check.values.kind))
        if before is not None and before.happened and outcome_check.values.happened:
            # What the agent leaves blank is what was said before.
            for name in ("occurred_on", "course_format", "cnp", "cnp_version"):
                if getattr(outcome_check.values, name) is None:
                    setattr(outcome_check.values, name, getattr(before, name))
        try:
            outcomes.validate(referrals[outcome_check.referral_id][1], outcome_check.values)
        except outcomes.OutcomeError as error:
            for name, message in error.errors:
                name = (name or "").removeprefix("outcome_")
                suffix = OUTCOME_FIELD_SUFFIX.get(name, "_" + outcome_check.values.kind)
                if name == "occurred_on":
                    suffix = f"_{outcome_check.values.kind}_on"
                found.require(False, message, prefix + suffix)
    actions = {action.id: action for group in objectives(case) for action in group.actions}
    found.require(set(values.reviews) <= set(actions), _l("Unknown objective."), "objectives")
    found.done()
    return region_codes, referrals, actions


# A second post of the same form (a double click, a reload that resends) within this time is
# the same interview, not a new one.
RESUBMIT_WINDOW = timedelta(minutes=10)


def _just_recorded(actor: Any, case: Case, values: FollowUpValues) -> bool:
    """Whether the same agent recorded this very interview (same date, milestone, notes and
    situation) a moment ago: the form posted twice."""
    recent = db.session.scalar(
        select(FollowUp)
        .where(
            FollowUp.case_id == case.id,
            FollowUp.agent_id == actor.id,
            FollowUp.held_on == values.held_on,
            FollowUp.created_at >= utcnow() - RESUBMIT_WINDOW,
        )
        .order_by(FollowUp.id.desc())
        .limit(1)
    )
    if recent is None or (recent.milestone, recent.notes or None) != (
        values.milestone,
        values.notes or None,
    ):
        return False
    stored = {row.domain: row for row in recent.situations}
    if set(stored) != set(values.situations) or any(
        getattr(stored[domain], name) != getattr(situation, name)
        for domain, situation in values.situations.items()
        for name in DOMAIN_FIELDS[domain]
    ):
        return False
    judged = {review.plan_action_id: review.verdict for review in recent.reviews}
    if judged != {action_id: verdict for action_id, (verdict, _c) in values.reviews.items()}:
        return False
    said = (ReferralOutcome.kind, ReferralOutcome.happened, ReferralOutcome.course_format)
    checked = db.session.execute(
        select(ReferralOutcome.referral_id, *said, ReferralOutcome.cnp).where(
            ReferralOutcome.follow_up_id == recent.id
        )
    ).all()
    return set(checked) == {
        (
            check.referral_id,
            check.values.kind,
            check.values.happened,
            check.values.course_format,
            check.values.cnp,
        )
        for check in values.outcome_checks
    }


def record(actor: Any, case: Case, values: FollowUpValues) -> FollowUp:
    """Record a follow-up and what it observed; every check runs before anything is stored.
    Nothing earlier is changed: the situation is new rows, judgements are new rows, an
    outcome confirmed or corrected is a new outcome row naming this follow-up."""
    region_codes, referrals, actions = check(case, values)
    held_on = values.held_on
    assert held_on is not None
    if _just_recorded(actor, case, values):
        raise FollowUpError(_l("This follow-up was just recorded: see the case's follow-ups."))
    follow_up = FollowUp(
        case_id=case.id,
        held_on=held_on,
        milestone=values.milestone,
        months_since_arrival=months_between(case.person.arrival_date, held_on),
        agent_id=actor.id,
        region_id=case.region_id,
        mode=values.mode,
        interpreter_language=values.interpreter_language,
        interpretation_pilot=values.interpretation_pilot,
        reminder_id=values.reminder_id,
        notes=values.notes,
    )
    for domain in DOMAINS:
        typed = values.situations.get(domain)
        if typed is None:
            continue
        row = FollowUpSituation(
            case_id=case.id, domain=domain, observed_on=held_on, milestone=values.milestone
        )
        for name in DOMAIN_FIELDS[domain]:
            setattr(row, name, getattr(typed, name))
        row.note = typed.note
        if domain == "employment" and not typed.employment_cnp:
            row.employment_cnp_version = None
        if domain == "residence":
            row.in_montreal_cmm = cmm.in_montreal_cmm(
                region_codes.get(typed.region_id), typed.municipality
            )
        follow_up.situations.append(row)
    for action_id, (verdict, comment) in values.reviews.items():
        follow_up.reviews.append(
            ObjectiveReview(
                case_id=case.id,
                plan_action_id=action_id,
                objective=actions[action_id].objective,
                verdict=verdict,
                comment=comment,
            )
        )
    db.session.add(follow_up)
    db.session.flush()
    standing = outcomes.standing(outcomes.outcomes_of_case(case.id))
    for finding in values.outcome_checks:
        referral = referrals[finding.referral_id][0]
        before = standing.get((referral.id, finding.values.kind))
        verdict = "confirmed" if _same(before, finding.values) else "corrected"
        outcomes.record(actor, referral, finding.values, "follow_up", verdict, follow_up.id)
    audit.record(
        actor,
        "follow_up.recorded",
        case,
        follow_up_id=follow_up.id,
        domains=sorted(values.situations),
        objectives=len(values.reviews),
    )
    emit(
        FollowUpRecorded(
            case_id=case.id,
            follow_up_id=follow_up.id,
            held_on=held_on,
            milestone=values.milestone,
            reminder_id=values.reminder_id,
            agent_id=actor.id,
        )
    )
    return follow_up


def _same(before: ReferralOutcome | None, found: outcomes.OutcomeValues) -> bool:
    """Whether a follow-up's finding says what the standing outcome said (``check`` filled
    what the agent left blank from it)."""
    if before is None or before.happened != found.happened:
        return False
    return all(
        getattr(found, name) == getattr(before, name)
        for name in ("occurred_on", "course_format", "cnp", "cnp_version")
    )


def situation_from(row: FollowUpSituation | None) -> Situation:
    """A stored row as form values (the pre-fill of the next follow-up)."""
    if row is None:
        return Situation()
    return Situation(**{f.name: getattr(row, f.name) for f in fields(Situation)})


def anonymise_cases(case_ids: list[int]) -> dict[str, int]:
    """An anonymised case keeps its follow-ups for the statistics, without their free text
    (notes, where the person studies French, comments on objectives)."""
    if not case_ids:
        return {}
    notes = db.session.execute(
        update(FollowUp).where(FollowUp.case_id.in_(case_ids)).values(notes=None)
    ).rowcount
    situations = db.session.execute(
        update(FollowUpSituation)
        .where(FollowUpSituation.case_id.in_(case_ids))
        .values(note=None, french_provider=None)
    ).rowcount
    reviews = db.session.execute(
        update(ObjectiveReview).where(ObjectiveReview.case_id.in_(case_ids)).values(comment=None)
    ).rowcount
    return {"follow_ups": notes, "follow_up_situations": situations, "objective_reviews": reviews}


# --- The case's timeline -----------------------------------------------------------------------

# What a timeline line says of a domain that changed (short, after « Follow-up at 6 months: »).
HOUSING_CHANGES = {
    "stable": _l("stable housing"),
    "temporary": _l("temporary housing"),
    "at_risk": _l("housing at risk"),
}
EMPLOYMENT_CHANGES = {
    "employed_in_field": _l("employed in their field"),
    "employed_outside_field": _l("employed outside their field"),
    "requalification": _l("in requalification"),
    "looking_for_work": _l("looking for work"),
    "studying": _l("studying"),
    "not_in_labour_force": _l("not in the labour force"),
}
CHILDREN_CHANGES = {
    "all_in_school_or_daycare": _l("children in school or daycare"),
    "some": _l("some children in school or daycare"),
    "none": _l("children not in school or daycare"),
    "waiting_list": _l("children on a waiting list"),
}
INTEGRATION_CHANGES = {
    "attestation_obtained": _l("Objectif Intégration attestation obtained"),
    "session_enrolled": _l("enrolled in Objectif Intégration"),
    "not_started": _l("Objectif Intégration not started"),
}


def change_phrase(row: FollowUpSituation) -> str:
    """A domain's situation in a few words, for the timeline (« employed in their field »)."""
    if row.domain == "housing":
        return str(HOUSING_CHANGES.get(row.housing_status or "", _l("housing")))
    if row.domain == "french":
        if row.french_level:
            return _("French level %(n)d", n=row.french_level)
        if row.french_enrolled:
            return _("enrolled in French courses")
        return _("not enrolled in French courses")
    if row.domain == "employment":
        words = str(EMPLOYMENT_CHANGES.get(row.employment_status or "", _l("employment")))
        if row.employment_cnp:
            words += " " + _("(CNP %(code)s)", code=row.employment_cnp)
        return words
    if row.domain == "residence":
        return _("lives in %(municipality)s", municipality=row.municipality or "—")
    if row.domain == "children":
        return str(CHILDREN_CHANGES.get(row.children_status or "", _l("children")))
    if row.domain == "integration":
        return str(
            INTEGRATION_CHANGES.get(row.integration_status or "", _l("Objectif Intégration"))
        )
    if row.permanent_resident:
        return _("permanent resident")
    return _("not yet a permanent resident")


def _said(row: FollowUpSituation) -> tuple:
    return tuple(getattr(row, name) for name in DOMAIN_FIELDS[row.domain])


@dataclass(frozen=True)
class FollowUpLine:
    """One follow-up as the timeline tells it: what changed since the one before."""

    follow_up: FollowUp
    title: str
    detail: str


def with_situations(case_id: int) -> list[FollowUp]:
    """Every follow-up of the case with what it recorded, oldest first (one query). The case
    page reads it once per request for its situation section and its timeline."""
    cache = getattr(request, "_casework_follow_ups", None) if has_request_context() else None
    if cache is not None and case_id in cache:
        return cache[case_id]
    found = list(
        db.session.scalars(
            select(FollowUp)
            .options(
                joinedload(FollowUp.situations).joinedload(FollowUpSituation.region),
                joinedload(FollowUp.agent),
            )
            .where(FollowUp.case_id == case_id)
            .order_by(FollowUp.held_on, FollowUp.id)
        ).unique()
    )
    if has_request_context():
        if cache is None:
            cache = request._casework_follow_ups = {}  # type: ignore[attr-defined]
        cache[case_id] = found
    return found


def situation_of(follow_ups: list[FollowUp]) -> dict[str, FollowUpSituation]:
    """``latest_situation`` from follow-ups already read (``with_situations``)."""
    latest: dict[str, FollowUpSituation] = {}
    for follow_up in follow_ups:
        for row in follow_up.situations:
            if row.domain not in latest or row.id > latest[row.domain].id:
                latest[row.domain] = row
    return latest


def timeline_lines(case_id: int) -> list[FollowUpLine]:
    """Each follow-up of the case named by what changed since the previous one, per domain
    (the first follow-up: everything it recorded), oldest first (``with_situations``)."""
    follow_ups = with_situations(case_id)
    before: dict[str, tuple] = {}
    lines = []
    for follow_up in follow_ups:
        changes = []
        for row in sorted(follow_up.situations, key=lambda r: DOMAINS.index(r.domain)):
            said = _said(row)
            if before.get(row.domain) != said:
                changes.append(change_phrase(row))
            before[row.domain] = said
        changed = ", ".join(changes) if changes else _("no change")
        if follow_up.milestone:
            title = _(
                "Follow-up at %(n)d months: %(changes)s", n=follow_up.milestone, changes=changed
            )
        else:
            title = _("Follow-up: %(changes)s", changes=changed)
        detail = " · ".join(
            part
            for part in (
                follow_up.agent.full_name if follow_up.agent else "",
                str(choices.MODES.get(follow_up.mode, "")) if follow_up.mode else "",
            )
            if part
        )
        lines.append(FollowUpLine(follow_up, title, detail))
    return lines


# The labels the pages show, in one mapping for the templates.
LABELS = {
    "domain_labels": DOMAIN_LABELS,
    "milestone_labels": MILESTONE_LABELS,
    "housing_labels": HOUSING_LABELS,
    "employment_labels": EMPLOYMENT_LABELS,
    "children_labels": CHILDREN_LABELS,
    "integration_labels": INTEGRATION_LABELS,
    "verdict_labels": VERDICT_LABELS,
    "course_formats": outcomes.COURSE_FORMATS,
    "outcome_labels": outcomes.OUTCOME_LABELS,
    "outcome_verdicts": outcomes.VERDICT_LABELS,
    "modes": choices.MODES,
}
