"""Free slots from weekly availability, exceptions and the claims already taken.

Availability is kept in local wall-clock time (an agent works 8:30–12:00 whatever the season);
slots are computed day by day in America/Toronto and turned into UTC one by one, so a 9:00
slot stays at 9:00 across both daylight-saving changes. A wall-clock time that does not exist
(the spring-forward hour) is never offered; an ambiguous one (the fall-back hour) is offered once,
at its first occurrence.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Text, select, type_coerce

from casework.appointments.models import AvailabilityException, AvailabilityWindow, SlotClaim
from casework.auth.models import User
from casework.core.roles import Role
from casework.core.time import LOCAL_TIMEZONE, utcnow
from casework.extensions import db
from casework.reference.models import ServicePoint

GRID = timedelta(minutes=15)
# agent-service point-start: ASCII digits only (« ² » is a digit to str.isdigit, not to int).
TOKEN = re.compile(r"(?P<agent>[0-9]{1,9})-(?P<point>[0-9]{1,9})-(?P<start>[0-9]{12})")
LOCAL = ZoneInfo(LOCAL_TIMEZONE)
# How far ahead the counter looks, and the least notice an agent gets for a booking.
SEARCH_DAYS = 42
MINIMUM_NOTICE = timedelta(hours=1)
# Claims are loaded a week at a time: the earliest slots are usually in the first one. The
# first load covers the search's first day and the next only: the twelve slots the counter
# shows are usually there, and a region's busy week is thousands of claims (2,600 for
# Montréal's agents at 200,000 cases, a third of them needed).
CHUNK_DAYS = 7
FIRST_CHUNK_DAYS = 1


@dataclass(frozen=True)
class SlotQuery:
    """What the counter or the agent is looking for."""

    duration: timedelta
    mode: str
    region_id: int | None = None
    service_point_id: int | None = None
    agent_id: int | None = None
    language: str | None = None
    not_before: datetime | None = None  # UTC; defaults to now plus the minimum notice
    days: int = SEARCH_DAYS
    ignore_appointment_id: int | None = None  # its own claims do not block a reschedule


@dataclass(frozen=True)
class Slot:
    agent_id: int
    agent_name: str
    service_point_id: int
    service_point_name: str
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    mode: str
    interpreter_language: str | None = None
    remote_interpretation: bool = False

    @property
    def token(self) -> str:
        """Names the slot in a form: agent, service point, start (no personal data)."""
        return f"{self.agent_id}-{self.service_point_id}-{self.starts_at:%Y%m%d%H%M}"

    @property
    def local_start(self) -> datetime:
        return to_local(self.starts_at)


@dataclass(frozen=True)
class SlotRef:
    agent_id: int
    service_point_id: int
    starts_at: datetime  # UTC

    @classmethod
    def parse(cls, token: str | None) -> SlotRef | None:
        match = TOKEN.fullmatch(token or "")
        if match is None:
            return None
        try:
            starts = datetime.strptime(match["start"], "%Y%m%d%H%M")
        except ValueError:
            return None
        return cls(int(match["agent"]), int(match["point"]), starts)


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LOCAL).replace(tzinfo=None)


def local_wall_to_utc(day: date, wall: time) -> datetime | None:
    """The UTC instant of a Québec wall-clock time, or None if that time does not exist."""
    local = datetime.combine(day, wall)
    instant = local.replace(tzinfo=LOCAL, fold=0).astimezone(UTC)
    if instant.astimezone(LOCAL).replace(tzinfo=None) != local:
        return None  # skipped by the spring-forward change
    return instant.replace(tzinfo=None)


def units(starts_at: datetime, duration: timedelta) -> list[datetime]:
    """The quarter hours an appointment occupies, as its claims store them."""
    count = int(duration / GRID)
    return [starts_at + GRID * index for index in range(count)]


def is_on_grid(moment: datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % 15 == 0


@dataclass(slots=True)
class _Window:
    """What slot generation reads of an availability period, with its agent's and service
    point's names: read as rows, since a region's 360 periods as ORM objects (with their agents
    and service points) were a third of the airport search's time. Not frozen: a frozen
    dataclass sets each of its twelve fields through ``object.__setattr__``, a third of the
    cost of reading the periods; nothing changes a window once read."""

    agent_id: int
    agent_name: str
    service_point_id: int
    service_point_name: str
    weekday: int
    starts_at: time
    ends_at: time
    modes: list[str] | None
    interpreter_languages: list[str] | None
    remote_interpretation: bool
    valid_from: date | None
    valid_until: date | None

    # The model's own rule, read from the same attributes.
    applies_on = AvailabilityWindow.applies_on


@dataclass
class _Calendar:
    """Everything slot generation needs for a set of agents, loaded in three queries."""

    windows: list[_Window]
    exceptions: dict[int, list[_Absence]] = field(default_factory=dict)
    claimed: dict[int, set[datetime]] = field(default_factory=dict)  # agent → quarter hours
    claims_loaded_until: datetime | None = None


def _windows(query: SlotQuery) -> list[_Window]:
    statement = (
        select(
            AvailabilityWindow.agent_id,
            User.full_name,
            AvailabilityWindow.service_point_id,
            ServicePoint.name,
            AvailabilityWindow.weekday,
            AvailabilityWindow.starts_at,
            AvailabilityWindow.ends_at,
            # Decoded here, once per distinct list: a region's 360 periods share a few.
            type_coerce(AvailabilityWindow.modes, Text),
            type_coerce(AvailabilityWindow.interpreter_languages, Text),
            AvailabilityWindow.remote_interpretation,
            AvailabilityWindow.valid_from,
            AvailabilityWindow.valid_until,
        )
        .join(User, User.id == AvailabilityWindow.agent_id)
        .join(ServicePoint, ServicePoint.id == AvailabilityWindow.service_point_id)
        .where(User.active.is_(True), User.role == Role.AGENT.value)
        .order_by(AvailabilityWindow.agent_id, AvailabilityWindow.id)
    )
    if query.agent_id is not None:
        statement = statement.where(AvailabilityWindow.agent_id == query.agent_id)
    if query.service_point_id is not None:
        statement = statement.where(AvailabilityWindow.service_point_id == query.service_point_id)
    if query.region_id is not None:
        statement = statement.where(AvailabilityWindow.region_id == query.region_id)
    lists: dict[str, list[str] | None] = {}
    windows = (
        _Window(*row[:7], _decoded(lists, row[7]), _decoded(lists, row[8]), *row[9:])
        for row in db.session.execute(statement)
    )
    return [window for window in windows if _fits(window, query)]


def _decoded(decoded: dict[str, list[str] | None], value: str | list[str] | None):
    """A JSON list column read as text, decoded as the column type would (PostgreSQL's driver
    hands it over decoded already); equal texts give the same list, which is only read."""
    if not isinstance(value, str):
        return value
    if value not in decoded:
        decoded[value] = json.loads(value)
    return decoded[value]


def _fits(window: _Window, query: SlotQuery) -> bool:
    if query.mode not in (window.modes or []):
        return False
    return interpretation_for(window, query.language) is not False


def interpretation_for(window: _Window, language: str | None) -> tuple | bool:
    """How the meeting can be held in ``language``: (on-site language, remote) or False."""
    if not language or language == "fr":
        return (None, False)
    if language in (window.interpreter_languages or []):
        return (language, False)
    if window.remote_interpretation:
        return (language, True)
    return False


@dataclass(slots=True)
class _Absence:
    """What slot generation reads of an availability exception: its agent and days."""

    agent_id: int
    starts_on: date
    ends_on: date

    # The model's own rule, read from the same attributes.
    covers = AvailabilityException.covers


def _load_exceptions(calendar: _Calendar, first: date, last: date) -> None:
    agent_ids = {w.agent_id for w in calendar.windows}
    rows = db.session.execute(
        select(
            AvailabilityException.agent_id,
            AvailabilityException.starts_on,
            AvailabilityException.ends_on,
        ).where(
            AvailabilityException.agent_id.in_(agent_ids),
            AvailabilityException.starts_on <= last,
            AvailabilityException.ends_on >= first,
        )
    )
    for row in rows:
        calendar.exceptions.setdefault(row.agent_id, []).append(_Absence(*row))


def _load_claims(calendar: _Calendar, start: datetime, end: datetime, ignore: int | None) -> None:
    agent_ids = {w.agent_id for w in calendar.windows}
    statement = select(SlotClaim.agent_id, SlotClaim.starts_at).where(
        SlotClaim.agent_id.in_(agent_ids), SlotClaim.starts_at >= start, SlotClaim.starts_at < end
    )
    if ignore is not None:
        statement = statement.where(SlotClaim.appointment_id != ignore)
    for agent, moment in db.session.execute(statement):
        calendar.claimed.setdefault(agent, set()).add(moment)
    calendar.claims_loaded_until = end


def _day_windows_slots(calendar: _Calendar, day: date, query: SlotQuery, not_before: datetime):
    """One iterator of slots (in time order) per window that applies on ``day``."""
    for window in calendar.windows:
        if not window.applies_on(day):
            continue
        if any(e.covers(day) for e in calendar.exceptions.get(window.agent_id, [])):
            continue
        yield _window_slots(calendar, window, day, query, not_before)


def _day_slots(calendar: _Calendar, day: date, query: SlotQuery, not_before: datetime):
    for slots in _day_windows_slots(calendar, day, query, not_before):
        yield from slots


def _steady_offset(day: date) -> timedelta | None:
    """The day's UTC offset when no clock change falls on it (every day but two a year)."""
    first = datetime.combine(day, time(0)).replace(tzinfo=LOCAL).utcoffset()
    last = datetime.combine(day, time(23, 59)).replace(tzinfo=LOCAL).utcoffset()
    return first if first == last else None


