"""The dashboard's aggregates, kept as the data changes (issue 23).

Computing a region's dashboard from the raw tables grouped tens of thousands of cases'
latest assessments, appointments, plans and referral events (about 0.9 s on SQLite and 1.6 s
on PostgreSQL for Montréal at 200,000 cases). Three small tables now hold what those groupings
found, per case or per referral:

- ``dashboard_open_needs``: the open cases' open needs by domain (from the latest assessment);
- ``dashboard_case_milestones``: each case's first appointment held and first plan finalised;
- ``dashboard_referral_cohorts``: when each referral was first submitted for review.

Each row carries its case's or referral's region, so a region's dashboard reads its period's
rows from one index, without going through the region's 130,000 referrals or 90,000 cases.

Each change of an assessment, appointment, plan, referral or case states a domain event; the
listeners in ``reports/listeners.py`` call ``refresh_cases`` or ``refresh_referrals``, which
recount the rows of the cases or referrals concerned in the caller's transaction: they commit
or roll back with the change. ``rebuild`` recounts everything (``casework dashboard-aggregates
--rebuild``, after a bulk load or a restore) and ``differences`` compares the tables with a full
recount (``casework dashboard-aggregates``, which exits 1 on any difference).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select

from casework.appointments.models import Appointment
from casework.assessments.models import OPEN_LEVELS, AssessedNeed, Assessment
from casework.cases.models import Case
from casework.extensions import db
from casework.plans.models import Plan
from casework.reference.models import Need
from casework.referrals.models import Referral, ReferralEvent
from casework.reports.models import (
    DashboardCaseMilestones,
    DashboardOpenNeed,
    DashboardReferralCohort,
)


def _open_needs(case_ids: Select | list[int] | None) -> Select:
    """(case, domain, region) of the open cases' open needs, as ``reports.open_needs`` counts
    them: the latest assessment (draft or completed) of each case."""
    latest = select(Assessment.case_id, func.max(Assessment.number).label("number"))
    if case_ids is not None:
        latest = latest.where(Assessment.case_id.in_(case_ids))
    latest = latest.group_by(Assessment.case_id).subquery()
    statement = (
        select(Case.id, Need.domain_id, Case.region_id)
        .join(latest, latest.c.case_id == Case.id)
        .join(
            Assessment,
            and_(Assessment.case_id == Case.id, Assessment.number == latest.c.number),
        )
        .join(AssessedNeed, AssessedNeed.assessment_id == Assessment.id)
        .join(Need, Need.id == AssessedNeed.need_id)
        .where(Case.status != "closed", AssessedNeed.level.in_(OPEN_LEVELS))
        .group_by(Case.id, Need.domain_id, Case.region_id)
    )
    if case_ids is not None:
        statement = statement.where(Case.id.in_(case_ids))
    return statement


def _milestones(case_ids: Select | list[int] | None) -> Select:
    """(case, region, first appointment held, first plan finalised) of the cases with either."""
    held = select(Appointment.case_id, func.min(Appointment.starts_at).label("at")).where(
        Appointment.status == "done"
    )
    plans = select(Plan.case_id, func.min(Plan.finalised_at).label("at")).where(
        Plan.finalised_at.is_not(None)
    )
    cases = select(Case.id, Case.region_id)
    if case_ids is not None:
        held = held.where(Appointment.case_id.in_(case_ids))
        plans = plans.where(Plan.case_id.in_(case_ids))
        cases = cases.where(Case.id.in_(case_ids))
    held = held.group_by(Appointment.case_id).subquery()
    plans = plans.group_by(Plan.case_id).subquery()
    cases = cases.subquery()
    return (
        select(cases.c.id, cases.c.region_id, held.c.at, plans.c.at)
        .outerjoin(held, held.c.case_id == cases.c.id)
        .outerjoin(plans, plans.c.case_id == cases.c.id)
        .where(or_(held.c.at.is_not(None), plans.c.at.is_not(None)))
    )


def _cohorts(referral_ids: Select | list[int] | None) -> Select:
    """(referral, region, first submission) of the referrals ever submitted for review."""
    statement = (
        select(ReferralEvent.referral_id, Referral.region_id, func.min(ReferralEvent.occurred_at))
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.to_status == "submitted")
    )
    if referral_ids is not None:
        statement = statement.where(ReferralEvent.referral_id.in_(referral_ids))
    return statement.group_by(ReferralEvent.referral_id, Referral.region_id)


@dataclass(frozen=True)
class Aggregate:
    name: str
    model: Any
    key: Any  # the column that names a case or a referral
    columns: tuple[str, ...]
    recount: Any  # ids (or None: all) → SELECT of rows in ``columns`` order


AGGREGATES = (
    Aggregate(
        "open_needs",
        DashboardOpenNeed,
        DashboardOpenNeed.case_id,
        ("case_id", "domain_id", "region_id"),
        _open_needs,
    ),
    Aggregate(
        "case_milestones",
        DashboardCaseMilestones,
        DashboardCaseMilestones.case_id,
        ("case_id", "region_id", "first_held_at", "first_plan_at"),
        _milestones,
    ),
    Aggregate(
        "referral_cohorts",
        DashboardReferralCohort,
        DashboardReferralCohort.referral_id,
        ("referral_id", "region_id", "first_submitted_at"),
        _cohorts,
    ),
)
BY_CASE = tuple(a for a in AGGREGATES if a.name != "referral_cohorts")
BY_REFERRAL = tuple(a for a in AGGREGATES if a.name == "referral_cohorts")


def _refresh(aggregates: Iterable[Aggregate], owner: Any, ids: Iterable[int]) -> None:
    ids = sorted(set(ids))
    if not ids:
        return
    db.session.flush()  # the change being counted is in the rows the recount reads
    # Two transactions recounting the same case at once (a plan finalised while an outcome is
    # recorded) would each delete the rows, then insert theirs: on PostgreSQL the second insert
    # would break the primary key. The owner's row lock, taken in id order, makes them wait in
    # turn, and the second recount then reads what the first committed. (SQLite's writers are
    # one at a time already; the dialect drops FOR UPDATE.)
    db.session.execute(
        select(owner.id).where(owner.id.in_(ids)).order_by(owner.id).with_for_update()
    ).all()
    for aggregate in aggregates:
        db.session.execute(
            delete(aggregate.model)
            .where(aggregate.key.in_(ids))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            insert(aggregate.model).from_select(list(aggregate.columns), aggregate.recount(ids))
        )


def refresh_cases(case_ids: Iterable[int]) -> None:
    """Recount the open needs and milestones of these cases (in the caller's transaction)."""
    _refresh(BY_CASE, Case, case_ids)


def refresh_referrals_of_case(case_id: int) -> None:
    """A case moved to another region takes its referrals along: their cohort rows follow."""
    refresh_referrals(db.session.scalars(select(Referral.id).where(Referral.case_id == case_id)))


def refresh_referrals(referral_ids: Iterable[int]) -> None:
    """Recount when these referrals were first submitted (in the caller's transaction)."""
    _refresh(BY_REFERRAL, Referral, referral_ids)


def rebuild() -> dict[str, int]:
    """Every aggregate recounted from the data (the caller commits); rows per table."""
    counts = {}
    for aggregate in AGGREGATES:
        db.session.execute(delete(aggregate.model))
        db.session.execute(
            insert(aggregate.model).from_select(list(aggregate.columns), aggregate.recount(None))
        )
        counts[aggregate.name] = db.session.scalar(
            select(func.count()).select_from(aggregate.model)
        )
    return counts


@dataclass(frozen=True)
class Difference:
    aggregate: str
    row: tuple
    stored: bool  # True: stored but not in the recount; False: in the recount, not stored

    def line(self) -> str:
        where = "en trop" if self.stored else "manquante"
        return f"{self.aggregate} : ligne {where} {self.row}"


def differences() -> list[Difference]:
    """What the stored aggregates and a full recount disagree on (empty when in step), read in
    the caller's transaction: ``casework dashboard-aggregates`` opens a repeatable-read one on
    PostgreSQL, so that a change committed between reading the stored rows and recounting them
    is no false difference."""
    found = []
    for aggregate in AGGREGATES:
        columns = [getattr(aggregate.model, name) for name in aggregate.columns]
        stored = set(map(tuple, db.session.execute(select(*columns))))
        counted = set(map(tuple, db.session.execute(aggregate.recount(None))))
        found += [
            Difference(aggregate.name, row, True) for row in sorted(stored - counted, key=repr)
        ]
        found += [
            Difference(aggregate.name, row, False) for row in sorted(counted - stored, key=repr)
        ]
    return found
