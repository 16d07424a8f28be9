"""Booking, rescheduling, cancelling and closing appointments; agents' availability.

Double booking is prevented by the database: each appointment inserts one ``slot_claims`` row
per quarter hour under the primary key (agent, quarter hour). The slot check before it only
gives a helpful message; the insert is what decides when two counters book at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from casework.appointments import airport
from casework.appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentOutcomeRecorded,
    AppointmentRescheduled,
    PhoneMarkedLandline,
)
from casework.appointments.models import (
    AirportBooking,
    Appointment,
    AppointmentType,
    SlotClaim,
)
from casework.appointments.slots import (
    Slot,
    SlotQuery,
    SlotRef,
    find_slots,
    local_wall_to_utc,
    offered_slot,
    units,
)
from casework.cases import choices as case_choices
from casework.cases.duplicates import find_duplicates
from casework.cases.models import Case
from casework.cases.operations import PersonFields, open_case, record_consent
from casework.cases.retention import run
from casework.core import audit
from casework.core.domain import Checks, Conflict, DomainError, StaleEdit
from casework.core.events import emit
from casework.core.formats import PHONE_MESSAGE, normal_phone
from casework.core.roles import Role
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.reference.models import Region, ServicePoint

STATUSES = {
    "booked": _l("Booked"),
    "done": _l("Done"),
    "no_show": _l("No-show"),
    "cancelled": _l("Cancelled"),
}
OUTCOMES = ("done", "no_show")
CANCEL_REASONS = {
    "person_request": _l("At the person's request"),
    "agent_unavailable": _l("Agent unavailable"),
    "moved": _l("The person moved to another region"),
    "duplicate": _l("Booked twice for the same person"),
    "other": _l("Other reason"),
}
FLIGHT_TYPES = {"international": _l("International"), "domestic": _l("Domestic")}
EXCEPTION_KINDS = {
    "leave": _l("Leave"),
    "holiday": _l("Public holiday"),
    "training": _l("Training"),
    "other": _l("Other"),
}
MODES = case_choices.MODES
# People book at the counter on the day they land; a little slack covers late-night flights.
ARRIVAL_DAYS_AHEAD = 1
ARRIVAL_DAYS_BACK = 30
MAX_DURATION = 240


class AppointmentError(DomainError):
    """A rule about appointments or availability was broken."""


class NotOpen(AppointmentError, Conflict):
    """The appointment is already done, missed or cancelled (answered with 409)."""


class SlotUnavailable(AppointmentError):
    """The slot is not (or no longer) free; ``alternatives`` are the next free ones."""

    def __init__(self, message: Any, alternatives: list[Slot], conflict: bool = False):
        super().__init__(message)  # shown as a message: the slot list has no field of its own
        self.alternatives = alternatives
        self.conflict = conflict  # taken by a booking that committed first (409), not refused


class DuplicateSuspected(AppointmentError):
    """Existing files look like this person; the counter must confirm before booking."""

    def __init__(self, count: int):
        super().__init__(
            _l(
                "%(count)d existing file(s) look like this person. Check with the person; "
                "book only if it is someone else.",
                count=count,
            ),
            "duplicates_checked",
        )
        self.count = count


# --- Types ----------------------------------------------------------------------------------


def appointment_types() -> list[AppointmentType]:
    return list(
        db.session.scalars(
            select(AppointmentType)
            .where(AppointmentType.active.is_(True))
            .order_by(AppointmentType.position)
        )
    )


def appointment_type(code: str) -> AppointmentType:
    found = db.session.scalar(select(AppointmentType).where(AppointmentType.code == code))
    if found is None or not found.active:
        raise AppointmentError(_l("Choose a type of appointment."), "type_code")
    return found


def update_type(
    actor: Any, kind: AppointmentType, duration_minutes: int, expected_version: int
) -> None:
    if kind.version != expected_version:
        raise StaleEdit()
    if not 15 <= duration_minutes <= MAX_DURATION or duration_minutes % 15:
        raise AppointmentError(
            _l("A duration is a multiple of 15 minutes, from 15 to %(max)d.", max=MAX_DURATION),
            "duration_minutes",
        )
    if kind.duration_minutes != duration_minutes:
        before = kind.duration_minutes
        kind.duration_minutes = duration_minutes
        db.session.flush()
        audit.record(actor, "appointment_type.updated", kind, before=before, after=duration_minutes)


# --- Booking --------------------------------------------------------------------------------


def _query_for(
    kind: AppointmentType, mode: str, language: str | None, **narrowing: Any
) -> SlotQuery:
    if mode not in MODES:
        raise AppointmentError(_l("Choose how the meeting takes place."), "mode")
    return SlotQuery(
        duration=timedelta(minutes=kind.duration_minutes),
        mode=mode,
        language=language,
        **narrowing,
    )


def _alternatives(query: SlotQuery) -> list[Slot]:
    return find_slots(query, limit=5)


def _require_offered(query: SlotQuery, ref: SlotRef | None) -> Slot:
    slot = offered_slot(query, ref) if ref is not None else None
    if slot is None:
        raise SlotUnavailable(
            _l(
                "This slot is not offered: it is past, outside the agent's availability or "
                "already taken. Choose one of the next free slots."
            ),
            _alternatives(query),
        )
    return slot


def _claim(appointment: Appointment, query: SlotQuery) -> None:
    """Insert the claims in a savepoint: the loser of a race gets SlotUnavailable, no half-write."""
    duration = appointment.ends_at - appointment.starts_at
    try:
        with db.session.begin_nested():
            db.session.add_all(
                SlotClaim(agent_id=appointment.agent_id, starts_at=unit, appointment=appointment)
                for unit in units(appointment.starts_at, duration)
            )
    except IntegrityError:
        raise SlotUnavailable(
            _l("Someone booked this slot a moment ago. Here are the next free slots."),
            _alternatives(query),
            conflict=True,
        ) from None


def _new_appointment(
    actor: Any, case: Case, slot: Slot, kind: AppointmentType, channel: str
) -> Appointment:
    return Appointment(
        case=case,
        agent_id=slot.agent_id,
        region_id=case.region_id,
        service_point_id=slot.service_point_id,
        type=kind,
        mode=slot.mode,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status="booked",
        interpreter_language=slot.interpreter_language,
        remote_interpretation=slot.remote_interpretation,
        channel=channel,
        booked_by_id=actor.id,
        booked_at=utcnow(),
    )


def book_for_case(
    actor: Any,
    case: Case,
    ref: SlotRef | None,
    type_code: str,
    mode: str,
    language: str | None = None,
) -> Appointment:
    """An appointment with the case's own agent, booked from the case."""
    if case.is_closed:
        raise AppointmentError(_l("This case is closed: reopen it before booking."))
    kind = appointment_type(type_code)
    query = _query_for(kind, mode, language, agent_id=case.agent_id)
    slot = _require_offered(query, ref)
    appointment = _new_appointment(actor, case, slot, kind, "agent")
    db.session.add(appointment)
    _claim(appointment, query)
    audit.record(actor, "appointment.booked", case, appointment_id=appointment.id)
    emit(AppointmentBooked(case_id=case.id, appointment_id=appointment.id))
    return appointment


