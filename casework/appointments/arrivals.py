"""Expected arrivals: persons the ministry's systems announce at Montréal-Trudeau (through the
API, issue 22). The airport console lists them (« Arrivées attendues »), and one step turns an
arrival into a case and a first appointment (``book``): the arrival is then received and linked
to its case. Personal data: every read of the list is audited, and the retention job deletes an
arrival whose time is more than ``ARRIVAL_RETENTION_DAYS`` old (docs/privacy.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case as when
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from casework.appointments.models import AirportBooking, ExpectedArrival
from casework.appointments.slots import SlotRef
from casework.cases.choices import IMMIGRATION_CATEGORIES
from casework.core import audit
from casework.core.domain import Checks, DomainError
from casework.core.pagination import Page, paginate
from casework.core.time import local_to_utc, local_today, utcnow
from casework.extensions import db
from casework.reference.models import Region

# An arrival announced more than this long after its time is a late message, not an arrival to
# expect: refused. Arrivals are announced at most this far ahead.
PAST_TOLERANCE = timedelta(hours=48)
HORIZON = timedelta(days=366)
PER_PAGE = 25


class ArrivalError(DomainError):
    """The arrival cannot be recorded or received as given (nothing is stored)."""


@dataclass(frozen=True)
class ArrivalFields:
    given_names: str
    family_name: str
    date_of_birth: date
    flight_number: str
    flight_type: str
    arrives_at: datetime  # naive UTC
    immigration_category: str
    destination_region: str  # the region's official code (« 06 »)
    destination_city: str | None = None


def announce(
    actor: Any, fields: ArrivalFields, now: datetime | None = None
) -> tuple[ExpectedArrival, bool]:
    """Record a person expected at the airport, and whether it is new: the same person (names,
    date of birth, flight, time) still expected is not recorded twice. Every refusal found is
    raised at once."""
    from casework.appointments.operations import FLIGHT_TYPES

    now = now or utcnow()
    checks = Checks(ArrivalError)
    checks.require(
        now - PAST_TOLERANCE <= fields.arrives_at,
        _l("The arrival is more than 48 hours in the past: it is no longer expected."),
        "arrives_at",
    )
    checks.require(
        fields.arrives_at <= now + HORIZON,
        _l("The arrival is more than a year ahead."),
        "arrives_at",
    )
    checks.require(
        date(1900, 1, 1) <= fields.date_of_birth <= fields.arrives_at.date(),
        _l("The date of birth must be before the arrival."),
        "date_of_birth",
    )
    checks.require(
        fields.immigration_category in IMMIGRATION_CATEGORIES,
        _l("Not a valid choice."),
        "immigration_category",
    )
    checks.require(fields.flight_type in FLIGHT_TYPES, _l("Not a valid choice."), "flight_type")
    region = db.session.scalar(select(Region).where(Region.code == fields.destination_region))
    checks.require(region is not None, _l("No region has this code."), "destination_region")
    checks.done()
    same = db.session.scalar(
        select(ExpectedArrival).where(
            ExpectedArrival.status == "expected",
            ExpectedArrival.given_names == fields.given_names,
            ExpectedArrival.family_name == fields.family_name,
            ExpectedArrival.date_of_birth == fields.date_of_birth,
            ExpectedArrival.flight_number == fields.flight_number,
            ExpectedArrival.arrives_at == fields.arrives_at,
        )
    )
    if same is not None:
        return same, False
    arrival = ExpectedArrival(
        given_names=fields.given_names,
        family_name=fields.family_name,
        date_of_birth=fields.date_of_birth,
        flight_number=fields.flight_number,
        flight_type=fields.flight_type,
        arrives_at=fields.arrives_at,
        immigration_category=fields.immigration_category,
        destination_region_id=region.id,
        destination_city=fields.destination_city,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(arrival)
    db.session.flush()
    audit.record(actor, "arrival.announced", arrival, flight=arrival.flight_number)
    return arrival, True


def start_of_day(today: date | None = None) -> datetime:
    """Midnight in Québec, in UTC: arrivals before it are earlier days' (not come yet)."""
    return local_to_utc(datetime.combine(today or local_today(), time()))


def listed(actor: Any, page_number: int, today: date | None = None) -> Page:
    """The arrivals still expected: today's and the next days' first, by arrival time, then
    the earlier ones not received yet (most recent first). The read is audited."""
    earlier = ExpectedArrival.arrives_at < start_of_day(today)
    statement = (
        select(ExpectedArrival)
        .options(joinedload(ExpectedArrival.destination_region))
        .where(ExpectedArrival.status == "expected")
        .order_by(
            when((earlier, 1), else_=0),
            when((earlier, None), else_=ExpectedArrival.arrives_at),
            ExpectedArrival.arrives_at.desc(),
            ExpectedArrival.id,
        )
    )
    count = select(ExpectedArrival.id).where(ExpectedArrival.status == "expected")
    page = paginate(statement, page_number, PER_PAGE, count_statement=count)
    audit.record(
        actor,
        "arrivals.listed",
        target_type="expected_arrival",
        arrival_ids=[arrival.id for arrival in page.items],
    )
    return page


def opened(actor: Any, arrival: ExpectedArrival) -> ExpectedArrival:
    """An arrival read to fill the console's form (audited); only one still expected."""
    if not arrival.is_expected:
        raise ArrivalError(_l("This person was already received: their case is open."))
    audit.record(actor, "arrival.viewed", arrival)
    return arrival


def book(
    actor: Any,
    arrival: ExpectedArrival,
    intake: Any,
    ref: SlotRef | None,
    mode: str,
    service_point_id: int | None = None,
) -> AirportBooking:
    """The case and its first appointment from an expected arrival, in one step: the console's
    booking, then the arrival is received and linked to the new case."""
    from casework.appointments.operations import book_from_airport

    if not arrival.is_expected:
        raise ArrivalError(_l("This person was already received: their case is open."))
    booking = book_from_airport(actor, intake, ref, mode, service_point_id)
    # Two counters booking the same arrival at once: the second one's UPDATE finds it received
    # (it waits for the first one's row lock on PostgreSQL, for the write lock on SQLite) and
    # its whole booking rolls back.
    received = db.session.execute(
        update(ExpectedArrival)
        .where(ExpectedArrival.id == arrival.id, ExpectedArrival.status == "expected")
        .values(
            status="received",
            received_at=utcnow(),
            received_by_id=actor.id,
            case_id=booking.appointment.case_id,
            booking_id=booking.id,
        )
        .execution_options(synchronize_session="fetch")
    )
    if received.rowcount != 1:
        raise ArrivalError(_l("This person was already received: their case is open."))
    audit.record(actor, "arrival.received", arrival, case_id=booking.appointment.case_id)
    return booking


def purge_expired(now: datetime, retention_days: int) -> dict[str, int]:
    """Delete the arrivals whose time is more than ``retention_days`` old: those never received
    (nobody came), and those received (their case holds the person from then on). Counts only;
    the caller commits."""
    limit = now - timedelta(days=retention_days)
    rows = db.session.execute(
        select(ExpectedArrival.status).where(ExpectedArrival.arrives_at <= limit)
    ).scalars()
    counts = Counter(f"arrivals_{status}" for status in rows)
    if counts:
        db.session.execute(delete(ExpectedArrival).where(ExpectedArrival.arrives_at <= limit))
    audit.record(None, "retention.arrivals", target_type="expected_arrival", **dict(counts))
    return dict(counts)
