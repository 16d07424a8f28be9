"""The action plan's indicators (issue 19, point 5): per region and period, each figure tied to
the measure of the ministry's plan it reports on (``reference/plan-action-ovt-2020-2022.txt``,
cited by line).

Most indicators are a **case set**: a function ``(start, end) -> Select`` of the ids of the cases
it counts in the period (local days, both included). One query per indicator counts them by
region (GROUP BY), so the page's number of queries does not grow with the data; the same
function, registered as a ``cases.operations.Cohort`` (``reports/listeners.py``), lists them in
the caseload (the drill-down), so a figure and its list cannot disagree.

Indicators that read the follow-up interviews and the referral outcomes (issue 19, points 1
and 4) are case sets too (``case_sets.py``, second half). An indicator declared before its data
exists has a function that returns ``None`` (``PENDING_FUNCTIONS`` lists them; none today): the
page marks it « available with the follow-ups » and never shows a number for it.

Regionalisation is also shown by region of arrival (the destination) × region of settlement,
at 6 and at 12 months (``settlement_counts``): one GROUP BY per milestone.

No request, no flash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, distinct, false, func, select, true
from sqlalchemy.orm import aliased

from casework.appointments.models import AirportReception
from casework.cases.models import Case, Person
from casework.cases.operations import Cohort
from casework.core.db import days_between
from casework.extensions import db
from casework.reference.models import Region
from casework.reports.case_sets import (
    DELAY_SETS,
    airport_booked,
    airport_booked_held,
    arrival_and_settlement,
    arrival_to_first_appointment,
    arrival_to_plan,
    bounds,
    destination_outside_cmm,
    employed_6,
    employed_12,
    employed_in_field_6,
    employed_in_field_12,
    employment_followed_6,
    employment_followed_12,
    followed_at_6,
    followed_at_12,
    francisation_enrolled,
    francisation_enrolled_in_person,
    francisation_enrolled_online,
    francisation_level_reached,
    francisation_referred,
    opened,
    pilot_appointments,
    pilot_interviews,
    requalification_job_in_target_cnp,
    requalification_referred,
    requalification_training_finished,
    requalification_training_started,
    served,
    settled_in_iles_de_la_madeleine,
    settled_outside_cmm_6,
    settled_outside_cmm_12,
    since_arrival,
)
from casework.reports.operations import Days, DelayStat, day_counts

# Counts under this are shown as « < 5 » outside a user's own caseload (the analytics extract's
# small-cell threshold, reports.analytics.SMALL_CELL).
SMALL_COUNT = 5
SUPPRESSED = "< 5"
# The French words of the marks, also used in the CSV.
# A count of five or more hidden so that a small one beside it cannot be worked out by
# subtracting the others from their total (complementary suppression).
HIDDEN = _l("hidden")
PENDING = _l("available with the follow-ups")
NOT_RECORDED = _l("not recorded")


# --- The plan's measures, cited by line ----------------------------------------------------


@dataclass(frozen=True)
class Measure:
    key: str
    code: str
    title: Any
    lines: str  # where the document says it: « l. 1884 »


MEASURES = {
    measure.key: measure
    for measure in (
        Measure(
            "regionalisation",
            "C",
            _l("Decentralisation and regionalisation (general priority C)"),
            "l. 1037",
        ),
        Measure(
            "employment",
            "A",
            _l(
                "Attraction, retention and development of the immigrant workforce (general priority A)"
            ),
            "l. 976",
        ),
        Measure(
            "francisation",
            "B.3",
            _l("French courses for immigrants settled in the regions"),
            "l. 1023",
        ),
        Measure(
            "requalification",
            _l("Box 8"),
            _l("Requalification through Accompagnement Québec (MTESS)"),
            "l. 647–660",
        ),
        Measure(
            "pilot",
            "4.5.2 · 7.6.3 · 13.1.2",
            _l("Remote interpretation pilot in needs assessment interviews"),
            "l. 1278, 1429, 1722",
        ),
        Measure(
            "airport",
            "15.4.1",
            _l("Welcome at Montréal-Trudeau airport on arrival (and Box 2)"),
            "l. 1884; l. 380–390",
        ),
        Measure(
            "accompaniment",
            "B.2",
            _l("The tools to settle and integrate, through Accompagnement Québec"),
            "l. 1019",
        ),
    )
}


# --- The indicators -------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    measure: str
    label: Any
    case_ids: Callable[[date, date], Select | None] | None = None
    denominator: str | None = None  # another indicator's key: a rate is shown beside
    note: Any = None
    level: int = 0  # 1: a step under the row before (a funnel)


INDICATORS: tuple[Indicator, ...] = (
    # Regionalisation (priority C): the residence recorded by the follow-ups.
    Indicator(
        "followed_6",
        "regionalisation",
        _l("Persons followed at 6 months (residence recorded)"),
        followed_at_6,
    ),
    Indicator(
        "destination_outside_cmm",
        "regionalisation",
        _l("Destination at arrival outside the Montréal metropolitan community"),
        destination_outside_cmm,
        "followed_6",
        level=1,
    ),
    Indicator(
        "outside_cmm_6",
        "regionalisation",
        _l("Living outside the Montréal metropolitan community at 6 months"),
        settled_outside_cmm_6,
        "followed_6",
        level=1,
    ),
    Indicator(
        "followed_12",
        "regionalisation",
        _l("Persons followed at 12 months (residence recorded)"),
        followed_at_12,
    ),
    Indicator(
        "outside_cmm_12",
        "regionalisation",
        _l("Living outside the Montréal metropolitan community at 12 months"),
        settled_outside_cmm_12,
        "followed_12",
        level=1,
    ),
    Indicator(
        "iles_de_la_madeleine",
        "regionalisation",
        _l("Settled in Îles-de-la-Madeleine at 6 months (counted apart from Gaspésie)"),
        settled_in_iles_de_la_madeleine,
    ),
    # Employment (priority A).
    Indicator(
        "employment_followed_6",
        "employment",
        _l("Persons whose employment was recorded at 6 months"),
        employment_followed_6,
    ),
    Indicator(
        "employed_6",
        "employment",
        _l("In employment at 6 months"),
        employed_6,
        "employment_followed_6",
        level=1,
    ),
    Indicator(
        "employed_in_field_6",
        "employment",
        _l("In employment in their field at 6 months"),
        employed_in_field_6,
        "employment_followed_6",
        level=1,
    ),
    Indicator(
        "employment_gap",
        "employment",
        _l("Employment rate gap between immigrants and the whole population"),
        None,
        note=_l(
            "Source outside casework: Statistics Canada, Labour Force Survey (to be entered with its year); not computed from the cases"
        ),
    ),
    Indicator(
        "employment_followed_12",
        "employment",
        _l("Persons whose employment was recorded at 12 months"),
        employment_followed_12,
    ),
    Indicator(
        "employed_12",
        "employment",
        _l("In employment at 12 months"),
        employed_12,
        "employment_followed_12",
        level=1,
    ),
    Indicator(
        "employed_in_field_12",
        "employment",
        _l("In employment in their field at 12 months"),
        employed_in_field_12,
        "employment_followed_12",
        level=1,
    ),
    # Francisation (B.3).
    Indicator(
        "francisation_referred",
        "francisation",
        _l("Persons referred to Francisation Québec"),
        francisation_referred,
    ),
    Indicator(
        "francisation_enrolled",
        "francisation",
        _l("Enrolled in a French course"),
        francisation_enrolled,
        "francisation_referred",
        level=1,
    ),
    Indicator(
        "francisation_online",
        "francisation",
        _l("Enrolled online"),
        francisation_enrolled_online,
        "francisation_enrolled",
        level=1,
    ),
    Indicator(
        "francisation_in_person",
        "francisation",
        _l("Enrolled in person"),
        francisation_enrolled_in_person,
        "francisation_enrolled",
        level=1,
    ),
    Indicator(
        "francisation_level",
        "francisation",
        _l("Level reached on the Québec scale (1–12) recorded"),
        francisation_level_reached,
        "francisation_enrolled",
        level=1,
    ),
    # Requalification (Encadré 8).
    Indicator(
        "requalification_referred",
        "requalification",
        _l("Persons referred to MTESS for requalification"),
        requalification_referred,
    ),
    Indicator(
        "requalification_started",
        "requalification",
        _l("Training started"),
        requalification_training_started,
        "requalification_referred",
        level=1,
    ),
    Indicator(
        "requalification_finished",
        "requalification",
        _l("Training finished"),
        requalification_training_finished,
        "requalification_referred",
        level=1,
    ),
    Indicator(
        "requalification_job",
        "requalification",
        _l("Job obtained in the target occupation (CNP)"),
        requalification_job_in_target_cnp,
        "requalification_referred",
        level=1,
    ),
    # Remote interpretation pilot (4.5.2, 7.6.3, 13.1.2): by region in its own table as well.
    Indicator(
        "pilot_interviews",
        "pilot",
        _l("Persons with a needs assessment interview under the pilot"),
        pilot_interviews,
    ),
    Indicator(
        "pilot_appointments",
        "pilot",
        _l("Persons with an appointment held under the pilot"),
        pilot_appointments,
    ),
    # Airport (15.4.1); the refugees in the airport team's care are counted apart (no case).
    Indicator(
        "airport_booked",
        "airport",
        _l("Persons welcomed who booked a first Accompagnement Québec appointment"),
        airport_booked,
    ),
    Indicator(
        "airport_booked_held",
        "airport",
        _l("Of whom the first appointment was held"),
        airport_booked_held,
        "airport_booked",
        level=1,
    ),
    # Accompaniment (B.2).
    Indicator("opened", "accompaniment", _l("Cases opened"), opened),
    Indicator(
        "served", "accompaniment", _l("Persons served (an appointment held in the period)"), served
    ),
)
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

# What the lead fills when the follow-ups land: indicator key → the function to write.
PENDING_FUNCTIONS = {
    indicator.key: indicator.case_ids.__name__
    for indicator in INDICATORS
    if getattr(indicator.case_ids, "awaiting_follow_ups", False)
}


def cohort_code(key: str) -> str:
    """The caseload's ``cohort`` of an indicator (its drill-down)."""
    return f"indicator_{key}"


