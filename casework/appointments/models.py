"""Availability, appointments and the slot claims that make double booking impossible."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, Time, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.core.time import utcnow
from casework.extensions import db
from casework.reference.models import _localised

if TYPE_CHECKING:  # relationships to other packages name their target by string
    from casework.reference.models import Region, ServicePoint


class AppointmentType(db.Model):
    """First interview, follow-up…: the duration is configurable by an administrator."""

    __tablename__ = "appointment_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))
    duration_minutes: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    audit_type = "appointment_type"

    @property
    def label(self) -> str:
        return _localised(self.name, self.name_en)


class AvailabilityWindow(db.Model):
    """A weekly recurring period when an agent receives people at a service point."""

    __tablename__ = "availability_windows"
    __table_args__ = (Index("ix_availability_agent_weekday", "agent_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    # Copied from the service point so that a supervisor's scope is checked without a join.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    weekday: Mapped[int] = mapped_column()  # Monday = 0
    starts_at: Mapped[time] = mapped_column(Time)  # local wall-clock time
    ends_at: Mapped[time] = mapped_column(Time)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    interpreter_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    remote_interpretation: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    agent = relationship("User")
    service_point: Mapped[ServicePoint] = relationship("ServicePoint")

    audit_type = "availability"

    @property
    def user_id(self) -> int:
        return self.agent_id

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )


class AvailabilityException(db.Model):
    """Leave, holiday, training: no slot is offered on these days."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (Index("ix_availability_exceptions_agent_days", "agent_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agent = relationship("User", foreign_keys=[agent_id])

    audit_type = "availability_exception"

    @property
    def user_id(self) -> int:
        return self.agent_id

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_agent_starts", "agent_id", "starts_at"),
        Index("ix_appointments_region_starts", "region_id", "starts_at"),
        # The dashboard's appointments held in a period; the indicators' persons served, from
        # the index alone.
        Index("ix_appointments_status_starts", "status", "starts_at", "case_id"),
        # The indicators' appointments held under the remote interpretation pilot.
        Index(
            "ix_appointments_pilot_status_starts",
            "interpretation_pilot",
            "status",
            "starts_at",
            "case_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    mode: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column()  # UTC
    ends_at: Mapped[datetime] = mapped_column()  # UTC
    status: Mapped[str] = mapped_column(String(20), default="booked")
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    remote_interpretation: Mapped[bool] = mapped_column(default=False)
    # Held under the remote-interpretation pilot (its regions: seed/regions.yaml).
    interpretation_pilot: Mapped[bool] = mapped_column(default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(20))  # airport | agent
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancel_reason: Mapped[str | None] = mapped_column(String(30))
    cancel_comment: Mapped[str | None] = mapped_column(Text)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_at: Mapped[datetime | None] = mapped_column()
    # Set by a no-show: the reminders feature turns it into a follow-up call, then clears it.
    follow_up_needed: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    case = relationship("Case")
    agent = relationship("User", foreign_keys=[agent_id])
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    service_point: Mapped[ServicePoint] = relationship("ServicePoint")
    region: Mapped[Region] = relationship("Region")
    type: Mapped[AppointmentType] = relationship()

    __mapper_args__ = {"version_id_col": version}
    audit_type = "appointment"

    @property
    def is_open(self) -> bool:
        return self.status == "booked"


class SlotClaim(db.Model):
    """One row per quarter hour an appointment occupies in its agent's calendar.

    The primary key (agent, quarter hour) is the guarantee against double booking: two bookings
    that overlap, from two counters at the same instant, cannot both insert their claims.
    """

    __tablename__ = "slot_claims"

    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, on the quarter hour
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )

    appointment: Mapped[Appointment] = relationship()


class AirportBooking(db.Model):
    """What airport staff entered at the counter: all they may see again of this person."""

    __tablename__ = "airport_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    booked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    flight_type: Mapped[str] = mapped_column(String(20))  # international | domestic
    arrival_date: Mapped[date] = mapped_column(Date)
    immigration_category: Mapped[str] = mapped_column(String(30))
    destination_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    destination_city: Mapped[str | None] = mapped_column(String(120))
    host_city: Mapped[str | None] = mapped_column(String(80))  # refugees received in a host city
    preferred_language: Mapped[str | None] = mapped_column(String(3))
    interpreter_language: Mapped[str | None] = mapped_column(String(3))
    contact: Mapped[str] = mapped_column(String(254))
    possible_duplicates: Mapped[int] = mapped_column(default=0)
    # The appointment as booked at the counter: the slip and the .ics show this, not what the
    # agent may change later (that belongs to the case file).
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    mode: Mapped[str | None] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(200))
    remote_interpretation: Mapped[bool] = mapped_column(default=False, server_default="0")

    appointment: Mapped[Appointment] = relationship()
    booked_by = relationship("User")
    destination_region = relationship("Region")

    audit_type = "airport_booking"

    @property
    def is_refugee_arrival(self) -> bool:
        return self.host_city is not None

    @property
    def user_id(self) -> int:
        """Airport staff reopen their own bookings only."""
        return self.booked_by_id


class AirportReception(db.Model):
    """A refugee in the airport service's care, welcomed at the airport and looked after until
    they leave Montréal for their host city (Encadré 2, l. 387–390), recorded without a
    booking. The airport team's shared list: what it entered, never a case file."""

    __tablename__ = "airport_receptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    immigration_category: Mapped[str] = mapped_column(String(30))  # gar | psr
    arrival_date: Mapped[date] = mapped_column(Date)
    destination_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    host_city: Mapped[str] = mapped_column(String(120))
    welcomed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    welcomed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    left_at: Mapped[datetime | None] = mapped_column()
    left_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    destination_region = relationship("Region")
    welcomed_by = relationship("User", foreign_keys=[welcomed_by_id])

    __mapper_args__ = {"version_id_col": version}
    audit_type = "airport_reception"

    @property
    def in_care(self) -> bool:
        return self.left_at is None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"


class ExpectedArrival(db.Model):
    """A person the ministry's systems say will land at Montréal-Trudeau (posted through the
    API, issue 22): the airport console lists them, and one step turns an arrival into a case
    and a first appointment. Personal data: every read is audited, and an arrival never received
    is purged after ``ARRIVAL_RETENTION_DAYS`` (docs/privacy.md)."""

    __tablename__ = "expected_arrivals"
    __table_args__ = (Index("ix_expected_arrivals_status_arrives_at", "status", "arrives_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    flight_number: Mapped[str] = mapped_column(String(10))
    flight_type: Mapped[str] = mapped_column(String(20))  # international | domestic
    arrives_at: Mapped[datetime] = mapped_column()  # UTC
    immigration_category: Mapped[str] = mapped_column(String(30))
    destination_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    destination_city: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="expected")  # expected | received
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime | None] = mapped_column()
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("airport_bookings.id", ondelete="SET NULL")
    )

    destination_region: Mapped[Region] = relationship("Region")

    audit_type = "expected_arrival"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def is_expected(self) -> bool:
        return self.status == "expected"
