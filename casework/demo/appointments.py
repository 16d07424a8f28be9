"""Illustrative availability and appointments for the demo agents, and today's airport bookings.

Every agent gets a weekly availability (Monday to Friday at their service point), the public
holidays of the period and, for one of them, a week of leave. Their open cases then get past
appointments over the last six weeks (mostly done, some no-shows, a few cancelled) and upcoming
ones over the next three weeks; the airport team books a few first interviews today.

Free slots always come from ``slots.find_slots``, so appointments respect the windows, the
exceptions and each other. Upcoming appointments are booked through ``operations.book_for_case``
and ``operations.book_from_airport``; past ones (which the service layer rightly refuses to book)
are written directly, with the same slot claims a booking makes. Hours, interpreter languages,
outcomes and the people landing today are illustrative values from seed/demo/appointments.yaml.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.appointments import availability, operations
from casework.appointments.airport import SERVICE_POINT as AIRPORT_POINT
from casework.appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityWindow,
    SlotClaim,
)
from casework.appointments.slots import (
    MINIMUM_NOTICE,
    Slot,
    SlotQuery,
    SlotRef,
    find_slots,
    local_wall_to_utc,
    to_local,
    units,
)
from casework.assessments.models import Assessment
from casework.auth.models import User
from casework.auth.operations import find_user
from casework.cases.models import Case
from casework.core.time import local_to_utc, utcnow
from casework.demo.accounts import HOME_AGENT
from casework.demo.tables import clock, read_tables, repeated, shaped
from casework.extensions import db
from casework.reference.models import HostCity, Region, ServicePoint

PAST_DAYS = 42
# An older case's first interview falls within this many days of its opening.
EARLY_INTERVIEW_DAYS = 21
EARLY_SEED = 19
UPCOMING_DAYS = 21
# Bounds the work on a large demo: an agent's calendar only holds so many meetings anyway.
MAX_CASES_PER_AGENT = 40
MAX_LANGUAGES = 5
ALL_MODES = ["in_person", "phone", "video"]
REMOTE_MODES = ["phone", "video"]  # the afternoon an agent works from home

Period = tuple[time, time]


@dataclass(frozen=True)
class _Arrival:
    staff: str
    given_names: str
    family_name: str
    born: date
    flight_type: str
    category: str
    region: str
    preferred_language: str
    mode: str
    city: str | None = None
    interpreter_language: str | None = None
    phone: str | None = None
    email: str | None = None
    host_city: str | None = None


@dataclass(frozen=True)
class _Expected:
    """A person the ministry's systems announced at the airport (issue 22)."""

    given_names: str
    family_name: str
    born: date
    flight: str
    day: int
    at: str
    category: str
    region: str
    city: str | None = None


@dataclass(frozen=True)
class CalendarTables:
    """seed/demo/appointments.yaml: hours, languages, outcomes, and today's airport arrivals."""

    shifts: tuple[tuple[Period, Period], ...]  # morning and afternoon
    proposed_starts: tuple[time, ...]
    region_languages: Mapping[str, tuple[str, ...]]
    default_languages: tuple[str, ...]
    leave_agent: str
    past_outcomes: tuple[str, ...]
    cancellations: tuple[tuple[str, str | None], ...]  # reason, comment
    first_interview_modes: tuple[str, ...]
    follow_up_modes: tuple[str, ...]
    arrivals: tuple[_Arrival, ...]
    expected: tuple[_Expected, ...] = ()

    @classmethod
    def read(cls, seed_dir: str | None = None) -> CalendarTables:
        tables = read_tables("appointments", seed_dir)
        return cls(
            shifts=tuple(
                (_period(shift["morning"]), _period(shift["afternoon"]))
                for shift in tables["shifts"]
            ),
            proposed_starts=tuple(clock(start) for start in tables["proposed_starts"]),
            region_languages=tables["region_languages"],
            default_languages=tables["default_languages"],
            leave_agent=tables["leave_agent"],
            past_outcomes=tables["past_outcomes"],
            cancellations=tuple(
                (item["reason"], item.get("comment")) for item in tables["cancellations"]
            ),
            first_interview_modes=repeated(tables["first_interview_modes"]),
            follow_up_modes=repeated(tables["follow_up_modes"]),
            arrivals=tuple(shaped(_Arrival, item) for item in tables["airport_arrivals"]),
            expected=tuple(shaped(_Expected, item) for item in tables.get("expected_arrivals", ())),
        )


