"""Availability for test agents: every day by default, so tests do not depend on the weekday."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from casework.appointments.models import AvailabilityWindow
from casework.auth.models import User
from casework.extensions import db
from casework.reference.models import ServicePoint


def service_point(code: str = "DR-MTL") -> ServicePoint:
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == code))
    assert point is not None, code
    return point


def open_every_day(
    agent_id: int,
    point_code: str = "DR-MTL",
    starts: time = time(8, 0),
    ends: time = time(17, 0),
    modes: tuple[str, ...] = ("in_person", "phone", "video"),
    interpreters: tuple[str, ...] = (),
    remote: bool = False,
    weekdays: tuple[int, ...] = tuple(range(7)),
) -> list[AvailabilityWindow]:
    point = service_point(point_code)
    windows = [
        AvailabilityWindow(
            agent_id=agent_id,
            service_point_id=point.id,
            region_id=point.region_id,
            weekday=day,
            starts_at=starts,
            ends_at=ends,
            modes=list(modes),
            interpreter_languages=list(interpreters),
            remote_interpretation=remote,
        )
        for day in weekdays
    ]
    db.session.add_all(windows)
    agent = db.session.get(User, agent_id)
    agent.service_point_id = point.id
    db.session.commit()
    return windows
