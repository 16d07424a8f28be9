"""Lines the features built on appointments add wherever an appointment is shown (its page, the
case page's « next appointment » card): messages says there whether the person was reached.

Appointments cannot import the features above them; each adds an ``AppointmentLine`` in its
listeners.py (its template and the data it needs, or None for no line), as the case page's
sections do (cases/sections.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup

from casework.appointments.models import Appointment
from casework.core.events import ExtensionPoint


@dataclass(frozen=True)
class AppointmentLine:
    name: str
    template: str  # rendered with ``appointment`` and what ``context(appointment)`` returns
    context: Callable[[Appointment], dict[str, Any] | None]  # None: nothing to say


APPOINTMENT_LINES: ExtensionPoint[AppointmentLine] = ExtensionPoint(
    "appointments.lines", "lines shown with an appointment by the features built on appointments"
)


def rendered_lines(appointment: Appointment | None) -> list[Markup]:
    """Each line's HTML, in the order they were added (none for no appointment)."""
    if appointment is None:
        return []
    found = []
    for line in APPOINTMENT_LINES:
        context = line.context(appointment)
        if context is not None:
            found.append(Markup(render_template(line.template, appointment=appointment, **context)))
    return found