def _window_slots(calendar, window, day, query, not_before) -> Iterator[Slot]:
    on_site, remote = interpretation_for(window, query.language)
    taken = calendar.claimed.get(window.agent_id, set())
    # On a day without a clock change every wall time is its UTC instant less one offset; a
    # change day converts each time on its own (a skipped time is never offered).
    offset = _steady_offset(day)
    wall = datetime.combine(day, window.starts_at)
    last_start = datetime.combine(day, window.ends_at) - query.duration
    # The quarter hours a slot occupies (as ``units`` gives them), from its start.
    steps = [GRID * index for index in range(int(query.duration / GRID))] if taken else []
    while wall <= last_start:
        starts = wall - offset if offset is not None else local_wall_to_utc(day, wall.time())
        wall += GRID
        if starts is None or starts < not_before:
            continue
        if taken and any(starts + step in taken for step in steps):
            continue
        yield Slot(
            agent_id=window.agent_id,
            agent_name=window.agent_name,
            service_point_id=window.service_point_id,
            service_point_name=window.service_point_name,
            starts_at=starts,
            ends_at=starts + query.duration,
            mode=query.mode,
            interpreter_language=on_site,
            remote_interpretation=remote,
        )


def earliest_not_before(query: SlotQuery, now: datetime | None = None) -> datetime:
    floor = (now or utcnow()) + MINIMUM_NOTICE
    return max(query.not_before or floor, floor)