def caseload_cohorts() -> list[Cohort]:
    """The caseload's drill-down of each indicator with a case set today: the same function
    selects the ids the figure counts and the cases the list shows."""
    sets: dict[str, Callable[[date, date], Select | None]] = {
        "arrival_to_first_appointment": arrival_to_first_appointment,
        "arrival_to_plan": arrival_to_plan,
    }
    labels = dict(DELAY_LABELS)
    for indicator in INDICATORS:
        if indicator.case_ids is not None:
            sets[indicator.key], labels[indicator.key] = indicator.case_ids, indicator.label
    return [Cohort(cohort_code(key), labels[key], _in_set(sets[key])) for key in sets]


def _in_set(case_ids: Callable[[date, date], Select | None]) -> Callable[..., Any]:
    def condition(first: date, last: date, _region_ids: Any, _readable: Any) -> Any:
        statement = case_ids(first, last)
        return false() if statement is None else Case.id.in_(statement)

    return condition


def drillable(key: str) -> bool:
    """Whether the indicator has a case set today (a link to its cases)."""
    if key in DELAY_SETS:
        return True
    return key in BY_KEY and BY_KEY[key].case_ids is not None


# --- Figures --------------------------------------------------------------------------------


def shown(count: int | None, exact: bool) -> str:
    """A count as the page and the CSV show it: « < 5 » under five unless ``exact``; a count
    hidden beside a small one (``None`` from ``protected``) reads « hidden »."""
    if count is None:
        return str(HIDDEN)
    if not exact and count < SMALL_COUNT:
        return SUPPRESSED
    return str(count)


