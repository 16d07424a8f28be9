"""Follow-up interviews and the situation they record (issue 19, point 1).

Three append-only tables; nothing in them is ever updated (a correction is a newer row):

- ``follow_ups``: one interview. ``held_on`` (local date), ``milestone`` (3, 6, 12 or 24 months
  after arrival, or NULL for a follow-up « at any time »), ``months_since_arrival`` (whole
  months from ``persons.arrival_date`` to ``held_on``, NULL without an arrival date), the
  agent, the case's region at the time (indicators are per region), the mode, the interpreter
  language and the remote-interpretation pilot flag (like appointments and assessments).
- ``follow_up_situations``: one row per domain the interview recorded (``domain`` is one of
  ``DOMAINS``), with the typed columns of that domain (the others stay NULL). Copies of the
  follow-up's ``case_id``, ``observed_on`` and ``milestone`` make indicators one-table
  queries with no join.
- ``objective_reviews``: a plan action's objective judged met, partly met or not met, by
  the follow-up that judged it.

The situation at 6 months (what the indicators count): for each case, per domain, the row of
the follow-up whose milestone is 6; where several follow-ups carry that milestone, the latest
(``observed_on`` then ``id``)::

    select(FollowUpSituation).where(
        FollowUpSituation.domain == "residence", FollowUpSituation.milestone == 6
    )  # then keep the greatest (observed_on, id) per case_id (a window or a max subquery)

The latest known situation of a case (what the form pre-fills and the case page shows): per
domain, the row with the greatest (``observed_on``, ``id``) (``operations.latest_situation``).
A case with no row for a domain at a milestone was not asked: it is left out of the rates'
denominators, not counted as « no ».
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db

MILESTONES = (3, 6, 12, 24)
DOMAINS = (
    "housing",
    "french",
    "employment",
    "residence",
    "children",
    "integration",
    "immigration",
)
HOUSING_STATUSES = ("stable", "temporary", "at_risk")
# Francisation formats (DESIGN.md §3): in class full or part time, online, distance classes
# shared by several sites, courses at the workplace.
FRENCH_FORMATS = ("full_time", "part_time", "online", "distance", "workplace")
# The same list as the intake's (cases.choices.EMPLOYMENT_STATUSES), so that they compare.
EMPLOYMENT_STATUSES = (
    "employed_in_field",
    "employed_outside_field",
    "requalification",
    "looking_for_work",
    "studying",
    "not_in_labour_force",
)
CHILDREN_STATUSES = ("all_in_school_or_daycare", "some", "none", "waiting_list")
INTEGRATION_STATUSES = ("attestation_obtained", "session_enrolled", "not_started")
OBJECTIVE_VERDICTS = ("met", "partly_met", "not_met")


class FollowUp(db.Model):
    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_case_held", "case_id", "held_on", "id"),
        # Indicators: a region's follow-ups at a milestone, in a period.
        Index("ix_follow_ups_region_milestone_held", "region_id", "milestone", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    milestone: Mapped[int | None] = mapped_column(SmallInteger)  # MILESTONES, or NULL
    months_since_arrival: Mapped[int | None] = mapped_column(SmallInteger)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    mode: Mapped[str | None] = mapped_column(String(20))  # cases.choices.MODES
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    interpretation_pilot: Mapped[bool] = mapped_column(default=False)
    # The « follow-up due » reminder the interview answered, when it came from one.
    reminder_id: Mapped[int | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    situations: Mapped[list[FollowUpSituation]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan", order_by="FollowUpSituation.id"
    )
    reviews: Mapped[list[ObjectiveReview]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan", order_by="ObjectiveReview.id"
    )
    agent = relationship("User")

    audit_type = "follow_up"


class FollowUpSituation(db.Model):
    """The situation in one domain, as observed at one follow-up (see the module's docstring)."""

    __tablename__ = "follow_up_situations"
    __table_args__ = (
        Index("ix_follow_up_situations_case_domain", "case_id", "domain", "observed_on", "id"),
        Index("ix_follow_up_situations_domain_milestone", "domain", "milestone", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(20))  # DOMAINS
    observed_on: Mapped[date] = mapped_column(Date)
    milestone: Mapped[int | None] = mapped_column(SmallInteger)
    # housing
    housing_status: Mapped[str | None] = mapped_column(String(20))  # HOUSING_STATUSES
    # french
    french_enrolled: Mapped[bool | None] = mapped_column()
    french_level: Mapped[int | None] = mapped_column(SmallInteger)  # Québec scale, 1–12
    french_provider: Mapped[str | None] = mapped_column(String(200))  # where
    french_format: Mapped[str | None] = mapped_column(String(20))  # FRENCH_FORMATS
    # employment
    employment_status: Mapped[str | None] = mapped_column(String(30))  # EMPLOYMENT_STATUSES
    employment_cnp: Mapped[str | None] = mapped_column(String(8))
    employment_cnp_version: Mapped[str | None] = mapped_column(String(4))  # 2016 | 2021
    # residence
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    municipality: Mapped[str | None] = mapped_column(String(120))
    # Whether the municipality lies in the Communauté métropolitaine de Montréal (cmm.py),
    # computed when recorded: « living outside the CMM » is ``in_montreal_cmm IS false``.
    in_montreal_cmm: Mapped[bool | None] = mapped_column()
    # children
    children_status: Mapped[str | None] = mapped_column(String(30))  # CHILDREN_STATUSES
    # integration (Objectif Intégration)
    integration_status: Mapped[str | None] = mapped_column(String(30))  # INTEGRATION_STATUSES
    integration_attested_on: Mapped[date | None] = mapped_column(Date)
    # immigration
    permanent_resident: Mapped[bool | None] = mapped_column()
    permanent_residence_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    follow_up: Mapped[FollowUp] = relationship(back_populates="situations")
    region = relationship("Region")


class ObjectiveReview(db.Model):
    """A plan action's objective judged at a follow-up; the latest judgement stands."""

    __tablename__ = "objective_reviews"
    __table_args__ = (Index("ix_objective_reviews_action", "plan_action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    plan_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="SET NULL")
    )
    objective: Mapped[str] = mapped_column(String(300))  # as worded when judged
    verdict: Mapped[str] = mapped_column(String(12))  # OBJECTIVE_VERDICTS
    comment: Mapped[str | None] = mapped_column(Text)

    follow_up: Mapped[FollowUp] = relationship(back_populates="reviews")
