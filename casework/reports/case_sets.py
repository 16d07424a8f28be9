"""The sets of cases the action plan's indicators count (``reports.indicators``): each a
function ``(start, end) -> Select`` of case ids for a period of local days (both included).

The same function counts a figure (GROUP BY region, one query) and lists its cases in the
caseload (a ``cases.operations.Cohort``, registered in ``reports/listeners.py``).

The second half holds the indicators that read the follow-up interviews and the referral
outcomes (issue 19, points 1 and 4); their definitions are in docs/reports.md
(« Action plan indicators »). ``awaiting_follow_ups`` stays for an indicator declared before
its data exists: it returns ``None`` and the page marks it « available with the follow-ups ».
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from casework.appointments import operations as appointments
from casework.appointments.models import AirportBooking, Appointment
from casework.assessments.models import Assessment
from casework.cases.models import Case, Person
from casework.followups import cmm
from casework.followups.models import FollowUpSituation
from casework.reference.models import Occupation, Organisation, Region
from casework.referrals.models import Referral, ReferralOutcome
from casework.reports.models import DashboardCaseMilestones, IndicatorReferral, IndicatorSituation


def bounds(start: date, end: date) -> tuple[Any, Any]:
    """The period's local days as UTC instants [start, end)."""
    return appointments.local_day_bounds(start, end)


# --- Case sets available today --------------------------------------------------------------


def served(start: date, end: date) -> Select:
    """Cases with an appointment held in the period (measure B.2: persons served)."""
    low, high = bounds(start, end)
    return select(Appointment.case_id).where(
        Appointment.status == "done", Appointment.starts_at >= low, Appointment.starts_at < high
    )


def opened(start: date, end: date) -> Select:
    """Cases opened in the period."""
    low, high = bounds(start, end)
    return select(Case.id).where(Case.opened_at >= low, Case.opened_at < high)


# Each case's first appointment held and first plan finalised, with their local days, are kept
# with each change by the dashboard's aggregate (reports/aggregates.py).
Milestones = DashboardCaseMilestones


def _first(at: Any, on: Any, start: date, end: date) -> Any:
    """(case, its region, first instant, its local day) of the cases whose first is in the
    period."""
    low, high = bounds(start, end)
    return (
        select(Milestones.case_id, Milestones.region_id, at.label("at"), on.label("on"))
        .where(at >= low, at < high)
        .subquery()
    )


def _first_held(start: date, end: date) -> Any:
    """The cases whose first appointment held is in the period."""
    return _first(Milestones.first_held_at, Milestones.first_held_on, start, end)


def _first_plan(start: date, end: date) -> Any:
    """The cases whose first plan was finalised in the period."""
    return _first(Milestones.first_plan_at, Milestones.first_plan_on, start, end)


def since_arrival(first: Any) -> Select:
    """The cases of ``first`` whose first is after the arrival (services given from abroad,
    before arriving, are left out), joined to their person."""
    return (
        select(Case.id)
        .join(first, first.c.case_id == Case.id)
        .join(Person, Person.id == Case.person_id)
        .where(Person.arrival_date.is_not(None), Person.arrival_date <= first.c.at)
    )


def arrival_to_first_appointment(start: date, end: date) -> Select:
    """Cases whose first appointment held is in the period (with a known arrival before it)."""
    return since_arrival(_first_held(start, end))


def arrival_to_plan(start: date, end: date) -> Select:
    """Cases whose first plan was finalised in the period (with a known arrival before it)."""
    return since_arrival(_first_plan(start, end))


DELAY_SETS = {
    "arrival_to_first_appointment": _first_held,
    "arrival_to_plan": _first_plan,
}


# When each referral first left its draft, kept with each change (reports/aggregates.py).
LeftDraft = IndicatorReferral


def _referred(start: date, end: date, condition: Any) -> Select:
    """Cases with a referral matching ``condition`` that first left its draft in the period
    (submitted for review, or sent where no review is needed)."""
    low, high = bounds(start, end)
    return (
        select(LeftDraft.case_id)
        .join(Organisation, Organisation.id == LeftDraft.organisation_id)
        .where(LeftDraft.first_left_at >= low, LeftDraft.first_left_at < high, condition)
    )


FRANCISATION = Organisation.code == "francisation_quebec"
REQUALIFICATION = LeftDraft.kind == "requalification"


def francisation_referred(start: date, end: date) -> Select:
    """Cases referred to Francisation Québec in the period (measure B.3)."""
    return _referred(start, end, FRANCISATION)


def requalification_referred(start: date, end: date) -> Select:
    """Cases referred to MTESS for requalification in the period (Encadré 8: the referral of
    kind « requalification », made when the assessment records the person's interest)."""
    return _referred(start, end, REQUALIFICATION)