def find_slots(query: SlotQuery, limit: int = 10, now: datetime | None = None) -> list[Slot]:
    """The earliest free slots, in a deterministic order (time, then agent)."""
    calendar = _Calendar(_windows(query))
    if not calendar.windows or limit <= 0:
        return []
    not_before = earliest_not_before(query, now)
    first_day = to_local(not_before).date()
    last_day = first_day + timedelta(days=query.days - 1)
    _load_exceptions(calendar, first_day, last_day)
    found: list[Slot] = []
    for day in _days(first_day, last_day):
        _ensure_claims(calendar, day, query)
        # Each window yields its slots in time order: merging them lazily gives the day's slots
        # in the order a full sort would (ties keep the windows' order, as a stable sort does),
        # and stops as soon as enough are found instead of building every slot of the day.
        day_slots = heapq.merge(
            *_day_windows_slots(calendar, day, query, not_before), key=_slot_order
        )
        for slot in _distinct(day_slots):
            found.append(slot)
            if len(found) >= limit:
                return found
    return found


def _slot_order(slot: Slot) -> tuple:
    return (slot.starts_at, slot.agent_name, slot.agent_id, slot.service_point_id)


def _distinct(slots: Iterable[Slot]) -> Iterator[Slot]:
    """One slot per agent and start, even when two windows of the agent overlap."""
    seen: set[tuple[int, datetime]] = set()
    for slot in slots:
        if (slot.agent_id, slot.starts_at) not in seen:
            seen.add((slot.agent_id, slot.starts_at))
            yield slot


def _ensure_claims(calendar: _Calendar, day: date, query: SlotQuery) -> None:
    day_end = local_wall_to_utc(day + timedelta(days=1), time(0)) or datetime.combine(
        day + timedelta(days=1), time(5)
    )
    if calendar.claims_loaded_until is not None and day_end <= calendar.claims_loaded_until:
        return
    start = calendar.claims_loaded_until or (
        local_wall_to_utc(day, time(0)) or datetime.combine(day, time(4))
    )
    days = CHUNK_DAYS if calendar.claims_loaded_until is not None else FIRST_CHUNK_DAYS
    end = day_end + timedelta(days=days)
    _load_claims(calendar, start, end, query.ignore_appointment_id)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def offered_slot(query: SlotQuery, ref: SlotRef, now: datetime | None = None) -> Slot | None:
    """The slot ``ref`` names if it is offered right now for ``query``, else None. The token
    comes from the browser: it may only narrow the query, never widen it to another agent,
    service point or region."""
    if not is_on_grid(ref.starts_at):
        return None
    if query.agent_id is not None and ref.agent_id != query.agent_id:
        return None
    if query.service_point_id is not None and ref.service_point_id != query.service_point_id:
        return None
    narrowed = SlotQuery(
        duration=query.duration,
        mode=query.mode,
        region_id=query.region_id,
        service_point_id=ref.service_point_id,
        agent_id=ref.agent_id,
        language=query.language,
        not_before=query.not_before,
        days=query.days,
        ignore_appointment_id=query.ignore_appointment_id,
    )
    calendar = _Calendar(_windows(narrowed))
    not_before = earliest_not_before(narrowed, now)
    day = to_local(ref.starts_at).date()
    horizon = to_local(not_before).date() + timedelta(days=query.days - 1)
    if not calendar.windows or day > horizon:
        return None
    _load_exceptions(calendar, day, day)
    _ensure_claims(calendar, day, narrowed)
    for slot in _day_slots(calendar, day, narrowed, not_before):
        if slot.starts_at == ref.starts_at and slot.service_point_id == ref.service_point_id:
            return slot
    return None
