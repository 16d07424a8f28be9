"""The refugees in the airport service's care: welcomed at the airport, then gone to their host
city (Encadré 2, l. 387–390). Recorded without a booking; no case file is opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from casework.appointments import airport
from casework.appointments.models import AirportReception
from casework.core import audit
from casework.core.domain import DomainError, StaleEdit
from casework.core.time import local_to_utc, local_today, utcnow
from casework.extensions import db
from casework.reference.models import Region

# Those who left are still listed this many days, so a departure entered by mistake is seen.
LEFT_SHOWN_DAYS = 2
ARRIVAL_DAYS_BACK = 60


class ReceptionError(DomainError):
    """The reception cannot be recorded as given (nothing is stored)."""


@dataclass(frozen=True)
class ReceptionFields:
    given_names: str
    family_name: str
    immigration_category: str
    arrival_date: date | None
    destination_region_id: int | None
    host_city: str | None
    destination_city: str | None


ONLY_REFUGEES = _l("The airport looks after government-assisted and sponsored refugees only.")
CHOOSE_REGION = _l("Choose the destination region.")


def welcome(actor: Any, fields: ReceptionFields, today: date | None = None) -> AirportReception:
    """Record a refugee welcomed at the airport, in the service's care until they leave."""
    today = today or local_today()
    if fields.immigration_category not in airport.REFUGEE_CATEGORIES:
        raise ReceptionError(ONLY_REFUGEES, "immigration_category")
    arrival = fields.arrival_date
    if arrival is None or not today - timedelta(days=ARRIVAL_DAYS_BACK) <= arrival <= today:
        raise ReceptionError(
            _l("Give an arrival date within the last %(days)d days.", days=ARRIVAL_DAYS_BACK),
            "arrival_date",
        )
    region = (
        db.session.get(Region, fields.destination_region_id)
        if fields.destination_region_id
        else None
    )
    if region is None:
        raise ReceptionError(CHOOSE_REGION, "destination_region_id")
    problem = airport.refugee_destination_problem(
        fields.immigration_category, fields.host_city, fields.destination_city, region
    )
    if problem is not None:
        raise ReceptionError(*problem)
    reception = AirportReception(
        given_names=fields.given_names,
        family_name=fields.family_name,
        immigration_category=fields.immigration_category,
        arrival_date=arrival,
        destination_region_id=region.id,
        host_city=airport.host_city_of(
            fields.immigration_category, fields.host_city, fields.destination_city
        ),
        welcomed_by_id=actor.id,
        welcomed_at=utcnow(),
    )
    db.session.add(reception)
    db.session.flush()
    audit.record(actor, "airport_reception.welcomed", reception)
    return reception


def left(actor: Any, reception: AirportReception, expected_version: int | None) -> None:
    """The person left Montréal for their host city: out of the service's care."""
    if expected_version != reception.version:
        raise StaleEdit()
    if not reception.in_care:
        raise ReceptionError(_l("This person already left for their host city."))
    reception.left_at = utcnow()
    reception.left_recorded_by_id = actor.id
    audit.record(actor, "airport_reception.left", reception, host_city=reception.host_city)


def current() -> list[AirportReception]:
    """Those in the service's care, then those who left in the last days; oldest arrival first."""
    since = local_to_utc(datetime.combine(local_today() - timedelta(days=LEFT_SHOWN_DAYS), time()))
    return list(
        db.session.scalars(
            select(AirportReception)
            .options(
                joinedload(AirportReception.destination_region),
                joinedload(AirportReception.welcomed_by),
            )
            .where(or_(AirportReception.left_at.is_(None), AirportReception.left_at >= since))
            .order_by(
                AirportReception.left_at.is_not(None),
                AirportReception.arrival_date,
                AirportReception.id,
            )
        )
    )
