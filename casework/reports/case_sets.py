"""The sets of cases the action plan's indicators count (``reports.indicators``): each a
function ``(start, end) -> Select`` of case ids for a period of local days (both included).

The same function counts a figure (GROUP BY region, one query) and lists its cases in the
caseload (a ``cases.operations.Cohort``, registered in ``reports/listeners.py``).

The second half holds the indicators that need the follow-up interviews and the referral
outcomes (issue 19, points 1 and 4): each returns ``None`` until those tables exist, and the
page marks it « available with the follow-ups ». Writing one of them turns its row on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select

from casework.appointments import operations as appointments
from casework.appointments.models import AirportBooking, Appointment
from casework.assessments.models import Assessment
from casework.cases.models import Case, Person
from casework.plans.models import Plan
from casework.reference.models import Organisation
from casework.referrals.models import Referral, ReferralEvent


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


def _first_held(start: date, end: date) -> Any:
    """(case, first appointment held) for the cases whose first held appointment is in the
    period: only cases with one held in the period can have their first there."""
    low, high = bounds(start, end)
    first = (
        select(Appointment.case_id, func.min(Appointment.starts_at).label("at"))
        .where(Appointment.status == "done", Appointment.case_id.in_(served(start, end)))
        .group_by(Appointment.case_id)
        .subquery()
    )
    return first, and_(first.c.at >= low, first.c.at < high)


def _first_plan(start: date, end: date) -> Any:
    low, high = bounds(start, end)
    finalised_then = select(Plan.case_id).where(Plan.finalised_at >= low, Plan.finalised_at < high)
    first = (
        select(Plan.case_id, func.min(Plan.finalised_at).label("at"))
        .where(Plan.finalised_at.is_not(None), Plan.case_id.in_(finalised_then))
        .group_by(Plan.case_id)
        .subquery()
    )
    return first, and_(first.c.at >= low, first.c.at < high)


def since_arrival(first: Any, in_period: Any) -> Select:
    """(case, arrival date, first instant) of the cases whose first is in the period and after
    the arrival (services given from abroad, before arriving, are left out)."""
    return (
        select(Case.id, Person.arrival_date, first.c.at)
        .join(first, first.c.case_id == Case.id)
        .join(Person, Person.id == Case.person_id)
        .where(in_period, Person.arrival_date.is_not(None), Person.arrival_date <= first.c.at)
    )


def arrival_to_first_appointment(start: date, end: date) -> Select:
    """Cases whose first appointment held is in the period (with a known arrival before it)."""
    first, in_period = _first_held(start, end)
    return since_arrival(first, in_period).with_only_columns(Case.id)


def arrival_to_plan(start: date, end: date) -> Select:
    """Cases whose first plan was finalised in the period (with a known arrival before it)."""
    first, in_period = _first_plan(start, end)
    return since_arrival(first, in_period).with_only_columns(Case.id)


DELAY_SETS = {
    "arrival_to_first_appointment": _first_held,
    "arrival_to_plan": _first_plan,
}


def _referred(start: date, end: date, condition: Any) -> Select:
    """Cases with a referral matching ``condition`` that first left its draft in the period
    (submitted for review, or sent where no review is needed)."""
    low, high = bounds(start, end)
    left_draft = ReferralEvent.to_status.in_(("submitted", "sent"))
    then = select(ReferralEvent.referral_id).where(
        left_draft, ReferralEvent.occurred_at >= low, ReferralEvent.occurred_at < high
    )
    first = (
        select(ReferralEvent.referral_id, func.min(ReferralEvent.occurred_at).label("at"))
        .where(left_draft, ReferralEvent.referral_id.in_(then))
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    return (
        select(Referral.case_id)
        .join(first, first.c.referral_id == Referral.id)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .where(first.c.at >= low, first.c.at < high, condition)
    )


def francisation_referred(start: date, end: date) -> Select:
    """Cases referred to Francisation Québec in the period (measure B.3)."""
    return _referred(start, end, Organisation.code == "francisation_quebec")


def requalification_referred(start: date, end: date) -> Select:
    """Cases referred to MTESS for requalification in the period (Encadré 8: the referral of
    kind « requalification », made when the assessment records the person's interest)."""
    return _referred(start, end, Referral.kind == "requalification")


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


# --- Indicators waiting for the follow-ups (issue 19, points 1 and 4) ---------------------
# Each returns the Select of the case ids it counts, or None while the follow-up interviews and
# the referral outcomes are not in the database. Write one (and drop its decorator, which only
# lists it as waiting), and its row is counted, drills down and is exported like the others.


def awaiting_follow_ups(function: Callable[[date, date], Select | None]) -> Any:
    """Marks a case set still waiting for the follow-ups' tables (it returns None)."""
    function.awaiting_follow_ups = True  # type: ignore[attr-defined]
    return function


@awaiting_follow_ups
def settled_outside_cmm_6(start: date, end: date) -> Select | None:
    """Persons living outside the Montréal metropolitan community at their 6-month follow-up
    held in the period (residence region/municipality of the follow-up)."""
    return None


@awaiting_follow_ups
def followed_at_6(start: date, end: date) -> Select | None:
    """Persons with a 6-month follow-up in the period recording their residence (the rate's
    denominator)."""
    return None


@awaiting_follow_ups
def settled_outside_cmm_12(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def followed_at_12(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def destination_outside_cmm(start: date, end: date) -> Select | None:
    """Of the persons followed at 6 months, those whose destination at arrival was outside the
    Montréal metropolitan community (to compare with where they live)."""
    return None


@awaiting_follow_ups
def settled_in_iles_de_la_madeleine(start: date, end: date) -> Select | None:
    """Counted apart from Gaspésie (region 11 holds both, DESIGN §3)."""
    return None


@awaiting_follow_ups
def employed_6(start: date, end: date) -> Select | None:
    """In employment at the 6-month follow-up (in their field or not)."""
    return None


@awaiting_follow_ups
def employed_in_field_6(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def employed_12(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def employed_in_field_12(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def employment_followed_6(start: date, end: date) -> Select | None:
    """Persons whose employment status was recorded at 6 months (the rates' denominator)."""
    return None


@awaiting_follow_ups
def employment_followed_12(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def francisation_enrolled(start: date, end: date) -> Select | None:
    """Enrolled in a French course (referral completed « enrolled », or a follow-up)."""
    return None


@awaiting_follow_ups
def francisation_enrolled_online(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def francisation_enrolled_in_person(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def francisation_level_reached(start: date, end: date) -> Select | None:
    """A level on the Québec 1–12 scale recorded by a follow-up in the period."""
    return None


@awaiting_follow_ups
def requalification_training_started(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def requalification_training_finished(start: date, end: date) -> Select | None:
    return None


@awaiting_follow_ups
def requalification_job_in_target_cnp(start: date, end: date) -> Select | None:
    """A job obtained whose CNP is the referral's target CNP."""
    return None
