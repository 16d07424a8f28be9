"""Service layer for reports: the agent's home summary and the regional dashboards.

Every figure is computed by the database (GROUP BY) or, for medians and percentiles, from one
column of numbers per query, so the number of queries does not grow with the data.
No request, no flash.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, false, func, literal, select, true, union_all
from sqlalchemy import case as sa_case
from sqlalchemy.orm import joinedload

from casework.appointments import operations as appointments
from casework.appointments.models import Appointment
from casework.assessments.models import Assessment
from casework.cases import operations as cases
from casework.cases.models import Case, Person
from casework.core.domain import DomainError
from casework.core.permissions import Scope, scope_for
from casework.core.permissions import region_ids as user_regions
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.messages.models import PersonMessage
from casework.reference.models import Domain, Organisation, Region, ServicePoint
from casework.referrals import operations as referrals
from casework.referrals.models import Referral, ReferralEvent
from casework.reports.aggregates import HELD_OR_MISSED
from casework.reports.models import (
    DashboardCaseMilestones,
    DashboardOpenNeed,
    DashboardReferralCohort,
)

ACTIVE_STATUSES = ("new", "active", "on_hold")
FUNNEL_STAGES = referrals.FUNNEL_STAGES
DEFAULT_PERIOD_DAYS = 90
# A dashboard over more than five years would only be slow: the data goes back five years.
MAX_PERIOD_DAYS = 5 * 366


class ReportError(DomainError):
    """A filter that cannot give a report (the message says why; answered with 400)."""


class OutOfScope(Exception):
    """A filter names a region the user may not see (answered with 403)."""


# --- Reminders ------------------------------------------------------------------------------
# Read from the reminders feature (imported where used: reminders builds on cases and plans).


DUE_ON_HOME = 10


def due_reminders(user: Any, today: date | None = None) -> list[Any]:
    """The user's reminders due today or overdue, oldest first (at most ``DUE_ON_HOME``)."""
    from casework.reminders import operations as reminders
    from casework.reminders.models import Reminder

    end = reminders.day_bounds(today or local_today())[1]
    statement = (
        reminders.visible(user)
        .where(Reminder.status.in_(("pending", "sent")), Reminder.due_at < end)
        .options(joinedload(Reminder.rule), joinedload(Reminder.case))
        .order_by(Reminder.due_at, Reminder.id)
        .limit(DUE_ON_HOME)
    )
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class OverdueByAgent:
    agent_name: str
    region_code: str
    count: int
    oldest: datetime
    agent_id: int | None = None  # None in snapshots kept before it was (no drill-down link)


def overdue_reminders(region_ids: list[int] | None) -> list[OverdueByAgent]:
    """Reminders past their day and not handled, by agent, for the regions (None: all)."""
    from casework.auth.models import User
    from casework.reminders import operations as reminders
    from casework.reminders.models import Reminder

    start = reminders.day_bounds(local_today())[0]
    statement = (
        select(
            User.full_name, Region.code, func.count(Reminder.id), func.min(Reminder.due_at), User.id
        )
        .join(User, User.id == Reminder.agent_id)
        .join(Region, Region.id == Reminder.region_id)
        .where(Reminder.status.in_(("pending", "sent")), Reminder.due_at < start)
        .group_by(User.id, User.full_name, Region.code)
        .order_by(func.count(Reminder.id).desc(), User.full_name)
    )
    if region_ids is not None:
        statement = statement.where(Reminder.region_id.in_(region_ids))
    return [OverdueByAgent(*row) for row in db.session.execute(statement)]


# --- Agent home -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AwaitingReferral:
    referral: Referral
    sent_at: datetime
    waiting_days: int


@dataclass
class AgentHome:
    counts: dict[str, int]
    overdue_follow_ups: int
    today: list[Appointment]
    awaiting: list[AwaitingReferral]
    reminders: list[Any]

    @property
    def active(self) -> int:
        return sum(self.counts.get(status, 0) for status in ACTIVE_STATUSES)


AWAITING_SHOWN = 10


