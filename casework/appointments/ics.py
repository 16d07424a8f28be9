"""An appointment as an iCalendar file (RFC 5545) the person can add to their phone, built with
the ``icalendar`` library.

Every file about one appointment carries the same UID; a move raises SEQUENCE and a cancellation
is METHOD:CANCEL, so the person's calendar updates the event instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from icalendar import Calendar, Event

from casework.appointments.models import AirportBooking, Appointment
from casework.core.time import utcnow

PRODUCT = "-//Gouvernement du Québec//casework Accompagnement Québec//FR"


def location_text(mode: str, place: str | None) -> str:
    if mode == "phone":
        return _("By phone: the agent will call you.")
    if mode == "video":
        return _("By video: the agent will send you the link.")
    return place or ""


def location_of(appointment: Appointment) -> str:
    point = appointment.service_point
    return location_text(
        appointment.mode, ", ".join(part for part in (point.name, point.city) if part)
    )


def appointment_uid(appointment_id: int) -> str:
    """One UID per appointment, whoever sends its file (the airport slip, the person's e-mails)."""
    return f"appointment-{appointment_id}@casework.invalid"


def sequence_of(appointment: Appointment) -> int:
    """Grows with every change of the appointment (its version counter): 0 when booked."""
    return max(0, (appointment.version or 1) - 1)


def booking_calendar_file(booking: AirportBooking) -> str:
    """The first appointment as the counter booked it (the slip's own record)."""
    return calendar_file(
        uid=appointment_uid(booking.appointment_id),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        location=location_text(booking.mode or "in_person", booking.place),
        type_label=booking.appointment.type.label,
    )


def appointment_calendar_file(appointment: Appointment, description: str) -> str:
    """The appointment as it stands: booked or moved (a higher SEQUENCE), or cancelled."""
    return calendar_file(
        uid=appointment_uid(appointment.id),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        location=location_of(appointment),
        type_label=appointment.type.label,
        sequence=sequence_of(appointment),
        cancelled=appointment.status == "cancelled",
        description=description,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def calendar_file(
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str,
    type_label: str,
    sequence: int = 0,
    cancelled: bool = False,
    description: str | None = None,
) -> str:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(utcnow()))
    event.add("dtstart", _utc(starts_at))
    event.add("dtend", _utc(ends_at))
    event.add("sequence", sequence)
    event.add("summary", _("Accompagnement Québec appointment"))
    event.add(
        "description",
        description
        or _(
            "%(type)s. Bring your immigration documents. To change it, call the service point.",
            type=type_label,
        ),
    )
    event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()
