"""Dashboard snapshots: the figures of a dashboard, computed once and shown for a few minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db


class DashboardSnapshot(db.Model):
    """One dashboard's figures for one scope and period. Counts and names only: the same
    aggregates the page shows, never a person."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (UniqueConstraint("scope_key", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(60))  # « all » or « regions:6 »
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- The dashboard's aggregates (reports/aggregates.py) ------------------------------------
# Kept in the transaction of each change that moves them, by the listeners of the domain
# events; ``casework dashboard-aggregates`` rebuilds them and checks them against a recount.


class DashboardOpenNeed(db.Model):
    """A case that is not closed whose latest assessment has an open need in ``domain_id``:
    one row per case and domain, with the case's region (« open needs by region and domain »)."""

    __tablename__ = "dashboard_open_needs"
    __table_args__ = (Index("ix_dashboard_open_needs_region_domain", "region_id", "domain_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))


class DashboardCaseMilestones(db.Model):
    """A case's first appointment held and first plan finalised (the dashboard's delays), and
    its first appointment held or missed (the no-shows table), with its region; a case with
    none of them has no row. The delays' moments are kept with their local days too: the delays
    are counted in Québec's days, and converting thousands of moments per dashboard was half of
    their time."""

    __tablename__ = "dashboard_case_milestones"
    # A region's period read from the index alone, for each measure (the delays, the no-shows).
    __table_args__ = (
        Index(
            "ix_dashboard_case_milestones_region_held",
            "region_id",
            "first_held_at",
            "first_held_on",
            "case_id",
        ),
        Index(
            "ix_dashboard_case_milestones_region_plan",
            "region_id",
            "first_plan_at",
            "first_plan_on",
            "first_held_on",
            "case_id",
        ),
        Index(
            "ix_dashboard_case_milestones_region_outcome",
            "region_id",
            "first_outcome_at",
            "first_outcome_id",
        ),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    first_held_at: Mapped[datetime | None] = mapped_column(index=True)
    first_plan_at: Mapped[datetime | None] = mapped_column(index=True)
    first_outcome_at: Mapped[datetime | None] = mapped_column(index=True)
    first_outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    first_held_on: Mapped[date | None] = mapped_column()
    first_plan_on: Mapped[date | None] = mapped_column()


class DashboardReferralCohort(db.Model):
    """When a referral was first submitted for review (the funnel's cohort), with its region
    and organisation, the later stages it reached and the days its organisation took to answer
    (from sending to acceptance or refusal); a referral never submitted has no row."""

    __tablename__ = "dashboard_referral_cohorts"
    # A region's funnel read from the index alone.
    __table_args__ = (
        Index(
            "ix_dashboard_referral_cohorts_funnel",
            "region_id",
            "first_submitted_at",
            "organisation_id",
            "reached_sent",
            "reached_accepted",
            "reached_declined",
            "reached_completed",
            "answer_days",
        ),
    )

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    first_submitted_at: Mapped[datetime] = mapped_column(index=True)
    reached_sent: Mapped[bool] = mapped_column(default=False)
    reached_accepted: Mapped[bool] = mapped_column(default=False)
    reached_declined: Mapped[bool] = mapped_column(default=False)
    reached_completed: Mapped[bool] = mapped_column(default=False)
    answer_days: Mapped[float | None] = mapped_column()


# --- The indicators' aggregates (reports/aggregates.py) ------------------------------------
# What the action plan's indicators (reports/indicators.py) would otherwise recompute from
# every follow-up and referral event: kept the same way as the dashboard's.


class IndicatorSituation(db.Model):
    """The situation that stands for a case at a follow-up milestone, in the domains the
    indicators count (``INDICATOR_DOMAINS``): the row of that milestone with the greatest
    (observed_on, id) (followups/models.py), with the columns the indicators read. A case not
    asked in that domain at that milestone has no row."""

    __tablename__ = "indicator_situations"
    # A milestone's period read from the index alone, whatever the indicator asks of the row.
    __table_args__ = (
        Index(
            "ix_indicator_situations_period",
            "domain",
            "milestone",
            "observed_on",
            "settled_region_id",
            "in_montreal_cmm",
            "in_iles",
            "employment_status",
            "case_id",
        ),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    domain: Mapped[str] = mapped_column(String(20), primary_key=True)
    milestone: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    situation_id: Mapped[int] = mapped_column(
        ForeignKey("follow_up_situations.id", ondelete="CASCADE")
    )
    observed_on: Mapped[date] = mapped_column(Date)
    # residence: the region and whether it lies outside the CMM or on the islands
    settled_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    in_montreal_cmm: Mapped[bool | None] = mapped_column()
    in_iles: Mapped[bool] = mapped_column(default=False)  # Îles-de-la-Madeleine (region 11)
    employment_status: Mapped[str | None] = mapped_column(String(30))


class IndicatorReferral(db.Model):
    """When a referral first left its draft (submitted for review, or sent where no review is
    needed), with its case, organisation and kind: the francisation and requalification
    indicators count the persons referred in a period by it. A draft has no row."""

    __tablename__ = "indicator_referrals"
    __table_args__ = (
        Index("ix_indicator_referrals_kind", "kind", "first_left_at", "case_id", "referral_id"),
        Index(
            "ix_indicator_referrals_organisation",
            "organisation_id",
            "first_left_at",
            "case_id",
            "referral_id",
        ),
    )

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(20))
    first_left_at: Mapped[datetime] = mapped_column()