@dataclass
class Figure:
    indicator: Indicator
    count: int | None  # None: waiting for the follow-ups
    by_region: dict[int, int] = field(default_factory=dict)
    denominator: int | None = None

    @property
    def pending(self) -> bool:
        """Declared, its function waiting for data (it returned None)."""
        return self.count is None and self.indicator.case_ids is not None

    @property
    def external(self) -> bool:
        """Not computed from the cases (its source is named in its note)."""
        return self.indicator.case_ids is None

    def rate(self, exact: bool) -> float | None:
        """The share of the denominator, in percent; hidden when either count is small."""
        if self.count is None or not self.denominator:
            return None
        if not exact and (self.count < SMALL_COUNT or self.denominator < SMALL_COUNT):
            return None
        return round(100 * self.count / self.denominator, 1)


@dataclass(frozen=True)
class Delay(DelayStat):
    """The dashboard's delay (count, median, 90th percentile), shown with small counts hidden."""

    def shown_median(self, exact: bool) -> float | None:
        """The median of fewer than five persons is not shown outside one's own caseload."""
        return self.median if exact or self.n >= SMALL_COUNT else None


DELAY_LABELS = {
    "arrival_to_first_appointment": _l("From arrival to the first appointment held"),
    "arrival_to_plan": _l("From arrival to the first finalised plan"),
}


