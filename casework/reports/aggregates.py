"""The dashboard's and the indicators' aggregates, kept as the data changes (issue 23).

Computing a region's dashboard from the raw tables grouped tens of thousands of cases'
latest assessments, appointments, plans and referral events (about 0.9 s on SQLite and 1.6 s
on PostgreSQL for Montréal at 200,000 cases). Three small tables now hold what those groupings
found, per case or per referral:

- ``dashboard_open_needs``: the open cases' open needs by domain (from the latest assessment);
- ``dashboard_case_milestones``: each case's first appointment held and first plan finalised,
  with the local day of each (the delays are counted in days in Québec), and its first
  appointment held or missed (the no-shows table);
- ``dashboard_referral_cohorts``: when each referral was first submitted for review, its
  organisation, the later stages it reached and the days its organisation took to answer (the
  funnel read them from the cohort's referral events, four to five per referral).

The action plan's indicators (``reports/indicators.py``) keep two more, per case or referral:

- ``indicator_situations``: the situation that stands for each case at each follow-up milestone
  in the domains they count (residence, employment), with the columns they read (the figures
  ranked every follow-up situation of the period's cases with a window function);
- ``indicator_referrals``: when each referral first left its draft, with its case, organisation
  and kind (the francisation and requalification figures grouped the referral events).

Each dashboard row carries its case's or referral's region, so a region's dashboard reads its
period's rows from one index, without going through the region's 130,000 referrals or 90,000
cases.
What SQL cannot compute the same way on both engines (local days: SQLite knows no time zone;
the answer's days as Python counts them) is derived from each recounted row in Python
(``Aggregate.derive``), in the refresh, the rebuild and the check alike.

Each change of an assessment, appointment, plan, referral, follow-up or case states a domain
event; the listeners in ``reports/listeners.py`` call ``refresh_cases``, ``refresh_follow_ups``
or ``refresh_referrals``, which recount the rows of the cases or referrals concerned in the
caller's transaction: they commit or roll back with the change. ``rebuild`` recounts everything
(``casework dashboard-aggregates --rebuild``, after a bulk load or a restore) and
``differences`` compares the tables with a full recount (``casework dashboard-aggregates``,
which exits 1 on any difference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, false, func, insert, or_, select
from sqlalchemy import case as sa_case
from sqlalchemy.orm import aliased

from casework.appointments.models import Appointment
from casework.assessments.models import OPEN_LEVELS, AssessedNeed, Assessment
from casework.cases.models import Case
from casework.core.time import utc_to_local
from casework.extensions import db
from casework.followups.models import FollowUpSituation
from casework.plans.models import Plan
from casework.reference.models import Need, Region
from casework.referrals.models import Referral, ReferralEvent
from casework.reports.models import (
    DashboardCaseMilestones,
    DashboardOpenNeed,
    DashboardReferralCohort,
    IndicatorReferral,
    IndicatorSituation,
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


# An appointment's outcome: the person came, or did not (the no-shows table's first appointments).
HELD_OR_MISSED = ("done", "no_show")


def _milestones(case_ids: Select | list[int] | None) -> Select:
    """(case, region, first appointment held, first plan finalised, first appointment held or
    missed: its start and id) of the cases with any of them. Of a case's appointments held or
    missed at the same first moment, the first booked (lowest id) is its first."""
    outcome = Appointment.status.in_(HELD_OR_MISSED)
    held = select(Appointment.case_id, func.min(Appointment.starts_at).label("at")).where(
        Appointment.status == "done"
    )
    plans = select(Plan.case_id, func.min(Plan.finalised_at).label("at")).where(
        Plan.finalised_at.is_not(None)
    )
    ended = select(Appointment.case_id, func.min(Appointment.starts_at).label("at")).where(outcome)
    cases = select(Case.id, Case.region_id)
    if case_ids is not None:
        held = held.where(Appointment.case_id.in_(case_ids))
        plans = plans.where(Plan.case_id.in_(case_ids))
        ended = ended.where(Appointment.case_id.in_(case_ids))
        cases = cases.where(Case.id.in_(case_ids))
    held = held.group_by(Appointment.case_id).subquery()
    plans = plans.group_by(Plan.case_id).subquery()
    ended = ended.group_by(Appointment.case_id).subquery()
    first_ended = (
        select(Appointment.case_id, func.min(Appointment.id).label("id"))
        .join(
            ended,
            and_(ended.c.case_id == Appointment.case_id, ended.c.at == Appointment.starts_at),
        )
        .where(outcome)
        .group_by(Appointment.case_id)
        .subquery()
    )
    cases = cases.subquery()
    return (
        select(cases.c.id, cases.c.region_id, held.c.at, plans.c.at, ended.c.at, first_ended.c.id)
        .outerjoin(held, held.c.case_id == cases.c.id)
        .outerjoin(plans, plans.c.case_id == cases.c.id)
        .outerjoin(ended, ended.c.case_id == cases.c.id)
        .outerjoin(first_ended, first_ended.c.case_id == cases.c.id)
        .where(or_(held.c.at.is_not(None), plans.c.at.is_not(None), ended.c.at.is_not(None)))
    )


def _local_day(moment: datetime | None) -> date | None:
    return utc_to_local(moment).date() if moment is not None else None


def _milestone_days(row: Any) -> tuple:
    """The recounted row, then the local days of the first appointment held and first plan."""
    _case_id, _region_id, held_at, plan_at, _ended_at, _ended_id = row
    return (*row, _local_day(held_at), _local_day(plan_at))


def _first(status: str | tuple[str, ...]) -> Any:
    """The first moment a referral reached ``status`` (one of them), NULL if it never did."""
    statuses = (status,) if isinstance(status, str) else status
    return func.min(
        sa_case((ReferralEvent.to_status.in_(statuses), ReferralEvent.occurred_at), else_=None)
    )


def _reached(status: str) -> Any:
    return func.max(sa_case((ReferralEvent.to_status == status, 1), else_=0))


def _cohorts(referral_ids: Select | list[int] | None) -> Select:
    """Of the referrals ever submitted for review: (referral, region, organisation, first
    submission, first sending, first answer, accepted, declined, completed). Once sent, a
    referral is answered once at most (referrals.TRANSITIONS), so the answer's delay is that
    of the first answer after the first sending."""
    statement = (
        select(
            ReferralEvent.referral_id,
            Referral.region_id,
            Referral.organisation_id,
            _first("submitted"),
            _first("sent"),
            _first(("accepted", "declined")),
            _reached("accepted"),
            _reached("declined"),
            _reached("completed"),
        )
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(
            ReferralEvent.to_status.in_(("submitted", "sent", "accepted", "declined", "completed"))
        )
    )
    if referral_ids is not None:
        statement = statement.where(ReferralEvent.referral_id.in_(referral_ids))
    return statement.group_by(
        ReferralEvent.referral_id, Referral.region_id, Referral.organisation_id
    ).having(_first("submitted").is_not(None))


def _cohort_stages(row: Any) -> tuple:
    referral, region, organisation, submitted, sent, answered, accepted, declined, completed = row
    # As referrals.response_days counts it (days and their fractions, in UTC).
    days = (answered - sent).total_seconds() / 86400 if sent and answered else None
    return (
        referral,
        region,
        organisation,
        submitted,
        sent is not None,
        bool(accepted),
        bool(declined),
        bool(completed),
        days,
    )


# --- The indicators' (reports/indicators.py) ---------------------------------------------

# The follow-up domains the indicators count (regionalisation, employment).
INDICATOR_DOMAINS = ("residence", "employment")
ILES_CODE = "11"


def in_iles_de_la_madeleine(code: Any, municipality: Any) -> Any:
    """Region 11 holds Gaspésie and Îles-de-la-Madeleine (DESIGN §3): the islands are the
    municipalities of Les Îles-de-la-Madeleine and Grosse-Île (``code``: the region's code)."""
    name = func.lower(func.coalesce(municipality, ""))
    return and_(
        code == ILES_CODE,
        or_(name.like("%madeleine%"), name.like("grosse%le")),
    )


def _standing_situations(case_ids: Select | list[int] | None) -> Select:
    """Per case, domain (``INDICATOR_DOMAINS``) and milestone, the situation that stands: the
    row with the greatest (observed_on, id) (followups/models.py)."""
    situation = FollowUpSituation
    rank = (
        func.row_number()
        .over(
            partition_by=(situation.case_id, situation.domain, situation.milestone),
            order_by=(situation.observed_on.desc(), situation.id.desc()),
        )
        .label("rank")
    )
    ranked = select(
        situation.case_id,
        situation.domain,
        situation.milestone,
        situation.id,
        situation.observed_on,
        situation.region_id,
        situation.municipality,
        situation.in_montreal_cmm,
        situation.employment_status,
        rank,
    ).where(situation.domain.in_(INDICATOR_DOMAINS), situation.milestone.is_not(None))
    if case_ids is not None:
        ranked = ranked.where(situation.case_id.in_(case_ids))
    ranked = ranked.subquery()
    settled = aliased(Region)
    iles = func.coalesce(in_iles_de_la_madeleine(settled.code, ranked.c.municipality), false())
    return (
        select(
            ranked.c.case_id,
            ranked.c.domain,
            ranked.c.milestone,
            ranked.c.id,
            ranked.c.observed_on,
            ranked.c.region_id,
            ranked.c.in_montreal_cmm,
            iles,
            ranked.c.employment_status,
        )
        .outerjoin(settled, settled.id == ranked.c.region_id)
        .where(ranked.c.rank == 1)
    )


# Leaving the draft: submitted for review, or sent where no review is needed.
LEFT_DRAFT = ("submitted", "sent")


def _left_draft(referral_ids: Select | list[int] | None) -> Select:
    """(referral, case, organisation, kind, first time it left its draft) of the referrals
    that left it."""
    statement = (
        select(
            ReferralEvent.referral_id,
            Referral.case_id,
            Referral.organisation_id,
            Referral.kind,
            func.min(ReferralEvent.occurred_at),
        )
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.to_status.in_(LEFT_DRAFT))
    )
    if referral_ids is not None:
        statement = statement.where(ReferralEvent.referral_id.in_(referral_ids))
    return statement.group_by(
        ReferralEvent.referral_id, Referral.case_id, Referral.organisation_id, Referral.kind
    )


