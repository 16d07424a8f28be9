"""Agents' availability: the weekly windows in which they receive, and the exceptions (leave,
holidays) that close them; the slots are computed from both (``slots.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from casework.appointments.models import (
    Appointment,
    AvailabilityException,
    AvailabilityWindow,
)
from casework.appointments.operations import AppointmentError, local_day_bounds
from casework.cases import choices as case_choices
from casework.core import audit
from casework.extensions import db
from casework.reference.models import ServicePoint

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


@dataclass
class WindowFields:
    weekday: int
    starts_at: time
    ends_at: time
    service_point_id: int | None
    modes: list[str]
    interpreter_languages: list[str]
    remote_interpretation: bool
    valid_from: date | None = None
    valid_until: date | None = None


def windows_of(agent_id: int) -> list[AvailabilityWindow]:
    return list(
        db.session.scalars(
            select(AvailabilityWindow)
            .where(AvailabilityWindow.agent_id == agent_id)
            .options(joinedload(AvailabilityWindow.service_point))
            .order_by(AvailabilityWindow.weekday, AvailabilityWindow.starts_at)
        )
    )


def exceptions_of(agent_id: int, since: date | None = None) -> list[AvailabilityException]:
    statement = select(AvailabilityException).where(AvailabilityException.agent_id == agent_id)
    if since is not None:
        statement = statement.where(AvailabilityException.ends_on >= since)
    return list(db.session.scalars(statement.order_by(AvailabilityException.starts_on)))


def _on_grid(moment: time) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % 15 == 0


def add_window(actor: Any, agent: Any, values: WindowFields) -> AvailabilityWindow:
    point = (
        db.session.get(ServicePoint, values.service_point_id) if values.service_point_id else None
    )
    if point is None or point.region_id != agent.region_id:
        raise AppointmentError(
            _l("Choose a service point of the agent's region."), "service_point_id"
        )
    if not 0 <= values.weekday <= 6:
        raise AppointmentError(_l("Not a valid choice."), "weekday")
    if not (_on_grid(values.starts_at) and _on_grid(values.ends_at)):
        raise AppointmentError(_l("Use quarter hours (:00, :15, :30, :45)."), "starts_at")
    if values.ends_at <= values.starts_at:
        raise AppointmentError(_l("The end must come after the start."), "ends_at")
    if not values.modes or any(mode not in MODES for mode in values.modes):
        raise AppointmentError(_l("Choose at least one mode."), "modes")
    if any(not case_choices.is_language(code) for code in values.interpreter_languages):
        raise AppointmentError(_l("Not a valid choice."), "interpreter_languages")
    if values.valid_from and values.valid_until and values.valid_until < values.valid_from:
        raise AppointmentError(_l("The end must come after the start."), "valid_until")
    _refuse_overlap(agent.id, values)
    window = AvailabilityWindow(
        agent_id=agent.id,
        service_point_id=point.id,
        region_id=point.region_id,
        weekday=values.weekday,
        starts_at=values.starts_at,
        ends_at=values.ends_at,
        modes=list(dict.fromkeys(values.modes)),
        interpreter_languages=list(dict.fromkeys(values.interpreter_languages)),
        remote_interpretation=values.remote_interpretation,
        valid_from=values.valid_from,
        valid_until=values.valid_until,
    )
    db.session.add(window)
    db.session.flush()
    audit.record(actor, "availability.added", window, agent_id=agent.id)
    return window


def _refuse_overlap(agent_id: int, values: WindowFields) -> None:
    for window in windows_of(agent_id):
        if window.weekday != values.weekday:
            continue
        if _periods_meet(window, values) and (
            window.starts_at < values.ends_at and values.starts_at < window.ends_at
        ):
            raise AppointmentError(
                _l("This period overlaps another one of the same day."), "starts_at"
            )


def _periods_meet(window: AvailabilityWindow, values: WindowFields) -> bool:
    starts_before_other_ends = (
        window.valid_until is None
        or values.valid_from is None
        or values.valid_from <= window.valid_until
    )
    ends_after_other_starts = (
        window.valid_from is None
        or values.valid_until is None
        or values.valid_until >= window.valid_from
    )
    return starts_before_other_ends and ends_after_other_starts


def remove_window(actor: Any, window: AvailabilityWindow) -> None:
    """Booked appointments stay booked: only future offers change."""
    audit.record(actor, "availability.removed", window, agent_id=window.agent_id)
    db.session.delete(window)
    db.session.flush()


def add_exception(
    actor: Any, agent: Any, starts_on: date, ends_on: date, kind: str, note: str | None
) -> AvailabilityException:
    if kind not in EXCEPTION_KINDS:
        raise AppointmentError(_l("Not a valid choice."), "kind")
    if ends_on < starts_on:
        raise AppointmentError(_l("The end must come after the start."), "ends_on")
    if (ends_on - starts_on).days > 366:
        raise AppointmentError(_l("At most one year at a time."), "ends_on")
    exception = AvailabilityException(
        agent_id=agent.id,
        region_id=agent.region_id,
        starts_on=starts_on,
        ends_on=ends_on,
        kind=kind,
        note=(note or "").strip() or None,
        created_by_id=actor.id,
    )
    db.session.add(exception)
    db.session.flush()
    audit.record(actor, "availability.exception_added", exception, agent_id=agent.id)
    return exception


def appointments_during(agent_id: int, starts_on: date, ends_on: date) -> int:
    """Booked appointments an exception would fall on: the agent must move them."""
    start, end = local_day_bounds(starts_on, ends_on)
    return (
        db.session.scalar(
            select(func.count(Appointment.id)).where(
                Appointment.agent_id == agent_id,
                Appointment.status == "booked",
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
        )
        or 0
    )


def remove_exception(actor: Any, exception: AvailabilityException) -> None:
    audit.record(actor, "availability.exception_removed", exception, agent_id=exception.agent_id)
    db.session.delete(exception)
    db.session.flush()