@dataclass
class AirportIntake:
    """The minimum the counter asks of a newcomer."""

    given_names: str
    family_name: str
    date_of_birth: date | None
    arrival_date: date | None
    flight_type: str
    immigration_category: str
    destination_region_id: int | None
    destination_city: str | None
    preferred_language: str | None
    interpreter_needed: bool
    interpreter_language: str | None
    phone: str | None
    email: str | None
    contact_consent: bool
    host_city: str | None = None
    duplicates_checked: bool = False
    # The person agrees to receive the confirmation and the reminder by SMS at ``phone``.
    sms_consent: bool = False
    # The agent's « landline » flag (messages' contact settings): a landline is never texted.
    phone_is_landline: bool = False

    @property
    def refugee_host_city(self) -> str | None:
        """The city a refugee in the airport's care leaves for (airport.host_city_of)."""
        return airport.host_city_of(
            self.immigration_category, self.host_city, self.destination_city
        )

    @property
    def meeting_language(self) -> str | None:
        """The language an interpreter must cover; None when the person needs none."""
        return self.interpreter_language if self.interpreter_needed else None

    def person_fields(self) -> PersonFields:
        return PersonFields(
            given_names=self.given_names,
            family_name=self.family_name,
            immigration_category=self.immigration_category,
            date_of_birth=self.date_of_birth,
            arrival_date=self.arrival_date,
            preferred_language=self.preferred_language,
            languages_spoken=[self.preferred_language] if self.preferred_language else [],
            phone=self.phone,
            email=self.email,
            destination_region_id=self.destination_region_id,
            destination_city=self.refugee_host_city or self.destination_city,
            interpreter_needed=self.interpreter_needed,
            interpreter_language=self.interpreter_language if self.interpreter_needed else None,
        )