@dataclass(frozen=True)
class Reception:
    """The refugees the airport team welcomed (Encadré 2): no case file, counted apart."""

    welcomed: int
    left_for_host_city: int


@dataclass(frozen=True)
class SettlementRow:
    """Persons of one region of arrival (destination) living in one region of settlement, at
    6 and at 12 months; the rates are shares of the persons of that destination followed at
    that milestone."""

    destination: str  # labels, in the reader's language
    settlement: str
    at_6: int
    of_6: int
    at_12: int
    of_12: int

    def rate(self, milestone: int, exact: bool) -> float | None:
        count, total = (self.at_6, self.of_6) if milestone == 6 else (self.at_12, self.of_12)
        if not total or (not exact and (count < SMALL_COUNT or total < SMALL_COUNT)):
            return None
        return round(100 * count / total, 1)


def percent_pattern() -> str:
    """« %(rate)s %% » in the reader's language, not yet filled in: looked up once for a
    table's hundreds of rates (each lookup of the language and catalogue cost more than the
    rest of the cell)."""
    return gettext("%(rate)s %%")


def rate_text(rate: float | None, pattern: str | None = None) -> str:
    """A rate as the page shows it: « 12,5 % », or « — » when hidden or undefined
    (``pattern``: ``percent_pattern()``, when the caller formats many)."""
    if rate is None:
        return "—"
    return (pattern or percent_pattern()) % {"rate": str(rate).replace(".", ",")}


def settlement_cells(rows: list[SettlementRow], exact: bool) -> list[tuple[str, str, list[str]]]:
    """The settlement table as the page shows it: each row's labels, then its persons and rate
    at 6 and at 12 months (« < 5 », « 12,5 % », « — »). Formatted here rather than cell by
    cell in the template: a province has hundreds of rows (half the page's time at 200,000
    cases)."""
    pattern = percent_pattern()
    return [
        (
            row.destination,
            row.settlement,
            [
                shown(row.at_6, exact),
                rate_text(row.rate(6, exact), pattern),
                shown(row.at_12, exact),
                rate_text(row.rate(12, exact), pattern),
            ],
        )
        for row in rows
    ]


@dataclass
class Indicators:
    start: date
    end: date
    region_ids: list[int] | None
    exact: bool
    figures: dict[str, Figure]
    delays: list[Delay]
    reception: Reception
    pilot_regions: list[Region]
    settlement: list[SettlementRow] = field(default_factory=list)
    computed_at: datetime | None = None  # from a snapshot (reports/snapshots.py)

    def figure(self, key: str) -> Figure:
        return self.figures[key]

    def of_measure(self, measure: str) -> list[Figure]:
        return [f for f in self.figures.values() if f.indicator.measure == measure]

    @property
    def airport_welcomed(self) -> int | None:
        """Persons welcomed at the airport and recorded: booked at the counter, or refugees
        taken into the team's care. Both parts are shown beside it: when one is under five, the
        sum is hidden (None), or it would give that one away."""
        parts = [self.figures["airport_booked"].count or 0, self.reception.welcomed]
        if not self.exact and min(parts) < SMALL_COUNT <= sum(parts):
            return None
        return sum(parts)


def _in_regions(column: Any, region_ids: list[int] | None) -> Any:
    return true() if region_ids is None else column.in_(region_ids)


def count_by_region(case_ids: Select, region_ids: list[int] | None) -> dict[int, int]:
    """The cases ``case_ids`` selects, by the region of the case: one query."""
    rows = db.session.execute(
        select(Case.region_id, func.count(distinct(Case.id)))
        .where(Case.id.in_(case_ids), _in_regions(Case.region_id, region_ids))
        .group_by(Case.region_id)
    ).all()
    return {region_id: n for region_id, n in rows}


