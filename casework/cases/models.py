"""A person, their household, their case, and what happens on it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.db import written_in_sql
from casework.core.time import utcnow
from casework.extensions import db

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.reference.models import Need, Region, ServicePoint


class Person(db.Model):
    """The immigrant. Names are stored exactly as written; folded copies serve search and matching."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_family_key_birth", "family_phonetic", "date_of_birth"),
        Index("ix_persons_birth", "date_of_birth"),
        # One person per MIFI client number; many persons without one (a unique index allows
        # any number of NULLs on SQLite and PostgreSQL alike).
        Index("uq_persons_mifi_client_number", "mifi_client_number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(20))
    country_of_birth: Mapped[str | None] = mapped_column(String(2))
    citizenships: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages_spoken: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_language: Mapped[str | None] = mapped_column(String(3))
    french_level_self: Mapped[str | None] = mapped_column(String(20))
    french_level_scale: Mapped[int | None] = mapped_column()  # Québec scale, 1–12
    immigration_category: Mapped[str] = mapped_column(String(30))
    arrival_date: Mapped[date | None] = mapped_column(Date)
    permanent_residence_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(120))
    destination_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    destination_city: Mapped[str | None] = mapped_column(String(120))
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    # Intake that can be followed (issue 19): the ministry's client number, schooling, the
    # profession in the country of origin (a CNP code of the stored occupations, with its
    # classification's version), the situation at intake and, for temporary residents and
    # students, when their permit and CAQ expire.
    mifi_client_number: Mapped[str | None] = mapped_column(String(20))
    education_level: Mapped[str | None] = mapped_column(String(20))
    field_of_study: Mapped[str | None] = mapped_column(String(200))
    origin_cnp: Mapped[str | None] = mapped_column(String(5))
    origin_cnp_version: Mapped[str | None] = mapped_column(String(4))
    employment_status: Mapped[str | None] = mapped_column(String(30))
    permit_expires_on: Mapped[date | None] = mapped_column(Date)
    caq_expires_on: Mapped[date | None] = mapped_column(Date)
    # Folded copies for duplicate detection (accent- and case-insensitive, spelling-tolerant).
    name_key: Mapped[str] = mapped_column(String(400), index=True)
    family_phonetic: Mapped[str] = mapped_column(String(12))
    given_phonetic: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    destination_region: Mapped[Region | None] = relationship("Region")

    __mapper_args__ = {"version_id_col": version}
    audit_type = "person"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_agent_status", "agent_id", "status"),
        Index("ix_cases_region_status", "region_id", "status"),
        # The caseload's default order (newest first), per agent and per region.
        Index("ix_cases_agent_opened", "agent_id", "opened_at", "id"),
        Index("ix_cases_region_opened", "region_id", "opened_at", "id"),
        # ...and across regions: a directorate's several regions are walked in that order.
        Index("ix_cases_opened", "opened_at", "id"),
        # An agent's overdue follow-ups (home, caseload filter): a range, not the whole caseload.
        Index("ix_cases_agent_follow_up", "agent_id", "next_follow_up_on"),
        # The dashboard's caseload by agent: a region's active cases counted from the index alone.
        Index(
            "ix_cases_region_status_agent_follow_up",
            "region_id",
            "status",
            "agent_id",
            "next_follow_up_on",
        ),
        # The public number is built from the id: SQLite must never reuse one after a deletion.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    origin: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    closing_reason: Mapped[str | None] = mapped_column(String(30))
    closing_summary: Mapped[str | None] = mapped_column(Text)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    # Set by the retention job: the person's identity and the free text are gone for good.
    anonymised_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship()
    agent = relationship("User")
    region: Mapped[Region] = relationship("Region")
    service_point: Mapped[ServicePoint] = relationship("ServicePoint")
    household: Mapped[list[HouseholdMember]] = relationship(
        back_populates="case", order_by="HouseholdMember.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    audit_type = "case"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


class HouseholdMember(db.Model):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    relationship_to_person: Mapped[str] = mapped_column("relationship", String(20))
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # A member is a person of their own: their immigration category (None: the principal
    # person's), their French level on the Québec scale (1–12) and their needs where assessed.
    immigration_category: Mapped[str | None] = mapped_column(String(30))
    french_level_scale: Mapped[int | None] = mapped_column()
    # An edit made in two tabs: the second is refused (409), not silently laid over the first.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    case: Mapped[Case] = relationship(back_populates="household")
    needs: Mapped[list[HouseholdMemberNeed]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="HouseholdMemberNeed.id"
    )

    def category_or(self, principal: str) -> str:
        """The member's own category, else the principal person's (a family applies together)."""
        return self.immigration_category or principal

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    __mapper_args__ = {"version_id_col": version}


class HouseholdMemberNeed(db.Model):
    """A need of a household member, from the same catalogue as the person's assessment."""

    __tablename__ = "household_member_needs"
    __table_args__ = (UniqueConstraint("member_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("household_members.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[HouseholdMember] = relationship(back_populates="needs")
    need: Mapped[Need] = relationship("Need")


class Interaction(db.Model):
    """One entry of the case timeline: a note, a call, a meeting, an e-mail."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_case_time", "case_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column()
    duration_minutes: Mapped[int | None] = mapped_column()
    mode: Mapped[str | None] = mapped_column(String(20))
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    interpreter_remote: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User")


class Consent(db.Model):
    """Express consent for one purpose; withdrawal is recorded on the same row, never deleted."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_case_purpose", "case_id", "purpose"),
        # At most one consent in force per purpose, even when two tabs record it at once.
        Index(
            "uq_consents_in_force",
            "case_id",
            "purpose",
            unique=True,
            sqlite_where=text("withdrawn_on IS NULL"),
            postgresql_where=text("withdrawn_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30))
    given_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


# Compared with the status that the pending transfers' partial index names (core.db).
PENDING_TRANSFER = written_in_sql("pending")


class CaseTransfer(db.Model):
    """A case moves to another agent (and region) only when the receiving agent accepts."""

    __tablename__ = "case_transfers"
    __table_args__ = (
        # At most one transfer awaiting an answer per case.
        Index(
            "uq_case_transfers_pending",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()

    case: Mapped[Case] = relationship()
    from_agent = relationship("User", foreign_keys=[from_agent_id])
    to_agent = relationship("User", foreign_keys=[to_agent_id])

    @property
    def user_id(self) -> int:
        """Whose answer this transfer awaits (the SELF scope of « transfers.respond »)."""
        return self.to_agent_id


class CaseSearchEntry(db.Model):
    """Folded words of a case (names, number, e-mail, phone) for accent-insensitive search.

    On SQLite an FTS5 index mirrors this table (see the migration); on PostgreSQL the table has
    a stored ``search_vector`` column (``to_tsvector('simple', document)``, computed by the
    database on every write of the row; migration 0032) with a GIN index, serving the same
    queries. Neither has a model attribute (``setup.HAND_MADE_SEARCH_OBJECTS``).
    """

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)