def validate_intake(intake: AirportIntake, today: date | None = None) -> Region:
    """The counter's rules, all checked at once (a refugee's host city, the contact, the
    consent: one round); returns the destination region."""
    today = today or local_today()
    checks = Checks(AppointmentError)
    region = (
        db.session.get(Region, intake.destination_region_id)
        if intake.destination_region_id
        else None
    )
    checks.require(
        region is not None,
        _l("Unknown region: choose one from the list."),
        "destination_region_id",
    )
    _validate_arrival(checks, intake.arrival_date, today)
    checks.require(
        intake.flight_type in FLIGHT_TYPES, _l("Choose the type of flight."), "flight_type"
    )
    problem = airport.refugee_destination_problem(
        intake.immigration_category, intake.host_city, intake.destination_city, region
    )
    if problem is not None:
        checks.require(False, *problem)
    checks.require(
        intake.phone or intake.email, _l("Give a phone number or an e-mail address."), "phone"
    )
    checks.require(
        intake.contact_consent,
        _l("Without the person's consent to be contacted, no appointment can be booked."),
        "contact_consent",
    )
    _validate_sms(checks, intake)
    checks.done()
    return region


def _validate_sms(checks: Checks, intake: AirportIntake) -> None:
    """SMS needs a mobile number: one given, valid, without an extension, not a landline."""
    if not intake.sms_consent:
        return
    if not checks.require(
        bool(intake.phone),
        _l("To send SMS, enter the person's mobile number, for example 514 555-0123."),
        "phone",
    ):
        return
    try:
        number = normal_phone(intake.phone or "")
    except ValueError:
        checks.require(False, PHONE_MESSAGE, "phone")
        return
    checks.require(
        ";ext=" not in number,
        _l("A number with an extension cannot receive SMS: enter the person's mobile number."),
        "phone",
    )
    checks.require(
        not intake.phone_is_landline,
        _l(
            "A landline cannot receive SMS: uncheck « landline » if the number is a mobile, "
            "or uncheck the SMS consent."
        ),
        "sms_consent",
    )


def _validate_arrival(checks: Checks, arrival: date | None, today: date) -> None:
    if not checks.require(arrival is not None, _l("This field is required."), "arrival_date"):
        return
    checks.require(
        arrival <= today + timedelta(days=ARRIVAL_DAYS_AHEAD),
        _l("The arrival date is too far ahead: the counter books for people who land today."),
        "arrival_date",
    )
    checks.require(
        arrival >= today - timedelta(days=ARRIVAL_DAYS_BACK),
        _l(
            "The arrival was more than %(days)d days ago: the person should contact a "
            "service point directly.",
            days=ARRIVAL_DAYS_BACK,
        ),
        "arrival_date",
    )


def airport_slot_query(
    intake: AirportIntake, kind: AppointmentType, mode: str, service_point_id: int | None
) -> SlotQuery:
    point = db.session.get(ServicePoint, service_point_id) if service_point_id else None
    if service_point_id and (point is None or point.region_id != intake.destination_region_id):
        raise AppointmentError(
            _l("Choose a service point of the destination region."), "service_point_id"
        )
    return _query_for(
        kind,
        mode,
        intake.meeting_language,
        region_id=intake.destination_region_id,
        service_point_id=service_point_id,
    )


def check_duplicates(actor: Any, intake: AirportIntake) -> int:
    """How many existing files look like this person (airport staff may read none of them)."""
    report = find_duplicates(actor, intake.given_names, intake.family_name, intake.date_of_birth)
    return len(report.matches) + report.hidden


