"""An appointment as an iCalendar file (RFC 5545) the person can add to their phone."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from casework.appointments.models import Appointment
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


def location_of(appointment: Appointment) -> str:
    if appointment.mode == "phone":
        return _("By phone: the agent will call you.")
    if appointment.mode == "video":
        return _("By video: the agent will send you the link.")
    point = appointment.service_point
    return ", ".join(part for part in (point.name, point.city) if part)


def calendar_file(appointment: Appointment) -> str:
    summary = _("Accompagnement Québec appointment")
    description = _(
        "%(type)s. Bring your immigration documents. To change it, call the service point.",
        type=appointment.type.label,
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.id}@casework.invalid",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART:{_stamp(appointment.starts_at)}",
        f"DTEND:{_stamp(appointment.ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        f"LOCATION:{_escape(location_of(appointment))}",
        f"SEQUENCE:{appointment.version}",
        "STATUS:" + ("CANCELLED" if appointment.status == "cancelled" else "CONFIRMED"),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