def _period(hours: tuple[str, str]) -> Period:
    starts, ends = hours
    return clock(starts), clock(ends)


def _public_holidays(year: int) -> dict[date, str]:
    """Days the ministry's offices close (Québec public service calendar, without the moves a
    collective agreement makes when a holiday falls on a weekend)."""
    easter = _easter(year)
    may_25 = date(year, 5, 25)
    patriots = may_25 - timedelta(days=(may_25.weekday() or 7))
    september = date(year, 9, 1)
    labour = september + timedelta(days=(7 - september.weekday()) % 7)
    october = date(year, 10, 1)
    thanksgiving = october + timedelta(days=(7 - october.weekday()) % 7 + 7)
    return {
        date(year, 1, 1): "Jour de l'An",
        date(year, 1, 2): "Lendemain du jour de l'An",
        easter - timedelta(days=2): "Vendredi saint",
        easter + timedelta(days=1): "Lundi de Pâques",
        patriots: "Journée nationale des patriotes",
        date(year, 6, 24): "Fête nationale du Québec",
        date(year, 7, 1): "Fête du Canada",
        labour: "Fête du Travail",
        thanksgiving: "Action de grâces",
        date(year, 12, 24): "Veille de Noël",
        date(year, 12, 25): "Noël",
        date(year, 12, 26): "Lendemain de Noël",
        date(year, 12, 31): "Veille du jour de l'An",
    }


def _easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """The holidays from ``first`` to ``last`` that fall on a working day."""
    found = {}
    for year in range(first.year, last.year + 1):
        found.update(_public_holidays(year))
    return sorted(
        (day, name) for day, name in found.items() if first <= day <= last and day.weekday() < 5
    )


# --- Who receives people where ------------------------------------------------------------


def _agents() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "agent", User.active.is_(True))
            .options(joinedload(User.region), joinedload(User.service_point))
            .order_by(User.id)
        )
    )


def _seat(agent: User) -> ServicePoint | None:
    """The agent's service point; for none or the airport, the region's directorate or first."""
    point = agent.service_point
    if point is not None and point.code != AIRPORT_POINT and point.region_id == agent.region_id:
        return point
    return db.session.scalars(
        select(ServicePoint)
        .where(ServicePoint.region_id == agent.region_id, ServicePoint.code != AIRPORT_POINT)
        .order_by(ServicePoint.kind != "directorate", ServicePoint.code)
        .limit(1)
    ).first()


def _open_cases() -> dict[int, list[Case]]:
    rows = db.session.scalars(
        select(Case)
        .where(Case.status != "closed")
        .options(joinedload(Case.person))
        .order_by(Case.id)
    )
    found: dict[int, list[Case]] = defaultdict(list)
    for case in rows:
        found[case.agent_id].append(case)
    return found


def _needed_language(case: Case) -> str | None:
    person = case.person
    return person.interpreter_language if person.interpreter_needed else None


def _languages(tables: CalendarTables, agent: User, cases: Sequence[Case]) -> list[str]:
    """Interpreters on site: the region's usual languages, then the caseload's most frequent
    needs. In the pilot regions the other languages go through remote interpretation."""
    base = tables.region_languages.get(agent.region.code, tables.default_languages)
    if agent.region.interpretation_pilot:
        return list(base)
    wanted = Counter(code for code in map(_needed_language, cases) if code and code != "fr")
    own = sorted(wanted, key=lambda code: (-wanted[code], code))
    return list(dict.fromkeys((*base, *own)))[:MAX_LANGUAGES]