def book_from_airport(
    actor: Any,
    intake: AirportIntake,
    ref: SlotRef | None,
    mode: str,
    service_point_id: int | None = None,
) -> AirportBooking:
    """Create the person, their new case assigned to the slot's agent, and the first interview."""
    validate_intake(intake)
    kind = appointment_type("first_interview")
    query = airport_slot_query(intake, kind, mode, service_point_id)
    duplicates = check_duplicates(actor, intake)
    if duplicates and not intake.duplicates_checked:
        raise DuplicateSuspected(duplicates)
    slot = _require_offered(query, ref)
    agent = db.session.get(_user_model(), slot.agent_id)
    case = open_case(
        actor,
        intake.person_fields(),
        "airport",
        assignee=agent,
        service_point=db.session.get(ServicePoint, slot.service_point_id),
    )
    appointment = _new_appointment(actor, case, slot, kind, "airport")
    db.session.add(appointment)
    _claim(appointment, query)
    _record_contact_consent(actor, case, intake)
    if intake.phone and intake.phone_is_landline:
        emit(PhoneMarkedLandline(case_id=case.id, actor_id=actor.id))
    booking = _booking_snapshot(actor, intake, appointment, duplicates)
    db.session.add(booking)
    db.session.flush()
    audit.record(
        actor, "appointment.booked", case, appointment_id=appointment.id, channel="airport"
    )
    emit(AppointmentBooked(case_id=case.id, appointment_id=appointment.id))
    return booking


def _user_model():
    from casework.auth.models import User

    return User


def _record_contact_consent(actor: Any, case: Case, intake: AirportIntake) -> None:
    today = local_today()
    if intake.phone:
        record_consent(actor, case, "contact_phone", today, "verbal")
    if intake.email:
        record_consent(actor, case, "contact_email", today, "verbal")
    if intake.phone and intake.sms_consent:
        record_consent(actor, case, "contact_sms", today, "verbal")


def _booking_snapshot(
    actor: Any, intake: AirportIntake, appointment: Appointment, duplicates: int
) -> AirportBooking:
    return AirportBooking(
        appointment=appointment,
        booked_by_id=actor.id,
        booked_at=utcnow(),
        given_names=intake.given_names,
        family_name=intake.family_name,
        flight_type=intake.flight_type,
        arrival_date=intake.arrival_date,
        immigration_category=intake.immigration_category,
        destination_region_id=intake.destination_region_id,
        destination_city=intake.destination_city,
        host_city=intake.refugee_host_city,
        preferred_language=intake.preferred_language,
        interpreter_language=intake.interpreter_language if intake.interpreter_needed else None,
        contact=intake.phone or intake.email or "",
        possible_duplicates=duplicates,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        mode=appointment.mode,
        place=place_of(appointment.service_point_id),
        remote_interpretation=appointment.remote_interpretation,
    )


def place_of(service_point_id: int) -> str:
    point = db.session.get(ServicePoint, service_point_id)
    return ", ".join(part for part in (point.name, point.city) if part)


# --- Changing an appointment ----------------------------------------------------------------


def _require_open(appointment: Appointment, expected_version: int) -> None:
    if appointment.version != expected_version:
        raise StaleEdit()
    if not appointment.is_open:
        raise NotOpen(_l("This appointment is no longer booked: it cannot change."))


def reschedule(
    actor: Any, appointment: Appointment, ref: SlotRef | None, expected_version: int
) -> None:
    """Move to another free slot of the same agent; the old time is released in the same step."""
    _require_open(appointment, expected_version)
    query = reschedule_query(appointment)
    slot = _require_offered(query, ref)
    before = appointment.starts_at
    try:
        with db.session.begin_nested():
            db.session.execute(delete(SlotClaim).where(SlotClaim.appointment_id == appointment.id))
            appointment.starts_at = slot.starts_at
            appointment.ends_at = slot.ends_at
            appointment.service_point_id = slot.service_point_id
            db.session.add_all(
                SlotClaim(agent_id=appointment.agent_id, starts_at=unit, appointment=appointment)
                for unit in units(slot.starts_at, slot.ends_at - slot.starts_at)
            )
    except IntegrityError:
        db.session.refresh(appointment)
        raise SlotUnavailable(
            _l("Someone booked this slot a moment ago. Here are the next free slots."),
            _alternatives(query),
            conflict=True,
        ) from None
    audit.record(
        actor,
        "appointment.rescheduled",
        appointment.case,
        appointment_id=appointment.id,
        before=before.isoformat(),
        after=slot.starts_at.isoformat(),
    )
    emit(AppointmentRescheduled(case_id=appointment.case_id, appointment_id=appointment.id))