def pilot_interviews(start: date, end: date) -> Select:
    """Cases with a needs assessment interview held in the period under the remote
    interpretation pilot (measures 4.5.2, 7.6.3, 13.1.2)."""
    return select(Assessment.case_id).where(
        Assessment.interpretation_pilot.is_(True),
        Assessment.interview_date >= start,
        Assessment.interview_date <= end,
    )


def pilot_appointments(start: date, end: date) -> Select:
    """Cases with an appointment held in the period under the pilot."""
    low, high = bounds(start, end)
    return select(Appointment.case_id).where(
        Appointment.interpretation_pilot.is_(True),
        Appointment.status == "done",
        Appointment.starts_at >= low,
        Appointment.starts_at < high,
    )


def airport_booked(start: date, end: date) -> Select:
    """Cases whose first Accompagnement Québec appointment was booked at the airport counter
    in the period (measure 15.4.1: persons welcomed and offered an appointment)."""
    low, high = bounds(start, end)
    return (
        select(Appointment.case_id)
        .join(AirportBooking, AirportBooking.appointment_id == Appointment.id)
        .where(AirportBooking.booked_at >= low, AirportBooking.booked_at < high)
    )


def airport_booked_held(start: date, end: date) -> Select:
    """Of those, the cases whose airport appointment was held."""
    return airport_booked(start, end).where(Appointment.status == "done")


# --- Indicators that read the follow-ups and the referral outcomes (issue 19, points 1, 4) --


def awaiting_follow_ups(function: Callable[[date, date], Select | None]) -> Any:
    """Marks a case set declared before its data exists (it returns None): the page says
    « available with the follow-ups ». None is marked today."""
    function.awaiting_follow_ups = True  # type: ignore[attr-defined]
    return function


Situation = FollowUpSituation


# The situation at ``milestone`` months (followups.models' docstring): per case, the row of a
# domain with the greatest (observed_on, id) among the follow-ups of that milestone, kept with
# each follow-up recorded (reports/aggregates.py). A case counts in the period its standing
# row was observed in: a later correction moves it to the period of the correction.
Standing = IndicatorSituation


def standing_in(domain: str, milestone: int, start: date, end: date) -> Any:
    """The condition: a standing row of ``domain`` at ``milestone``, observed in the period."""
    return and_(
        Standing.domain == domain,
        Standing.milestone == milestone,
        Standing.observed_on >= start,
        Standing.observed_on <= end,
    )


Where = Callable[[Any], Any]  # a condition on the standing row (``IndicatorSituation``)


def _residence(milestone: int, start: date, end: date, where: Where | None = None) -> Select:
    statement = select(Standing.case_id).where(
        standing_in("residence", milestone, start, end), Standing.settled_region_id.is_not(None)
    )
    return statement if where is None else statement.where(where(Standing))


def _employment(milestone: int, start: date, end: date, where: Where | None = None) -> Select:
    statement = select(Standing.case_id).where(
        standing_in("employment", milestone, start, end), Standing.employment_status.is_not(None)
    )
    return statement if where is None else statement.where(where(Standing))


EMPLOYED = ("employed_in_field", "employed_outside_field")


def followed_at_6(start: date, end: date) -> Select:
    """Persons whose residence was recorded at their 6-month follow-up, observed in the period
    (the regionalisation rates' denominator; a follow-up that did not ask is left out)."""
    return _residence(6, start, end)


def settled_outside_cmm_6(start: date, end: date) -> Select:
    """Of those, living outside the Montréal metropolitan community (``in_montreal_cmm`` false,
    computed when recorded, followups/cmm.py)."""
    return _residence(6, start, end, lambda row: row.in_montreal_cmm.is_(False))


def followed_at_12(start: date, end: date) -> Select:
    return _residence(12, start, end)


def settled_outside_cmm_12(start: date, end: date) -> Select:
    return _residence(12, start, end, lambda row: row.in_montreal_cmm.is_(False))


def _variants(names: Any) -> list[str]:
    """A municipality's name as typed: as written, lower case, and lower case without accents
    (SQL's ``lower`` folds ASCII letters only)."""
    found = set()
    for name in names:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        found |= {name.lower(), plain.lower()}
    return sorted(found)


CMM_NAMES = _variants(name for names in cmm.MUNICIPALITIES.values() for name in names)


def destination_in_cmm() -> Any:
    """Whether the person's destination at arrival lies in the CMM, in SQL: region 06 or 13;
    or region 14, 15 or 16 with a destination city named in followups/cmm.py (compared in lower
    case, with or without its accents). NULL destination region: unknown (not outside)."""
    code = select(Region.code).where(Region.id == Person.destination_region_id).scalar_subquery()
    city = func.lower(func.trim(Person.destination_city))
    return or_(
        code.in_(sorted(cmm.WHOLLY_IN_CMM)),
        and_(code.in_(sorted(cmm.PARTLY_IN_CMM)), city.in_(CMM_NAMES)),
    )