def delay_values(key: str, start: date, end: date, region_ids: list[int] | None) -> Delay:
    """Days from arrival to the first appointment held, or to the first finalised plan, of the
    cases whose first falls in the period: one query, persons counted per number of days."""
    first = DELAY_SETS[key](start, end)
    waited = days_between(first.c.on, Person.arrival_date)
    # The milestones' region is the case's (kept with each transfer): a region's period is read
    # from their index, not from all the region's cases.
    rows = db.session.execute(
        since_arrival(first)
        .with_only_columns(waited, func.count())
        .where(_in_regions(first.c.region_id, region_ids))
        .group_by(waited)
    )
    # A first on the day of arrival in UTC but the day before in Québec waited 0 days.
    return Delay(key, DELAY_LABELS[key], day_counts((max(0, d), n) for d, n in rows))


def reception(start: date, end: date, region_ids: list[int] | None) -> Reception:
    """Refugees welcomed at the airport in the period, and those whose departure for their
    host city was recorded in it, by their destination region: one query."""
    low, high = bounds(start, end)
    left = aliased(AirportReception)
    welcomed = (
        select(func.count(AirportReception.id))
        .where(
            AirportReception.welcomed_at >= low,
            AirportReception.welcomed_at < high,
            _in_regions(AirportReception.destination_region_id, region_ids),
        )
        .scalar_subquery()
    )
    departed = (
        select(func.count(left.id))
        .where(
            left.left_at >= low,
            left.left_at < high,
            _in_regions(left.destination_region_id, region_ids),
        )
        .scalar_subquery()
    )
    row = db.session.execute(select(welcomed, departed)).one()
    return Reception(int(row[0] or 0), int(row[1] or 0))


@dataclass
class Counts:
    """What the queries give, before labels (what a snapshot keeps): per indicator the counts by
    region (None: waiting), the delays' days (``day_counts``), the receptions, the settlement rows
    (destination, region of residence, in Îles-de-la-Madeleine, persons) per milestone."""

    by_region: dict[str, dict[int, int] | None]
    delays: dict[str, Days]
    reception: tuple[int, int]
    settlement: dict[int, list[tuple[int | None, int, bool, int]]]


def measure(start: date, end: date, region_ids: list[int] | None) -> Counts:
    """Run the queries: one per indicator available today, one per delay, one for the
    receptions, two for the settlement table, whatever the number of cases."""
    by_region: dict[str, dict[int, int] | None] = {}
    for indicator in INDICATORS:
        statement = indicator.case_ids(start, end) if indicator.case_ids else None
        by_region[indicator.key] = (
            None if statement is None else count_by_region(statement, region_ids)
        )
    arrived = reception(start, end, region_ids)
    return Counts(
        by_region=by_region,
        delays={key: delay_values(key, start, end, region_ids).days for key in DELAY_SETS},
        reception=(arrived.welcomed, arrived.left_for_host_city),
        settlement=settlement_counts(start, end, region_ids),
    )


def compute(
    start: date, end: date, region_ids: list[int] | None, exact: bool = False
) -> Indicators:
    """Every indicator for the regions (None: the province) and period, computed now."""
    return assemble(start, end, region_ids, exact, measure(start, end, region_ids))


def assemble(
    start: date, end: date, region_ids: list[int] | None, exact: bool, counts: Counts
) -> Indicators:
    """The page's figures from the counts (one query: the regions, for labels and the pilot)."""
    figures: dict[str, Figure] = {}
    for indicator in INDICATORS:
        by_region = counts.by_region.get(indicator.key)
        if by_region is None:
            figures[indicator.key] = Figure(indicator, None)
        else:
            figures[indicator.key] = Figure(indicator, sum(by_region.values()), by_region)
    for figure in figures.values():
        if figure.indicator.denominator and figure.count is not None:
            figure.denominator = figures[figure.indicator.denominator].count
    every_region = list(db.session.scalars(select(Region).order_by(Region.code)))
    pilot_regions = [
        region
        for region in every_region
        if region.interpretation_pilot and (region_ids is None or region.id in region_ids)
    ]
    return Indicators(
        start=start,
        end=end,
        region_ids=region_ids,
        exact=exact,
        figures=figures,
        delays=[Delay(key, DELAY_LABELS[key], counts.delays.get(key, ())) for key in DELAY_SETS],
        reception=Reception(*counts.reception),
        pilot_regions=pilot_regions,
        settlement=settlement_rows(counts.settlement, every_region),
    )