def hand_over(actor: Any, case: Case, now: datetime | None = None) -> list[Appointment]:
    """A transferred case takes its upcoming appointments to its new agent, each whose time is
    free in the new agent's calendar (the claims decide); the others stay with the previous
    agent, who still meets the person, and are returned so the caller can say so."""
    kept = []
    upcoming = db.session.scalars(
        select(Appointment).where(
            Appointment.case_id == case.id,
            Appointment.status == "booked",
            Appointment.starts_at >= (now or utcnow()),
            Appointment.agent_id != case.agent_id,
        )
    ).all()
    for appointment in upcoming:
        if _move_to_agent(appointment, case):
            audit.record(actor, "appointment.handed_over", case, appointment_id=appointment.id)
        else:
            kept.append(appointment)
    return kept


def _move_to_agent(appointment: Appointment, case: Case) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(delete(SlotClaim).where(SlotClaim.appointment_id == appointment.id))
            appointment.agent_id = case.agent_id
            appointment.region_id = case.region_id
            db.session.add_all(
                SlotClaim(agent_id=case.agent_id, starts_at=unit, appointment=appointment)
                for unit in units(
                    appointment.starts_at, appointment.ends_at - appointment.starts_at
                )
            )
    except IntegrityError:
        db.session.refresh(appointment)
        return False
    return True


def reschedule_query(appointment: Appointment, not_before: datetime | None = None) -> SlotQuery:
    """Free slots of the same agent for the same length (the type's duration may have changed
    since the booking: the appointment keeps its own)."""
    return SlotQuery(
        duration=appointment.ends_at - appointment.starts_at,
        mode=appointment.mode,
        language=appointment.interpreter_language,
        agent_id=appointment.agent_id,
        not_before=not_before,
        ignore_appointment_id=appointment.id,
    )


def cancel(
    actor: Any, appointment: Appointment, reason: str, comment: str | None, expected_version: int
) -> None:
    _require_open(appointment, expected_version)
    if reason not in CANCEL_REASONS:
        raise AppointmentError(_l("Say why the appointment is cancelled."), "reason")
    if reason == "other" and not (comment or "").strip():
        raise AppointmentError(_l("Explain the reason in the comment."), "comment")
    appointment.status = "cancelled"
    appointment.cancel_reason = reason
    appointment.cancel_comment = (comment or "").strip() or None
    appointment.outcome_by_id = actor.id
    appointment.outcome_at = utcnow()
    db.session.execute(delete(SlotClaim).where(SlotClaim.appointment_id == appointment.id))
    db.session.flush()
    audit.record(
        actor,
        "appointment.cancelled",
        appointment.case,
        appointment_id=appointment.id,
        reason=reason,
    )
    emit(AppointmentCancelled(case_id=appointment.case_id, appointment_id=appointment.id))


def record_outcome(
    actor: Any,
    appointment: Appointment,
    outcome: str,
    expected_version: int,
    now: datetime | None = None,
    pilot: bool = False,
) -> None:
    """Done or no-show, once the appointment has started. A no-show asks for a follow-up.
    ``pilot``: held under the remote-interpretation pilot, in one of its regions only."""
    _require_open(appointment, expected_version)
    if outcome not in OUTCOMES:
        raise AppointmentError(_l("Not a valid choice."), "outcome")
    if pilot and not appointment.region.interpretation_pilot:
        raise AppointmentError(
            _l("The remote-interpretation pilot runs in other regions than this appointment's."),
            "interpretation_pilot",
        )
    appointment.interpretation_pilot = pilot and outcome == "done"
    if appointment.starts_at > (now or utcnow()):
        raise AppointmentError(_l("This appointment has not started yet."))
    appointment.status = outcome
    appointment.outcome_by_id = actor.id
    appointment.outcome_at = now or utcnow()
    appointment.follow_up_needed = outcome == "no_show"
    db.session.flush()
    audit.record(actor, f"appointment.{outcome}", appointment.case, appointment_id=appointment.id)
    emit(
        AppointmentOutcomeRecorded(
            case_id=appointment.case_id, appointment_id=appointment.id, outcome=outcome
        )
    )


