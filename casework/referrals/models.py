"""A referral, the trail of its transitions, and the register of what was disclosed to whom."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.reference.models import Organisation


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_region_status", "region_id", "status"),
        Index("ix_referrals_organisation_status", "organisation_id", "status"),
        # The queue's order (most recently changed first), per region (and status) and agent.
        Index("ix_referrals_region_status_updated", "region_id", "status", "updated_at", "id"),
        Index("ix_referrals_region_updated", "region_id", "updated_at", "id"),
        Index("ix_referrals_agent_updated", "agent_id", "updated_at", "id"),
        # A partner's synchronisation (the API), in the order of the changes.
        Index("ix_referrals_organisation_updated", "organisation_id", "updated_at", "id"),
        # The agent's home: their referrals sent and not yet answered.
        Index("ix_referrals_agent_status", "agent_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    plan_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Copied from the case when created: the scopes of agents and advisors are checked on them.
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    purpose: Mapped[str] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(Text)
    # « requalification » for the MTESS referral of Encadré 8, which carries its own details.
    kind: Mapped[str] = mapped_column(String(20), default="service")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    last_comment: Mapped[str | None] = mapped_column(Text)
    # The agent's note for the reviewer and the organisation (sent with the referral).
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship("Organisation")
    case = relationship("Case")
    agent = relationship("User", foreign_keys=[agent_id])
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    audit_type = "referral"


class ReferralEvent(db.Model):
    """One transition: who moved the referral from which status to which, when, and why."""

    __tablename__ = "referral_events"
    # The dashboard's funnel: the referrals submitted in a period.
    __table_args__ = (Index("ix_referral_events_status_occurred", "to_status", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor = relationship("User")


class Disclosure(db.Model):
    """The register of disclosures: what categories of information went to whom, when, why."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A referral's organisation, or another recipient named in ``recipient`` (the SMS gateway
    # that receives the person's number to text them).
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    recipient: Mapped[str | None] = mapped_column(String(120))
    disclosed_at: Mapped[datetime] = mapped_column(default=utcnow)
    disclosed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_basis: Mapped[str] = mapped_column(String(200))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id", ondelete="SET NULL"))


class ApprovalRule(db.Model):
    """Whether a referral of ``kind`` in a region needs an advisor's approval before it is sent.
    No row: it does (the default). Advisors are concertation and partnership staff (l. 392–411);
    an administrator may let the agents of a region send some referrals directly."""

    __tablename__ = "referral_approval_rules"
    __table_args__ = (UniqueConstraint("region_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # service | requalification
    required: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    audit_type = "referral_approval_rule"


# What a completed referral led to (issue 19, point 4), by the referral's outcome family.
OUTCOME_KINDS = {
    "francisation": ("enrolled",),
    # Encadré 8: training started, then finished, then a job in the target occupation.
    "requalification": ("training_started", "training_finished", "job_obtained"),
    "employment": ("job_obtained",),
}


class ReferralOutcome(db.Model):
    """What happened after a referral, as reported or checked: append-only history, the latest
    row of a (referral, kind) stands. The partner reports it when marking the referral
    completed (``source`` partner, ``verdict`` reported); a follow-up confirms it (``confirmed``)
    or corrects it (``corrected``, with the values found), naming itself in ``follow_up_id``."""

    __tablename__ = "referral_outcomes"
    __table_args__ = (
        Index("ix_referral_outcomes_referral_kind", "referral_id", "kind", "id"),
        Index("ix_referral_outcomes_kind_occurred", "kind", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # enrolled | training_started | training_finished | job_obtained (OUTCOME_KINDS)
    kind: Mapped[str] = mapped_column(String(20))
    # False: the follow-up found it did not happen (a correction).
    happened: Mapped[bool] = mapped_column(default=True)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    # Francisation: the course format (followups.models.FRENCH_FORMATS).
    course_format: Mapped[str | None] = mapped_column(String(20))
    # Employment: the job's CNP code and its classification version (2016 | 2021).
    cnp: Mapped[str | None] = mapped_column(String(8))
    cnp_version: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(10))  # partner | follow_up
    verdict: Mapped[str] = mapped_column(
        String(10), default="reported"
    )  # reported|confirmed|corrected
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="SET NULL")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
