"""An action plan: one version per (re)generation; a finalised version is then followed up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.models import _localised

ACTION_STATUSES = ("todo", "in_progress", "done", "abandoned")
ASSIGNEES = ("agent", "person")


class Plan(db.Model):
    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        # The dashboard's plans finalised in a period.
        Index("ix_plans_finalised_at", "finalised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | final
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column()
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    actions: Mapped[list[PlanAction]] = relationship(
        back_populates="plan", order_by="PlanAction.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    audit_type = "plan"

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


class PlanAction(db.Model):
    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"))
    level: Mapped[str | None] = mapped_column(String(10))
    objective: Mapped[str] = mapped_column(String(300))
    objective_en: Mapped[str | None] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str | None] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(30), default="none")
    # The consent purpose the action needs before it is done (from its rule), if any.
    consent_purpose: Mapped[str | None] = mapped_column(String(30))
    assignee: Mapped[str] = mapped_column(String(10), default="agent")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="todo")
    abandon_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column()
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    plan: Mapped[Plan] = relationship(back_populates="actions")

    @property
    def title(self) -> str:
        """The action's label in the reader's language (French when no English was written)."""
        return _localised(self.label, self.label_en)