# --- Reading --------------------------------------------------------------------------------


def _with_details(statement):
    return statement.options(
        joinedload(Appointment.case).joinedload(Case.person),
        joinedload(Appointment.type),
        joinedload(Appointment.service_point),
        joinedload(Appointment.agent),
    )


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants of local midnight before ``first`` and after ``last``."""
    start = local_wall_to_utc(first, time(0)) or datetime.combine(first, time(5))
    end_day = last + timedelta(days=1)
    end = local_wall_to_utc(end_day, time(0)) or datetime.combine(end_day, time(5))
    return start, end


def calendar(agent_id: int, first: date, last: date) -> list[Appointment]:
    """The agent's appointments between two local days, cancelled ones included."""
    start, end = local_day_bounds(first, last)
    statement = _with_details(
        select(Appointment)
        .where(
            Appointment.agent_id == agent_id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return list(db.session.scalars(statement).unique())


def upcoming(agent_id: int, limit: int = 5, now: datetime | None = None) -> list[Appointment]:
    now = now or utcnow()
    statement = _with_details(
        select(Appointment)
        .where(
            Appointment.agent_id == agent_id,
            Appointment.status == "booked",
            Appointment.ends_at >= now,
            # Bounds the agent's index from below: without it the years of past appointments
            # were read to find the first one not yet over (none lasts longer than MAX_DURATION).
            Appointment.starts_at > now - timedelta(minutes=MAX_DURATION),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    )
    return list(db.session.scalars(statement).unique())


def of_case(case: Case) -> list[Appointment]:
    statement = _with_details(
        select(Appointment)
        .where(Appointment.case_id == case.id)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
    )
    return list(db.session.scalars(statement).unique())


def next_appointment(case_id: int, now: datetime | None = None) -> Appointment | None:
    statement = _with_details(
        select(Appointment)
        .where(
            Appointment.case_id == case_id,
            Appointment.status == "booked",
            Appointment.starts_at >= (now or utcnow()),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    return db.session.scalars(statement).unique().first()


def agents_of_region(region_ids: list[int]) -> list[Any]:
    """Active agents of the regions given (a supervisor's: their directorate's territory)."""
    User = _user_model()
    return list(
        db.session.scalars(
            select(User)
            .where(User.region_id.in_(region_ids), User.role == Role.AGENT.value, User.active)
            .order_by(User.full_name)
        )
    )


@dataclass(frozen=True)
class StaffDay:
    staff: Any
    bookings: list[AirportBooking]


def airport_bookings_on(day: date) -> list[StaffDay]:
    """The counter's bookings of one local day, grouped by staff member."""
    start, end = local_day_bounds(day, day)
    rows = db.session.scalars(
        select(AirportBooking)
        .where(AirportBooking.booked_at >= start, AirportBooking.booked_at < end)
        .options(
            joinedload(AirportBooking.booked_by),
            joinedload(AirportBooking.destination_region),
        )
        .order_by(AirportBooking.booked_at)
    ).unique()
    grouped: dict[int, list[AirportBooking]] = defaultdict(list)
    staff: dict[int, Any] = {}
    for booking in rows:
        grouped[booking.booked_by_id].append(booking)
        staff[booking.booked_by_id] = booking.booked_by
    return sorted(
        (StaffDay(staff[key], items) for key, items in grouped.items()),
        key=lambda group: (-len(group.bookings), group.staff.full_name),
    )


def anonymise_cases(case_ids: tuple[int, ...]) -> dict[str, int]:
    """Retention: cancellation comments and the airport counter's record of the person go; the
    appointments themselves stay (dates, types, outcomes: statistics)."""
    appointments = select(Appointment.id).where(Appointment.case_id.in_(case_ids))
    run(update(Appointment).where(Appointment.id.in_(appointments)).values(cancel_comment=None))
    deleted = run(delete(AirportBooking).where(AirportBooking.appointment_id.in_(appointments)))
    return {"airport_bookings": deleted}