BATCH = 5000  # rows per INSERT when a recount is derived in Python


@dataclass(frozen=True)
class Aggregate:
    name: str
    model: Any
    key: Any  # the column that names a case or a referral
    columns: tuple[str, ...]
    recount: Any  # ids (or None: all) → SELECT of rows (``columns`` order, unless derived)
    derive: Callable[[Any], tuple] | None = None  # a recounted row → the stored row

    def counted(self, ids: list[int] | None) -> Iterator[tuple]:
        """The rows a recount stores (in ``columns`` order), streamed."""
        statement = self.recount(ids)
        if ids is None:  # every row: streamed (a server-side cursor on PostgreSQL)
            statement = statement.execution_options(yield_per=BATCH)
        rows = db.session.execute(statement)
        if self.derive is None:
            return (tuple(row) for row in rows)
        return (self.derive(row) for row in rows)

    def store(self, ids: list[int] | None) -> None:
        """Insert the recounted rows (of ``ids``, or all) in the caller's transaction."""
        if self.derive is None:
            db.session.execute(
                insert(self.model).from_select(list(self.columns), self.recount(ids))
            )
            return
        batch: list[dict[str, Any]] = []
        for row in self.counted(ids):
            batch.append(dict(zip(self.columns, row, strict=True)))
            if len(batch) == BATCH:
                db.session.execute(insert(self.model), batch)
                batch = []
        if batch:
            db.session.execute(insert(self.model), batch)


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
        (
            "case_id",
            "region_id",
            "first_held_at",
            "first_plan_at",
            "first_outcome_at",
            "first_outcome_id",
            "first_held_on",
            "first_plan_on",
        ),
        _milestones,
        _milestone_days,
    ),
    Aggregate(
        "referral_cohorts",
        DashboardReferralCohort,
        DashboardReferralCohort.referral_id,
        (
            "referral_id",
            "region_id",
            "organisation_id",
            "first_submitted_at",
            "reached_sent",
            "reached_accepted",
            "reached_declined",
            "reached_completed",
            "answer_days",
        ),
        _cohorts,
        _cohort_stages,
    ),
    Aggregate(
        "indicator_situations",
        IndicatorSituation,
        IndicatorSituation.case_id,
        (
            "case_id",
            "domain",
            "milestone",
            "situation_id",
            "observed_on",
            "settled_region_id",
            "in_montreal_cmm",
            "in_iles",
            "employment_status",
        ),
        _standing_situations,
    ),
    Aggregate(
        "indicator_referrals",
        IndicatorReferral,
        IndicatorReferral.referral_id,
        ("referral_id", "case_id", "organisation_id", "kind", "first_left_at"),
        _left_draft,
    ),
)