def _availability(
    rng: random.Random,
    tables: CalendarTables,
    agents: Sequence[User],
    cases: dict[int, list[Case]],
    admin: User | None,
    today: date,
) -> int:
    """Weekly windows, holidays and one week of leave, through the availability operations."""
    added = 0
    for agent in agents:
        point = _seat(agent)
        if point is None or availability.windows_of(agent.id):
            continue  # no service point in the region, or availability already set by hand
        shift = rng.choice(tables.shifts)
        home_afternoon = rng.randrange(5)
        short_friday = rng.random() < 0.3
        languages = _languages(tables, agent, cases.get(agent.id, []))
        remote = agent.region.interpretation_pilot
        for weekday in range(5):
            for period, (starts, ends) in enumerate(shift):
                afternoon = period == 1
                if afternoon and weekday == 4 and short_friday:
                    ends = time(15, 0)
                at_home = afternoon and weekday == home_afternoon
                fields = availability.WindowFields(
                    weekday=weekday,
                    starts_at=starts,
                    ends_at=ends,
                    service_point_id=point.id,
                    modes=list(REMOTE_MODES if at_home else ALL_MODES),
                    interpreter_languages=languages,
                    remote_interpretation=remote,
                )
                availability.add_window(agent, agent, fields)
                added += 1
    _exceptions(tables, agents, admin, today)
    return added


def _exceptions(
    tables: CalendarTables, agents: Sequence[User], admin: User | None, today: date
) -> None:
    holidays = holidays_between(today - timedelta(days=PAST_DAYS), today + timedelta(days=56))
    for agent in agents:
        if not availability.windows_of(agent.id):
            continue
        for day, name in holidays:
            availability.add_exception(admin or agent, agent, day, day, "holiday", name)
    on_leave = next((a for a in agents if a.username == tables.leave_agent), None)
    on_leave = on_leave or next((a for a in reversed(agents) if a.username != HOME_AGENT), None)
    if on_leave is not None and availability.windows_of(on_leave.id):
        monday = today + timedelta(days=7 - today.weekday() + 7)  # the week after next
        availability.add_exception(
            on_leave, on_leave, monday, monday + timedelta(days=4), "leave", "Vacances"
        )


# --- Appointments ---------------------------------------------------------------------------


@dataclass
class _Tally:
    past: int = 0
    upcoming: int = 0
    airport: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.past + self.upcoming + self.airport