def agent_home(user: Any, today: date | None = None, now: datetime | None = None) -> AgentHome:
    """The agent's day: caseload counts, today's appointments, referrals awaiting an answer."""
    today = today or local_today()
    now = now or utcnow()
    overdue = (
        cases.visible_cases(user, with_person=False)
        .with_only_columns(func.count(Case.id))
        .where(Case.next_follow_up_on < today, Case.status != "closed")
    )
    return AgentHome(
        counts=cases.caseload_counts(user),
        overdue_follow_ups=db.session.scalar(overdue) or 0,
        today=[a for a in appointments.calendar(user.id, today, today) if a.status != "cancelled"],
        awaiting=awaiting_answer(user.id, now),
        reminders=due_reminders(user, today),
    )


def awaiting_answer(agent_id: int, now: datetime, limit: int = AWAITING_SHOWN) -> list[Any]:
    """The agent's referrals sent to an organisation that has not answered yet, oldest first."""
    # Only this agent's sent referrals' events are grouped: grouping every « sent » event of the
    # province first made the home page proportional to the whole referral history.
    waiting = select(Referral.id).where(Referral.agent_id == agent_id, Referral.status == "sent")
    sent = (
        select(ReferralEvent.referral_id, func.max(ReferralEvent.occurred_at).label("at"))
        .where(ReferralEvent.to_status == "sent", ReferralEvent.referral_id.in_(waiting))
        .group_by(ReferralEvent.referral_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Referral, sent.c.at)
        .join(sent, sent.c.referral_id == Referral.id)
        .options(
            joinedload(Referral.organisation), joinedload(Referral.case).joinedload(Case.person)
        )
        .where(Referral.agent_id == agent_id, Referral.status == "sent")
        .order_by(sent.c.at, Referral.id)
        .limit(limit)
    ).all()
    return [AwaitingReferral(referral, at, max(0, (now - at).days)) for referral, at in rows]


