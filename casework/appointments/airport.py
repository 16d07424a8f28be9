"""The reception service at Montréal-Trudeau: its opening hours (from the ministry's plan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework.appointments.slots import to_local
from casework.core.i18n import format_clock

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