def destination_outside_cmm(start: date, end: date) -> Select:
    """Of the persons followed at 6 months, those whose destination at arrival
    (``persons.destination_region_id`` and ``destination_city``) was outside the CMM."""
    return (
        select(Case.id)
        .join(Person, Person.id == Case.person_id)
        .where(
            Case.id.in_(followed_at_6(start, end)),
            Person.destination_region_id.is_not(None),
            ~destination_in_cmm(),
        )
    )


def settled_in_iles_de_la_madeleine(start: date, end: date) -> Select:
    """Of the persons followed at 6 months, living in Îles-de-la-Madeleine (counted apart from
    Gaspésie; region 11 holds both; ``aggregates.in_iles_de_la_madeleine``)."""
    return _residence(6, start, end, lambda row: row.in_iles.is_(True))


def employment_followed_6(start: date, end: date) -> Select:
    """Persons whose employment status was recorded at 6 months (the rates' denominator)."""
    return _employment(6, start, end)


def employed_6(start: date, end: date) -> Select:
    """In employment at the 6-month follow-up, in their field or not."""
    return _employment(6, start, end, lambda row: row.employment_status.in_(EMPLOYED))


def employed_in_field_6(start: date, end: date) -> Select:
    return _employment(6, start, end, lambda row: row.employment_status == "employed_in_field")


def employment_followed_12(start: date, end: date) -> Select:
    return _employment(12, start, end)


def employed_12(start: date, end: date) -> Select:
    return _employment(12, start, end, lambda row: row.employment_status.in_(EMPLOYED))


def employed_in_field_12(start: date, end: date) -> Select:
    return _employment(12, start, end, lambda row: row.employment_status == "employed_in_field")


# The funnels (francisation, requalification) follow the persons referred in the period: a
# step counts them when it has happened since, whenever it was recorded.


def standing(outcome: Any) -> Any:
    """The condition that ``outcome`` (``ReferralOutcome`` or an alias of it) is the one that
    stands for its (referral, kind): the last recorded (``referrals.outcomes.standing``), none
    recorded after it."""
    later = aliased(ReferralOutcome)
    return ~exists().where(
        later.referral_id == outcome.referral_id,
        later.kind == outcome.kind,
        later.id > outcome.id,
    )


def standing_outcomes(referral_ids: Select, kinds: tuple[str, ...]) -> Any:
    """The outcomes that stand per (referral, kind) of the referrals ``referral_ids``: a
    subquery."""
    return (
        select(
            ReferralOutcome.case_id,
            ReferralOutcome.referral_id,
            ReferralOutcome.kind,
            ReferralOutcome.happened,
            ReferralOutcome.course_format,
            ReferralOutcome.cnp,
        )
        .where(
            ReferralOutcome.referral_id.in_(referral_ids),
            ReferralOutcome.kind.in_(kinds),
            standing(ReferralOutcome),
        )
        .subquery()
    )


ONLINE_FORMATS = ("online",)
IN_PERSON_FORMATS = ("full_time", "part_time", "distance", "workplace")


def _enrolled(
    start: date, end: date, formats: tuple[str, ...] | None, levelled: bool = False
) -> Select:
    """Of the persons referred to Francisation Québec in the period, those enrolled: the
    standing « enrolled » outcome of such a referral says it happened (reported by the partner,
    confirmed or corrected by a follow-up), or a follow-up recorded them enrolled in a course.
    ``formats``: only enrolments in one of these course formats; ``levelled``: only persons
    with a level recorded by a follow-up."""
    referred = (
        _referred(start, end, FRANCISATION)
        .with_only_columns(LeftDraft.referral_id, LeftDraft.case_id)
        .cte("referred")
    )
    cases = select(referred.c.case_id)
    outcome = standing_outcomes(select(referred.c.referral_id), ("enrolled",))
    by_outcome = select(outcome.c.case_id).where(outcome.c.happened.is_(True))
    by_follow_up = select(Situation.case_id).where(
        Situation.case_id.in_(cases),
        Situation.domain == "french",
        Situation.french_enrolled.is_(True),
    )
    if formats is not None:
        by_outcome = by_outcome.where(outcome.c.course_format.in_(formats))
        by_follow_up = by_follow_up.where(Situation.french_format.in_(formats))
    statement = select(referred.c.case_id).where(
        or_(referred.c.case_id.in_(by_outcome), referred.c.case_id.in_(by_follow_up))
    )
    if levelled:
        statement = statement.where(
            referred.c.case_id.in_(
                select(Situation.case_id).where(
                    Situation.case_id.in_(cases),
                    Situation.domain == "french",
                    Situation.french_level.is_not(None),
                )
            )
        )
    return statement


