"""An appointment as an iCalendar file (RFC 5545) the person can add to their phone."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from casework.appointments.models import AirportBooking, Appointment
from casework.core.time import utcnow

PRODUCT = "-//Gouvernement du Québec//casework Accompagnement Québec//FR"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


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


def booking_calendar_file(booking: AirportBooking) -> str:
    """The first appointment as the counter booked it (the slip's own record)."""
    return calendar_file(
        uid=f"airport-booking-{booking.id}",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        location=location_text(booking.mode or "in_person", booking.place),
        type_label=booking.appointment.type.label,
    )


def calendar_file(
    uid: str, starts_at: datetime, ends_at: datetime, location: str, type_label: str
) -> str:
    summary = _("Accompagnement Québec appointment")
    description = _(
        "%(type)s. Bring your immigration documents. To change it, call the service point.",
        type=type_label,
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}@casework.invalid",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART:{_stamp(starts_at)}",
        f"DTEND:{_stamp(ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"LOCATION:{_escape(location)}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