# --- Dashboard filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days, both included."""

    start: date
    end: date

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        return appointments.local_day_bounds(self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_period(today: date | None = None) -> Period:
    today = today or local_today()
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


def check_period(start: date | None, end: date | None, today: date | None = None) -> Period:
    """The period asked for, or a ReportError saying what is wrong with it."""
    fallback = default_period(today)
    period = Period(start or fallback.start, end or fallback.end)
    if period.end < period.start:
        raise ReportError(
            _l(
                "The period is empty: its end comes before its start. Choose an end date on or after the start date."
            ),
            "end",
        )
    if period.days > MAX_PERIOD_DAYS:
        raise ReportError(_l("Choose a period of at most five years."), "start")
    return period


@dataclass(frozen=True)
class DashboardScope:
    """The regions a dashboard covers: ``region_ids`` None means every region."""

    region_ids: list[int] | None
    region: Region | None = None
    directorate: ServicePoint | None = None


def resolve_scope(
    user: Any,
    region_id: int | None,
    directorate_id: int | None,
    action: str = "reports.dashboard",
) -> DashboardScope:
    """The regions ``user`` asks for, checked against what they may see.

    A directorate stands for the regions it covers; a region-scoped user sees the regions of
    the directorate that covers their own (all of them unless they pick one).
    """
    scope = scope_for(user.role, action)
    if scope is None:
        raise OutOfScope()
    directorate = None
    if directorate_id is not None:
        directorate = db.session.get(ServicePoint, directorate_id)
        if directorate is None or not directorate.is_directorate:
            raise ReportError(_l("Choose a directorate from the list."), "directorate")
        covered = directorate.covered_region_ids
        if region_id is not None and region_id not in covered:
            raise ReportError(
                _l("This directorate does not cover the chosen region: choose one or the other."),
                "directorate",
            )
    allowed = user_regions(user) if scope is Scope.REGION else None
    if allowed is not None:
        asked = [region_id] if region_id is not None else (covered if directorate else [])
        if any(ident not in allowed for ident in asked):
            raise OutOfScope()
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region_id is not None and region is None:
        raise ReportError(_l("Choose a region from the list."), "region")
    if region_id is not None:
        return DashboardScope([region_id], region, directorate)
    if directorate is not None:
        return DashboardScope(covered, None, directorate)
    if allowed is not None and len(allowed) == 1:
        return DashboardScope(allowed, db.session.get(Region, allowed[0]), None)
    return DashboardScope(allowed, None, None)


def _in_regions(column: Any, region_ids: list[int] | None) -> Any:
    return true() if region_ids is None else column.in_(region_ids)


# --- Dashboard tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class AgentLoad:
    agent_id: int
    agent_name: str
    new: int
    active: int
    on_hold: int
    overdue: int

    @property
    def total(self) -> int:
        return self.new + self.active + self.on_hold


def caseload_by_agent(region_ids: list[int] | None, today: date) -> list[AgentLoad]:
    """Active cases per agent today (new, active, on hold), and follow-ups overdue."""
    from casework.auth.models import User

    def count_of(condition: Any) -> Any:
        return func.coalesce(func.sum(sa_case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(
            User.id,
            User.full_name,
            count_of(Case.status == "new"),
            count_of(Case.status == "active"),
            count_of(Case.status == "on_hold"),
            count_of(Case.next_follow_up_on < today),
        )
        .join(Case, Case.agent_id == User.id)
        .where(Case.status.in_(ACTIVE_STATUSES), _in_regions(Case.region_id, region_ids))
        .group_by(User.id, User.full_name)
        .order_by(User.full_name, User.id)
    ).all()
    return [AgentLoad(*row) for row in rows]


@dataclass
class NeedsTable:
    """Open cases with at least one open need, by region (rows) and domain (columns)."""

    domains: list[Domain]
    regions: list[Region]
    cells: dict[tuple[int, int], int] = field(default_factory=dict)  # (region, domain) → n

    def count(self, region_id: int, domain_id: int) -> int:
        return self.cells.get((region_id, domain_id), 0)

    def domain_total(self, domain_id: int) -> int:
        return sum(n for (_region, domain), n in self.cells.items() if domain == domain_id)

    @property
    def is_empty(self) -> bool:
        return not self.cells


def latest_assessments(case_ids: Select | None = None) -> Any:
    """(case id, number of its latest assessment): the one whose needs are « open needs »,
    as the caseload's domain filter reads them; of the cases ``case_ids`` selects, or all."""
    statement = select(Assessment.case_id, func.max(Assessment.number).label("number"))
    if case_ids is not None:
        statement = statement.where(Assessment.case_id.in_(case_ids))
    return statement.group_by(Assessment.case_id).subquery()


def open_needs(region_ids: list[int] | None, regions: list[Region]) -> NeedsTable:
    """Open cases with an open need in their latest assessment, by region and domain: counted
    from the aggregate kept with each assessment and case change (reports/aggregates.py)."""
    rows = db.session.execute(
        select(DashboardOpenNeed.region_id, DashboardOpenNeed.domain_id, func.count())
        .where(_in_regions(DashboardOpenNeed.region_id, region_ids))
        .group_by(DashboardOpenNeed.region_id, DashboardOpenNeed.domain_id)
    ).all()
    return needs_table({(region_id, domain_id): n for region_id, domain_id, n in rows}, regions)


def needs_table(cells: dict[tuple[int, int], int], regions: list[Region]) -> NeedsTable:
    """The table of ``cells`` ((region, domain) → cases): every domain, the regions that have a
    cell."""
    shown = {region_id for region_id, _domain in cells}
    return NeedsTable(
        list(db.session.scalars(select(Domain).order_by(Domain.position))),
        [region for region in regions if region.id in shown],
        cells,
    )


@dataclass(frozen=True)
class FunnelRow:
    organisation_id: int
    organisation_name: str
    stages: dict[str, int]
    median_response_days: float | None

    def stage(self, name: str) -> int:
        return self.stages.get(name, 0)


def referral_funnel(period: Period, region_ids: list[int] | None) -> list[FunnelRow]:
    """For the referrals submitted in the period: how many reached each stage, by organisation,
    and the median days from sending to the organisation's answer. Each referral's stages and
    answer are kept in its cohort row (reports/aggregates.py): two queries over the period's
    rows, whatever the length of the referrals' histories."""
    start, end = period.utc_bounds
    cohort = DashboardReferralCohort
    in_cohort = (
        cohort.first_submitted_at >= start,
        cohort.first_submitted_at < end,
        _in_regions(cohort.region_id, region_ids),
    )
    # Counted per organisation first, then named: a few dozen names, not one per referral.
    by_organisation = (
        select(
            cohort.organisation_id,
            func.count().label("submitted"),
            *(
                func.sum(sa_case((flag, 1), else_=0)).label(stage)
                for stage, flag in _REACHED.items()
            ),
        )
        .where(*in_cohort)
        .group_by(cohort.organisation_id)
        .subquery()
    )
    counts = db.session.execute(
        select(
            Organisation.id,
            Organisation.name,
            by_organisation.c.submitted,
            *(by_organisation.c[stage] for stage in _REACHED),
        ).join(by_organisation, by_organisation.c.organisation_id == Organisation.id)
    ).all()
    delays: dict[int, list[float]] = {}
    for organisation_id, days in db.session.execute(
        select(cohort.organisation_id, cohort.answer_days).where(
            *in_cohort, cohort.answer_days.is_not(None)
        )
    ):
        delays.setdefault(organisation_id, []).append(days)
    rows = []
    for organisation_id, name, submitted, *reached in counts:
        stages = {"submitted": submitted}
        stages.update((stage, n) for stage, n in zip(_REACHED, reached, strict=True) if n)
        rows.append(
            FunnelRow(
                organisation_id, name, stages, referrals.median_days(delays.get(organisation_id))
            )
        )
    return sorted(rows, key=lambda r: (-r.stage("submitted"), r.organisation_name))


# The funnel's stages after the submission (every cohort row has that one), each a column of
# the cohort row: a new stage needs its column (and its recount, in reports/aggregates.py).
_REACHED = {
    stage: getattr(DashboardReferralCohort, f"reached_{stage}") for stage in FUNNEL_STAGES[1:]
}


Days = tuple[tuple[int, int], ...]


def day_counts(days: Iterable[int] | Iterable[Sequence[int]]) -> Days:
    """How many persons waited each number of days, by day: a province's year is a few hundred
    pairs where it was one value per person (decoded from its snapshot and sorted on every
    view: about 12 ms at 200,000 cases). Accepts the values themselves, or pairs (a
    snapshot's)."""
    found: Counter[int] = Counter()
    for item in days:
        if isinstance(item, int):
            found[item] += 1
        else:
            day, count = item
            found[day] += count
    return tuple(sorted(found.items()))


@dataclass(frozen=True)
class DelayStat:
    key: str
    label: str
    days: Days  # day_counts(): (days waited, persons), by day

    @cached_property
    def n(self) -> int:
        return sum(count for _day, count in self.days)

    def _at(self, rank: int) -> int:
        """The days at ``rank`` (from 1) among the persons, fewest first."""
        seen = 0
        for day, count in self.days:
            seen += count
            if seen >= rank:
                return day
        raise IndexError(rank)

    @cached_property
    def median(self) -> float | None:
        if not self.n:
            return None
        low, high = self._at((self.n + 1) // 2), self._at(self.n // 2 + 1)
        # As statistics.median: the middle value, or the mean of the two middle ones.
        return round(low if self.n % 2 else (low + high) / 2, 1)

    @cached_property
    def p90(self) -> int | None:
        """Nearest-rank 90th percentile: 9 people in 10 waited this long or less."""
        return self._at(math.ceil(0.9 * self.n)) if self.n else None


DELAY_LABELS = {
    "arrival_to_first_appointment": _l("From arrival to the first appointment held"),
    "first_appointment_to_plan": _l("From the first appointment held to a finalised plan"),
}


def delays(period: Period, region_ids: list[int] | None) -> list[DelayStat]:
    """Days from arrival to the first appointment held (counted in the period of that
    appointment), and from it to the first finalised plan (counted in the period of the plan).

    Appointments before the arrival date (services from abroad) are left out of the first
    measure, and plans finalised before any appointment was held out of the second.
    """
    found = delays_by_case(period, region_ids)
    return [
        DelayStat(key, str(label), day_counts(days for _case_id, days in found[key]))
        for key, label in DELAY_LABELS.items()
    ]


def delays_by_case(
    period: Period, region_ids: list[int] | None, within: Select | None = None
) -> dict[str, list[tuple]]:
    """Each measure's (case id, days) of the people it counts (of the cases ``within`` selects,
    or all): the figures and their drill-down (``delay_cohort``) read the same rows, so the
    list is the count."""
    start, end = period.utc_bounds
    # Each case's first appointment held and first plan finalised are kept as they happen, with
    # their local days (reports/aggregates.py): each measure reads its period's rows from an
    # index that holds what it needs (the first reads the arrival date from the person).
    milestones = DashboardCaseMilestones
    in_region = _in_regions(milestones.region_id, region_ids)
    # Looked up row by row (a subquery, not a join): PostgreSQL would otherwise hash the
    # province's 200,000 cases to find a region's few thousand.
    arrival = (
        select(Person.arrival_date)
        .join(Case, Case.person_id == Person.id)
        .where(Case.id == milestones.case_id)
        .scalar_subquery()
    )
    to_appointment = select(
        literal(0).label("measure"),
        milestones.case_id,
        arrival.label("since"),
        milestones.first_held_on.label("on"),
    ).where(milestones.first_held_at >= start, milestones.first_held_at < end, in_region)
    to_plan = select(
        literal(1), milestones.case_id, milestones.first_held_on, milestones.first_plan_on
    ).where(
        milestones.first_plan_at >= start,
        milestones.first_plan_at < end,
        in_region,
        milestones.first_held_on.is_not(None),
    )
    if within is not None:
        to_appointment = to_appointment.where(milestones.case_id.in_(within))
        to_plan = to_plan.where(milestones.case_id.in_(within))
    found: tuple[list[tuple], list[tuple]] = ([], [])
    for measure, case_id, since, on in db.session.execute(union_all(to_appointment, to_plan)):
        days = (on - since).days if since is not None else -1
        if days >= 0:
            found[measure].append((case_id, days))
    return {"arrival_to_first_appointment": found[0], "first_appointment_to_plan": found[1]}


CohortCondition = Callable[[date, date, list[int] | None, Select], Any]


def delay_cohort(key: str) -> CohortCondition:
    """The caseload's condition for the people a delay counts (its drill-down). Whether a day
    counts is decided on local dates, as the figure does, so the ids come from the same rows
    (of the cases the reader may read only: an agent's are a few); inlined in the SQL (a
    region's five years may be more ids than SQLite's bound variables)."""

    def condition(first: date, last: date, region_ids: list[int] | None, readable: Select) -> Any:
        rows = delays_by_case(Period(first, last), region_ids, readable)[key]
        ids = sorted({case_id for case_id, _days in rows})
        if not ids:
            return false()
        return Case.id.in_(bindparam(f"cohort_{key}", ids, expanding=True, literal_execute=True))

    return condition


# --- No-shows and reminders ---------------------------------------------------------------


@dataclass(frozen=True)
class NoShowRow:
    """Appointments of the period that were held or missed, by whether the person's reminder
    of the day before reached them (sent by e-mail, or delivered by SMS)."""

    reminded: bool
    appointments: int
    no_shows: int

    @property
    def rate(self) -> float | None:
        return self.no_shows / self.appointments if self.appointments else None


def _reminder_reached(appointment_id: Any = Appointment.id) -> Any:
    """Whether the person's reminder of the day before reached them, for an ``Appointment``
    (or the appointment ``appointment_id`` names)."""
    return (
        select(PersonMessage.id)
        .where(
            PersonMessage.appointment_id == appointment_id,
            PersonMessage.kind == "reminder",
            PersonMessage.status.in_(("sent", "delivered")),
        )
        .exists()
    )


def first_outcomes(period: Period) -> Select:
    """Ids of each case's first appointment held or missed, when it falls in ``period``
    (a case counts once: a person who missed their first appointment and came to the next
    is a first no-show); kept with each appointment's change (reports/aggregates.py)."""
    start, end = period.utc_bounds
    milestones = DashboardCaseMilestones
    return select(milestones.first_outcome_id).where(
        milestones.first_outcome_at >= start, milestones.first_outcome_at < end
    )


def no_shows_by_reminder(period: Period, region_ids: list[int] | None) -> list[NoShowRow]:
    """First appointments held or missed in the period, by whether the reminder reached the
    person; by the case's region, as the caseload their drill-down opens."""
    start, end = period.utc_bounds
    milestones = DashboardCaseMilestones
    # The appointment's outcome and reminder looked up row by row (subqueries, not a join):
    # PostgreSQL would otherwise hash every appointment to find a region's few thousand.
    reached = _reminder_reached(milestones.first_outcome_id)
    status = (
        select(Appointment.status)
        .where(Appointment.id == milestones.first_outcome_id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            reached.label("reminded"),
            func.count(),
            func.sum(sa_case((status == "no_show", 1), else_=0)),
        )
        .select_from(milestones)
        .where(
            milestones.first_outcome_at >= start,
            milestones.first_outcome_at < end,
            _in_regions(milestones.region_id, region_ids),
        )
        .group_by(reached)
    ).all()
    found = {bool(reminded): (count, int(missed or 0)) for reminded, count, missed in rows}
    return [NoShowRow(flag, *found.get(flag, (0, 0))) for flag in (True, False)]


def first_appointment_cohort(reminded: bool, statuses: tuple[str, ...]) -> CohortCondition:
    """The caseload's condition for a cell of the no-shows table (its drill-down): the cases
    whose first appointment of the period ended in ``statuses``, reminded or not."""

    def condition(first: date, last: date, region_ids: list[int] | None, readable: Select) -> Any:
        reached = _reminder_reached()
        return Case.id.in_(
            select(Appointment.case_id).where(
                Appointment.id.in_(first_outcomes(Period(first, last))),
                Appointment.status.in_(statuses),
                reached if reminded else ~reached,
            )
        )

    return condition


# The caseload's « counted in the dashboard » filter: each figure's code and what it lists.
COHORT_LABELS = {
    "arrival_to_first_appointment": _l("Time from arrival to the first appointment held"),
    "first_appointment_to_plan": _l("Time from the first appointment held to a finalised plan"),
    "first_appointment_reminded": _l(
        "First appointment held or missed, the reminder reached the person"
    ),
    "first_held_reminded": _l("First appointment held, the reminder reached the person"),
    "first_no_show_reminded": _l("First appointment missed, the reminder reached the person"),
    "first_appointment_not_reminded": _l(
        "First appointment held or missed, reminder not sent or not reached"
    ),
    "first_held_not_reminded": _l("First appointment held, reminder not sent or not reached"),
    "first_no_show_not_reminded": _l("First appointment missed, reminder not sent or not reached"),
}


def no_show_cohort_code(reminded: bool, missed_only: bool) -> str:
    """The cohort of a no-shows table cell: its row (reminded or not), its column (all, missed)."""
    return (
        f"first_{'no_show' if missed_only else 'appointment'}_{'' if reminded else 'not_'}reminded"
    )


def caseload_cohorts() -> list[cases.Cohort]:
    conditions = {key: delay_cohort(key) for key in DELAY_LABELS}
    for reminded in (True, False):
        suffix = "reminded" if reminded else "not_reminded"
        conditions[f"first_appointment_{suffix}"] = first_appointment_cohort(
            reminded, HELD_OR_MISSED
        )
        conditions[f"first_held_{suffix}"] = first_appointment_cohort(reminded, ("done",))
        conditions[f"first_no_show_{suffix}"] = first_appointment_cohort(reminded, ("no_show",))
    return [cases.Cohort(code, COHORT_LABELS[code], conditions[code]) for code in COHORT_LABELS]


# --- The dashboard ------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    scope: DashboardScope
    caseload: list[AgentLoad]
    needs: NeedsTable
    funnel: list[FunnelRow]
    delays: list[DelayStat]
    reminders: list[Any]
    no_shows: list[NoShowRow] = field(default_factory=list)
    computed_at: datetime | None = None  # when the figures were computed (snapshots)

    @property
    def period_is_empty(self) -> bool:
        """Nothing happened in the period (the current caseload and needs do not depend on it)."""
        return not self.funnel and not any(stat.n for stat in self.delays)


def dashboard(
    period: Period, scope: DashboardScope, regions: list[Region], today: date | None = None
) -> Dashboard:
    """Every table of the dashboard; ``regions`` labels the rows (the filter already has them)."""
    today = today or local_today()
    return Dashboard(
        period=period,
        scope=scope,
        caseload=caseload_by_agent(scope.region_ids, today),
        needs=open_needs(scope.region_ids, regions),
        funnel=referral_funnel(period, scope.region_ids),
        delays=delays(period, scope.region_ids),
        reminders=overdue_reminders(scope.region_ids),
        no_shows=no_shows_by_reminder(period, scope.region_ids),
    )


def selectable_regions(user: Any, action: str = "reports.dashboard") -> list[Region]:
    """The regions a user's dashboard (or the report ``action``) may show."""
    statement = select(Region).order_by(Region.code)
    if scope_for(user.role, action) is not Scope.ALL:
        statement = statement.where(Region.id.in_(user_regions(user)))
    return list(db.session.scalars(statement))


def selectable_directorates(user: Any, action: str = "reports.dashboard") -> list[ServicePoint]:
    statement = (
        select(ServicePoint).where(ServicePoint.kind == "directorate").order_by(ServicePoint.name)
    )
    if scope_for(user.role, action) is not Scope.ALL:
        statement = statement.where(ServicePoint.region_id.in_(user_regions(user)))
    return list(db.session.scalars(statement))