def francisation_enrolled(start: date, end: date) -> Select:
    """Enrolled in a French course (referral outcome « enrolled », or a follow-up)."""
    return _enrolled(start, end, None)


def francisation_enrolled_online(start: date, end: date) -> Select:
    """Enrolled in the online format (Francisation Québec's asynchronous courses)."""
    return _enrolled(start, end, ONLINE_FORMATS)


def francisation_enrolled_in_person(start: date, end: date) -> Select:
    """Enrolled in a class: full or part time, distance classes shared by several sites, or at
    the workplace (every format but online). A person enrolled in both counts in both."""
    return _enrolled(start, end, IN_PERSON_FORMATS)


def francisation_level_reached(start: date, end: date) -> Select:
    """Of the persons enrolled, those with a level on the Québec 1–12 scale recorded by a
    follow-up (any level: the action plan sets no level to reach, measure B.3 l. 1023–1030)."""
    return _enrolled(start, end, None, levelled=True)


def _requalification_referrals(start: date, end: date) -> Select:
    return _referred(start, end, REQUALIFICATION).with_only_columns(LeftDraft.referral_id)


def _training(start: date, end: date, kind: str) -> Select:
    outcome = standing_outcomes(_requalification_referrals(start, end), (kind,))
    return select(outcome.c.case_id).where(outcome.c.happened.is_(True))


def requalification_training_started(start: date, end: date) -> Select:
    """Of the persons referred to MTESS for requalification in the period, those whose
    referral's standing « training started » outcome says it happened."""
    return _training(start, end, "training_started")


def requalification_training_finished(start: date, end: date) -> Select:
    return _training(start, end, "training_finished")


def same_occupation(job_cnp: Any, target_cnp: Any) -> Any:
    """A job's CNP is the target's: the same code, or the target occupation's code in the
    other CNP version (``occupations.cnp`` / ``cnp_2021``)."""
    # Correlated to whatever selects the two codes, however deep it is nested.
    return or_(
        job_cnp == target_cnp,
        exists()
        .where(Occupation.cnp == target_cnp, Occupation.cnp_2021 == job_cnp)
        .correlate_except(Occupation),
        exists()
        .where(Occupation.cnp == job_cnp, Occupation.cnp_2021 == target_cnp)
        .correlate_except(Occupation),
    )


def requalification_job_in_target_cnp(start: date, end: date) -> Select:
    """Of the persons referred to MTESS for requalification in the period, those with a job
    in the referral's target CNP (``referrals.details['target_cnp']``, from the assessment):
    a standing « job obtained » outcome of any of their referrals with that CNP, or a
    follow-up recording them employed with that CNP. Each person of the cohort is looked up
    through the outcomes' and situations' case index (a join of the two lists compared every
    pair: 38 ms at 200,000 cases)."""
    target = Referral.details["target_cnp"].as_string()
    cohort = (
        select(Referral.case_id, target.label("target"))
        .where(Referral.id.in_(_requalification_referrals(start, end)), target.is_not(None))
        .cte("requalified")
    )
    by_outcome = exists().where(
        ReferralOutcome.case_id == cohort.c.case_id,
        ReferralOutcome.kind == "job_obtained",
        ReferralOutcome.happened.is_(True),
        same_occupation(ReferralOutcome.cnp, cohort.c.target),
        standing(ReferralOutcome),
    )
    by_follow_up = exists().where(
        Situation.case_id == cohort.c.case_id,
        Situation.domain == "employment",
        Situation.employment_status.in_(EMPLOYED),
        same_occupation(Situation.employment_cnp, cohort.c.target),
    )
    return select(cohort.c.case_id).where(or_(by_outcome, by_follow_up))


# --- Regionalisation by region of arrival and of settlement ----------------------------------


def arrival_and_settlement(milestone: int, start: date, end: date) -> Select:
    """(destination region at arrival, region of residence, in Îles-de-la-Madeleine, persons)
    of the persons followed at ``milestone`` months in the period: one GROUP BY. The caller
    adds the scope (the case's region)."""
    settled = (Standing.settled_region_id, Standing.in_iles)
    return (
        select(Person.destination_region_id, *settled, func.count(literal(1)))
        .select_from(Standing)
        .join(Case, Case.id == Standing.case_id)
        .join(Person, Person.id == Case.person_id)
        .where(
            standing_in("residence", milestone, start, end),
            Standing.settled_region_id.is_not(None),
        )
        .group_by(Person.destination_region_id, *settled)
    )
