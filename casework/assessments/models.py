"""A needs assessment: one version per (re-)assessment of a case; completed versions are frozen."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.reference.models import Domain, Need

LEVELS = ("none", "low", "moderate", "high", "urgent")
OPEN_LEVELS = ("low", "moderate", "high", "urgent")


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        # The indicators' interviews held under the remote interpretation pilot.
        Index(
            "ix_assessments_pilot_interview", "interpretation_pilot", "interview_date", "case_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # 1 for the first assessment, 2 for the next…
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | completed
    interview_date: Mapped[date | None] = mapped_column(Date)
    interview_mode: Mapped[str | None] = mapped_column(String(20))
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    interpreter_remote: Mapped[bool] = mapped_column(default=False)
    # Made under the remote-interpretation pilot (its regions: seed/regions.yaml).
    interpretation_pilot: Mapped[bool] = mapped_column(default=False, server_default=false())
    requalification_interest: Mapped[bool] = mapped_column(default=False)
    current_occupation: Mapped[str | None] = mapped_column(String(200))
    current_cnp: Mapped[str | None] = mapped_column(String(8))
    target_cnp: Mapped[str | None] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    needs: Mapped[list[AssessedNeed]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    domain_notes: Mapped[list[DomainAssets]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    audit_type = "assessment"

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


class AssessedNeed(db.Model):
    __tablename__ = "assessed_needs"
    __table_args__ = (UniqueConstraint("assessment_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="none")
    notes: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="needs")
    need: Mapped[Need] = relationship("Need")


class DomainAssets(db.Model):
    """The person's assets in one domain: diplomas, experience, languages, network."""

    __tablename__ = "assessment_domain_assets"
    __table_args__ = (UniqueConstraint("assessment_id", "domain_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"))
    assets: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="domain_notes")
    domain: Mapped[Domain] = relationship("Domain")