class _Calendars:
    """Places the demo appointments of every agent, past and upcoming."""

    def __init__(
        self, rng: random.Random, tables: CalendarTables, now: datetime, staff: Sequence[User]
    ):
        self.rng = rng
        self.tables = tables
        self.now = now
        self.today = to_local(now).date()
        self.staff = staff
        self.types = {kind.code: kind for kind in db.session.scalars(select(AppointmentType))}
        self.interviews = dict(
            db.session.execute(
                select(Assessment.case_id, Assessment.interview_date)
                .where(Assessment.number == 1, Assessment.interview_date.is_not(None))
                .order_by(Assessment.case_id)
            ).all()
        )
        self.tally = _Tally()
        # Older cases' first interviews draw from a stream of their own: the rest of the demo
        # (and what its tests count) stays as it was.
        self.early_rng = random.Random(EARLY_SEED)
        self.outcomes: dict[int, int] = defaultdict(int)
        self.booked: set[int] = set()  # cases with an upcoming appointment

    # Finding slots with the real slot generator, from any moment (past ones included).

    def _query(self, agent: User, case: Case, code: str, mode: str, days: int) -> SlotQuery:
        return SlotQuery(
            duration=timedelta(minutes=self.types[code].duration_minutes),
            mode=mode,
            agent_id=agent.id,
            language=_needed_language(case),
            days=days,
        )

    def _first_free(self, query: SlotQuery, since: datetime) -> Slot | None:
        found = find_slots(query, limit=1, now=since - MINIMUM_NOTICE)
        return found[0] if found else None

    def _past_slot(self, query: SlotQuery, days: Sequence[date]) -> Slot | None:
        """A free slot on one of ``days`` (tried in a random order) that ended before now."""
        for day in self.rng.sample(list(days), min(len(days), 4)):
            since = local_wall_to_utc(day, self.rng.choice(self.tables.proposed_starts))
            slot = self._first_free(replace(query, days=1), since) if since else None
            if slot is not None and slot.ends_at <= self.now:
                return slot
        return None

    def _past_days(self, case: Case, after: date | None = None) -> list[date]:
        """Working days from the day after the case opened (or ``after``) to yesterday."""
        first = max(self.today - timedelta(days=PAST_DAYS), to_local(case.opened_at).date())
        first = max(first, after) if after else first
        count = (self.today - first).days - 1
        days = (first + timedelta(days=n + 1) for n in range(max(count, 0)))
        return [day for day in days if day.weekday() < 5]

    # Writing past appointments: the rows a booking makes, then the outcome.

    def _write_past(
        self, agent: User, case: Case, slot: Slot, code: str, status: str
    ) -> Appointment:
        airport = self._at_airport(case, code)
        booker = self.rng.choice(self.staff) if airport else agent
        if airport:
            booked_at = case.opened_at  # at the counter, the day the person landed
        else:
            ahead = timedelta(days=self.rng.randint(2, 20), hours=self.rng.randint(0, 6))
            booked_at = max(case.opened_at, slot.starts_at - ahead)
        appointment = Appointment(
            case_id=case.id,
            agent_id=slot.agent_id,
            region_id=case.region_id,
            service_point_id=slot.service_point_id,
            type_id=self.types[code].id,
            mode=slot.mode,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status="booked",
            interpreter_language=slot.interpreter_language,
            remote_interpretation=slot.remote_interpretation,
            channel="airport" if airport else "agent",
            booked_by_id=booker.id,
            booked_at=min(booked_at, slot.starts_at),
        )
        db.session.add(appointment)
        db.session.flush()
        if status == "cancelled":
            reason, comment = self.rng.choice(self.tables.cancellations)
            appointment.cancel_reason = reason
            appointment.cancel_comment = comment
            appointment.outcome_at = appointment.booked_at + (
                slot.starts_at - appointment.booked_at
            ) * self.rng.uniform(0.3, 0.9)
        else:
            db.session.add_all(
                SlotClaim(agent_id=slot.agent_id, starts_at=unit, appointment_id=appointment.id)
                for unit in units(slot.starts_at, slot.ends_at - slot.starts_at)
            )
            if status != "booked":
                later = slot.ends_at + timedelta(minutes=self.rng.randint(5, 180))
                appointment.outcome_at = min(later, self.now)
        if status != "booked":
            appointment.status = status
            appointment.outcome_by_id = agent.id
            appointment.follow_up_needed = status == "no_show"
        db.session.flush()
        self.tally.past += 1
        return appointment

    def _past(
        self, agent: User, case: Case, code: str, mode: str, status: str, after: date | None = None
    ) -> Appointment | None:
        query = self._query(agent, case, code, mode, days=1)
        days = self._past_days(case, after)
        interviewed = self.interviews.get(case.id)
        if code == "first_interview" and interviewed in days:
            days = [interviewed]  # the day the needs assessment says the interview took place
        slot = self._past_slot(query, days) if days else None
        if slot is None:
            self.tally.skipped += 1
            return None
        return self._write_past(agent, case, slot, code, status)

    def _early_interview(self, agent: User, case: Case, mode: str) -> Appointment | None:
        """An older case's first interview, held in the weeks after it opened (its other past
        appointments fall in the last weeks only): the time from arrival to the first
        appointment is then days or weeks, as the service works (issue 19)."""
        opened = to_local(case.opened_at).date()
        before_recent = self.today - timedelta(days=PAST_DAYS)
        soon = (opened + timedelta(days=n) for n in range(1, EARLY_INTERVIEW_DAYS + 1))
        choices = [[day for day in soon if day.weekday() < 5 and day < before_recent]]
        interviewed = self.interviews.get(case.id)
        if interviewed is not None and opened < interviewed < before_recent:
            choices.insert(0, [interviewed])  # the day its assessment says, when a slot is free
        main, self.rng = self.rng, self.early_rng
        try:
            query = self._query(agent, case, "first_interview", mode, days=1)
            for days in choices:
                slot = self._past_slot(query, days) if days else None
                if slot is not None:
                    return self._write_past(agent, case, slot, "first_interview", "done")
            return None
        finally:
            self.rng = main

    def _next_outcome(self, agent: User) -> str:
        index = self.outcomes[agent.id]
        self.outcomes[agent.id] += 1
        outcomes = self.tables.past_outcomes
        return outcomes[index % len(outcomes)]

    # Booking upcoming appointments through the service layer.

    def _book(
        self, agent: User, case: Case, code: str, mode: str, since: datetime
    ) -> Appointment | None:
        query = self._query(agent, case, code, mode, days=UPCOMING_DAYS + 7)
        slot = self._first_free(query, max(since, self.now + MINIMUM_NOTICE))
        if slot is None:
            self.tally.skipped += 1
            return None
        ref = SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)
        try:
            appointment = operations.book_for_case(
                agent, case, ref, code, mode, _needed_language(case)
            )
        except operations.SlotUnavailable:
            self.tally.skipped += 1
            return None
        if self._at_airport(case, code):
            # Booked at the counter the day the person landed.
            appointment.channel = "airport"
            appointment.booked_by_id = self.rng.choice(self.staff).id
            appointment.booked_at = case.opened_at
        db.session.flush()
        self.booked.add(case.id)
        self.tally.upcoming += 1
        return appointment

    def _at_airport(self, case: Case, code: str) -> bool:
        """A first interview of a person met at the airport was booked by the counter."""
        return code == "first_interview" and case.origin == "airport" and bool(self.staff)

    def _upcoming_start(self, case: Case, within: int = UPCOMING_DAYS) -> datetime:
        planned = case.next_follow_up_on
        horizon = self.today + timedelta(days=within)
        if planned is not None and self.today < planned <= horizon:
            day = planned
        else:
            day = self.today + timedelta(days=self.rng.randint(1, within))
        return local_wall_to_utc(day, self.rng.choice(self.tables.proposed_starts)) or self.now

    # One case's story.

    def case(self, agent: User, case: Case) -> None:
        follow_mode = self.rng.choice(self.tables.follow_up_modes)
        first_mode = self.rng.choice(self.tables.first_interview_modes)
        recent = to_local(case.opened_at).date() > self.today - timedelta(days=PAST_DAYS)
        if case.status == "new":
            opened_days = (self.today - to_local(case.opened_at).date()).days
            if opened_days > 5 and self.rng.random() < 0.4:
                missed = self.rng.choice(("no_show", "cancelled"))
                self._past(agent, case, "first_interview", first_mode, missed)
            since = self._upcoming_start(case, within=10)  # a first interview comes soon
            self._book(agent, case, "first_interview", first_mode, since)
            return
        if case.status == "on_hold":
            if self.rng.random() < 0.6:
                status = self.rng.choice(("no_show", "cancelled", "done"))
                self._past(agent, case, "follow_up", follow_mode, status)
            return
        interview = (
            self._past(agent, case, "first_interview", first_mode, "done")
            if recent
            else self._early_interview(agent, case, first_mode)
        )
        after = to_local(interview.starts_at).date() if interview else None
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            self._past(agent, case, "follow_up", follow_mode, self._next_outcome(agent), after)
        if case.id not in self.booked and self.rng.random() < 0.6:
            self._book(agent, case, "follow_up", follow_mode, self._upcoming_start(case))

    def home_agent(self, agent: User, cases: Sequence[Case]) -> None:
        """The main demo agent: her next working day starts with meetings, and her latest
        meeting (the last working day's) is still to be marked done or no-show."""
        active = [c for c in cases if c.status == "active"]
        for case in active[:3]:
            self._book(
                agent, case, "follow_up", self.rng.choice(self.tables.follow_up_modes), self.now
            )
        if not active:
            return
        case = active[-1]
        query = self._query(agent, case, "follow_up", "in_person", days=6)
        since = self.now - timedelta(days=5)
        recent = [
            slot
            for slot in find_slots(query, limit=200, now=since - MINIMUM_NOTICE)
            if slot.ends_at <= self.now
        ]
        if recent:
            self._write_past(agent, case, recent[-1], "follow_up", "booked")