def _named(*names: str) -> tuple[Aggregate, ...]:
    return tuple(a for a in AGGREGATES if a.name in names)


DASHBOARD = _named("open_needs", "case_milestones", "referral_cohorts")
BY_CASE = _named("open_needs", "case_milestones")
BY_FOLLOW_UP = _named("indicator_situations")
BY_REFERRAL = _named("referral_cohorts", "indicator_referrals")


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
        aggregate.store(ids)


def refresh_cases(case_ids: Iterable[int]) -> None:
    """Recount the open needs and milestones of these cases (in the caller's transaction)."""
    _refresh(BY_CASE, Case, case_ids)


def refresh_follow_ups(case_ids: Iterable[int]) -> None:
    """Recount the situations that stand for these cases at each milestone (in the caller's
    transaction)."""
    _refresh(BY_FOLLOW_UP, Case, case_ids)


def refresh_referrals_of_case(case_id: int) -> None:
    """A case moved to another region takes its referrals along: their cohort rows follow."""
    refresh_referrals(db.session.scalars(select(Referral.id).where(Referral.case_id == case_id)))


def refresh_referrals(referral_ids: Iterable[int]) -> None:
    """Recount when these referrals first left their draft and were first submitted, and the
    stages they reached since (in the caller's transaction)."""
    _refresh(BY_REFERRAL, Referral, referral_ids)


def rebuild() -> dict[str, int]:
    """Every aggregate recounted from the data (the caller commits); rows per table."""
    counts = {}
    for aggregate in AGGREGATES:
        db.session.execute(delete(aggregate.model))
        aggregate.store(None)
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


def differences(aggregates: Iterable[Aggregate] = AGGREGATES) -> list[Difference]:
    """What the stored aggregates and a full recount disagree on (empty when in step), read in
    the caller's transaction: ``casework dashboard-aggregates`` opens a repeatable-read one on
    PostgreSQL, so that a change committed between reading the stored rows and recounting them
    is no false difference."""
    found = []
    for aggregate in aggregates:
        columns = [getattr(aggregate.model, name) for name in aggregate.columns]
        stored = set(map(tuple, db.session.execute(select(*columns))))
        counted = set(aggregate.counted(None))
        found += [
            Difference(aggregate.name, row, True) for row in sorted(stored - counted, key=repr)
        ]
        found += [
            Difference(aggregate.name, row, False) for row in sorted(counted - stored, key=repr)
        ]
    return found
