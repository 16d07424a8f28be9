"""What happens to appointments, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.events import Event


@dataclass(frozen=True)
class AppointmentBooked(Event):
    """Booked for a case, by its agent or at the airport counter."""

    case_id: int
    appointment_id: int


@dataclass(frozen=True)
class AppointmentRescheduled(Event):
    case_id: int
    appointment_id: int


@dataclass(frozen=True)
class AppointmentCancelled(Event):
    case_id: int
    appointment_id: int


@dataclass(frozen=True)
class AppointmentOutcomeRecorded(Event):
    """The person came (``done``) or did not (``no_show``)."""

    case_id: int
    appointment_id: int
    outcome: str


@dataclass(frozen=True)
class PhoneMarkedLandline(Event):
    """The airport counter was told the person's phone is a landline (never to be texted)."""

    case_id: int
    actor_id: int