# --- Airport ------------------------------------------------------------------------------


def _host_city(region: Region, wanted: str | None) -> str | None:
    names = list(
        db.session.scalars(
            select(HostCity.name).where(HostCity.region_id == region.id).order_by(HostCity.name)
        )
    )
    return wanted if wanted in names else (names[0] if names else None)


def _airport_bookings(rng: random.Random, tables: CalendarTables, today: date) -> int:
    """A few first interviews booked at the counter today, through the airport operation."""
    kind = operations.appointment_type("first_interview")
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    booked = 0
    for arrival in tables.arrivals:
        staff = db.session.scalar(
            select(User).where(User.username == arrival.staff, User.active.is_(True))
        )
        region = regions.get(arrival.region)
        if staff is None or staff.role != "airport" or region is None:
            continue
        host_city = _host_city(region, arrival.host_city) if arrival.category == "gar" else None
        if arrival.category == "gar" and host_city is None:
            continue
        intake = operations.AirportIntake(
            given_names=arrival.given_names,
            family_name=arrival.family_name,
            date_of_birth=arrival.born,
            arrival_date=today,
            flight_type=arrival.flight_type,
            immigration_category=arrival.category,
            destination_region_id=region.id,
            destination_city=arrival.city,
            preferred_language=arrival.preferred_language,
            interpreter_needed=arrival.interpreter_language is not None,
            interpreter_language=arrival.interpreter_language,
            phone=arrival.phone,
            email=arrival.email,
            contact_consent=True,
            host_city=host_city,
        )
        query = operations.airport_slot_query(intake, kind, arrival.mode, None)
        slots = find_slots(query, limit=3)
        if not slots:
            continue
        slot = rng.choice(slots)
        ref = SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)
        try:
            operations.book_from_airport(staff, intake, ref, arrival.mode)
        except operations.DuplicateSuspected:
            intake.duplicates_checked = True  # the person confirmed it is someone else
            operations.book_from_airport(staff, intake, ref, arrival.mode)
        booked += 1
    return booked


