"""The reception service at Montréal-Trudeau: its opening hours and the refugees in its care
(from the ministry's plan, Encadré 2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.appointments.slots import to_local
from casework.core.i18n import format_clock
from casework.extensions import db
from casework.reference.models import HostCity

SERVICE_POINT = "AEROPORT-YUL"


@dataclass(frozen=True)
class Counter:
    code: str
    label: str
    opens: time
    closes: time | None  # None: midnight, the end of the day

    def is_open_at(self, local: datetime) -> bool:
        moment = local.time()
        return moment >= self.opens and (self.closes is None or moment < self.closes)

    @property
    def hours(self) -> str:
        """« 11 h 00 – minuit », "11:00 AM – midnight": the one time format of the pages."""
        closes = _("midnight") if self.closes is None else format_clock(self.closes)
        return f"{format_clock(self.opens)} – {closes}"


# International arrivals 11:00–24:00, domestic arrivals 07:00–23:00, every day.
COUNTERS = (
    Counter("international", _l("International arrivals"), time(11), None),
    Counter("domestic", _l("Domestic arrivals"), time(7), time(23)),
)


@dataclass(frozen=True)
class CounterStatus:
    counter: Counter
    open_now: bool


def opening_hours(now_utc: datetime) -> list[CounterStatus]:
    local = to_local(now_utc)
    return [CounterStatus(counter, counter.is_open_at(local)) for counter in COUNTERS]


# The service looks after refugees « parrainées et prises en charge par l'État » until they
# leave Montréal for their host city (l. 387–390): government-assisted refugees go to one of
# the host cities (seed/host_cities.yaml), refugees under collective sponsorship (parrainage
# collectif) to the city of their sponsors.
REFUGEE_CATEGORIES = ("gar", "psr")
HOST_CITY_MAX = 80  # AirportBooking.host_city


def host_city_of(category: str, host_city: str | None, destination_city: str | None) -> str | None:
    """The city a refugee leaves Montréal for; None for the other categories."""
    if category == "gar":
        return host_city
    if category == "psr":
        return destination_city
    return None


def refugee_destination_problem(
    category: str, host_city: str | None, destination_city: str | None, region: Any
) -> tuple[Any, str] | None:
    """What is wrong with a refugee's destination (message, field), or None."""
    if category == "psr":
        if destination_city and len(destination_city) <= HOST_CITY_MAX:
            return None
        if destination_city:
            return _l("At most %(max)d characters.", max=HOST_CITY_MAX), "destination_city"
        return _l("Give the city of the sponsors: the person leaves for it."), "destination_city"
    if category != "gar":
        return None
    city = db.session.scalar(select(HostCity).where(HostCity.name == (host_city or "")))
    if city is None:
        return (
            _l("Government-assisted refugees are received in a host city: choose it."),
            "host_city",
        )
    if region is not None and city.region_id != region.id:
        return _l("This host city is not in the destination region."), "host_city"
    return None