NO_DESTINATION = _l("Destination not recorded")
GASPESIE = _l("Gaspésie")
ILES = _l("Îles-de-la-Madeleine")


def settlement_counts(
    start: date, end: date, region_ids: list[int] | None
) -> dict[int, list[tuple[int | None, int, bool, int]]]:
    """The persons followed at 6 and at 12 months in the period (their residence recorded), by
    region of arrival (``persons.destination_region_id``) and region of settlement (the
    follow-up's residence), in Îles-de-la-Madeleine or not, in the regions of the cases: two
    queries."""
    return {
        milestone: [
            (destination, settled, bool(iles), n)
            for destination, settled, iles, n in db.session.execute(
                arrival_and_settlement(milestone, start, end).where(
                    _in_regions(Case.region_id, region_ids)
                )
            ).all()
        ]
        for milestone in (6, 12)
    }


def settlement_rows(
    found: dict[int, list[tuple[int | None, int, bool, int]]], regions: list[Region]
) -> list[SettlementRow]:
    """The table by region of arrival × region of settlement (region 11 split into Gaspésie
    and Îles-de-la-Madeleine), rates against the persons of each destination followed."""
    counts: dict[int, dict[tuple[Any, Any], int]] = {}
    totals: dict[int, dict[Any, int]] = {}
    for milestone in (6, 12):
        counts[milestone], totals[milestone] = {}, {}
        for destination, settled, iles, n in found.get(milestone, []):
            key = (destination, (settled, bool(iles)))
            counts[milestone][key] = counts[milestone].get(key, 0) + n
            totals[milestone][destination] = totals[milestone].get(destination, 0) + n
    # Each region's label read once, in the reader's language: a province's table has
    # hundreds of rows, and each label looks the language up again.
    labels = {region.id: region.label for region in regions}
    split = {region.id for region in regions if region.code == "11"}
    iles, gaspesie, nowhere = str(ILES), str(GASPESIE), str(NO_DESTINATION)
    order = {region.id: index for index, region in enumerate(regions)}

    def settlement_label(settled: tuple[int, bool]) -> str:
        if settled[0] in split:
            return iles if settled[1] else gaspesie
        return labels[settled[0]]

    keys = sorted(
        set(counts[6]) | set(counts[12]),
        key=lambda k: (order.get(k[0], len(order)), order[k[1][0]], k[1][1]),
    )
    return [
        SettlementRow(
            destination=labels.get(destination, nowhere),
            settlement=settlement_label(settled),
            at_6=counts[6].get((destination, settled), 0),
            of_6=totals[6].get(destination, 0),
            at_12=counts[12].get((destination, settled), 0),
            of_12=totals[12].get(destination, 0),
        )
        for destination, settled in keys
    ]


def protected(counts: list[int], exact: bool) -> list[int | None]:
    """Counts shown beside their total: when exactly one is under five, the smallest other is
    hidden too (None), or the total minus the others would give the small one away."""
    if exact:
        return list(counts)
    small = [i for i, count in enumerate(counts) if count < SMALL_COUNT]
    others = sorted((count, i) for i, count in enumerate(counts) if count >= SMALL_COUNT)
    if len(small) != 1 or not others:
        return list(counts)
    hidden = others[0][1]
    return [None if i == hidden else count for i, count in enumerate(counts)]


def pilot_rows(
    board: Indicators, regions: list[Region]
) -> list[tuple[Region, int | None, int | None]]:
    """The pilot by region: its regions in scope, and any other region with pilot interviews
    (regions that left the pilot keep their history); protected against subtraction from the
    totals shown above them."""
    interviews = board.figure("pilot_interviews").by_region
    held = board.figure("pilot_appointments").by_region
    pilot_ids = {region.id for region in board.pilot_regions}
    shown_ids = pilot_ids | set(interviews) | set(held)
    listed = [region for region in regions if region.id in shown_ids]
    by_interviews = protected([interviews.get(r.id, 0) for r in listed], board.exact)
    by_held = protected([held.get(r.id, 0) for r in listed], board.exact)
    return list(zip(listed, by_interviews, by_held, strict=True))