def _expected_arrivals(tables: CalendarTables, today: date) -> int:
    """The persons the ministry's systems announced, as its token would post them."""
    from casework.appointments import arrivals

    for item in tables.expected:
        landing = datetime.combine(today + timedelta(days=item.day), clock(item.at))
        arrivals.announce(
            None,
            arrivals.ArrivalFields(
                given_names=item.given_names,
                family_name=item.family_name,
                date_of_birth=item.born,
                flight_number=item.flight,
                flight_type="international",
                arrives_at=local_to_utc(landing),
                immigration_category=item.category,
                destination_region=item.region,
                destination_city=item.city,
            ),
        )
    return len(tables.expected)


# --- Entry point ----------------------------------------------------------------------------


def load_demo_appointments(progress: Callable[[str], None] | None = None, seed: int = 2026) -> int:
    """Availability and appointments for the demo cases' agents, and today's airport bookings;
    nothing when an appointment exists already or when there is no case."""
    if db.session.scalar(select(Appointment.id).limit(1)) is not None:
        return 0  # already loaded, or a real calendar
    if db.session.scalar(select(Case.id).limit(1)) is None:
        return 0  # a demo without cases (--cases 0): accounts only
    rng = random.Random(seed)
    tables = CalendarTables.read()
    step = progress or (lambda _label: None)
    now = utcnow()
    agents = _agents()
    cases = _open_cases()
    admin = find_user("admin")
    if admin is not None and not (admin.active and admin.role == "admin"):
        admin = None
    windows = _availability(rng, tables, agents, cases, admin, to_local(now).date())
    db.session.flush()
    step(f"disponibilités de démonstration : {windows} plages")
    staff = list(
        db.session.scalars(
            select(User).where(User.role == "airport", User.active.is_(True)).order_by(User.id)
        )
    )
    calendars = _Calendars(rng, tables, now, staff)
    with_windows = set(db.session.scalars(select(AvailabilityWindow.agent_id).distinct()))
    for agent in agents:
        if agent.id not in with_windows:
            continue
        own = cases.get(agent.id, [])[:MAX_CASES_PER_AGENT]
        if agent.username == HOME_AGENT:
            calendars.home_agent(agent, own)
        for case in own:
            calendars.case(agent, case)
    calendars.tally.airport = _airport_bookings(rng, tables, to_local(now).date())
    _expected_arrivals(tables, to_local(now).date())
    db.session.commit()
    tally = calendars.tally
    step(
        f"rendez-vous de démonstration : {tally.total} "
        f"({tally.past} passés, {tally.upcoming} à venir, {tally.airport} à l'aéroport"
        + (f", {tally.skipped} sans créneau libre)" if tally.skipped else ")")
    )
    return tally.total
