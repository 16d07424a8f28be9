"""The indicators page's tables as CSV (``/rapports/indicateurs.csv``): every figure with its
measure, its lines, its region (or the scope) and its note, counts shown as on the page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from casework.reference.models import Region
from casework.reports.indicators import (
    BY_KEY,
    MEASURES,
    NOT_RECORDED,
    PENDING,
    Indicators,
    pilot_rows,
    shown,
)

CSV_HEADERS = (
    _l("Measure"),
    _l("Plan lines"),
    _l("Indicator"),
    _l("Region"),
    _l("Count"),
    _l("Rate (%)"),
    _l("Median (days)"),
    _l("90th percentile (days)"),
    _l("Note"),
)


SETTLEMENT_LABEL = {
    6: _l("Region of arrival → region of settlement, at 6 months"),
    12: _l("Region of arrival → region of settlement, at 12 months"),
}


def csv_rows(board: Indicators, regions: list[Region]) -> list[tuple]:
    """Every figure of the page, in the page's order, small counts as « < 5 » as on screen."""
    exact = board.exact
    scope = _l("Province") if board.region_ids is None else _l("Regions chosen")
    rows: list[tuple] = []
    for key in MEASURES:
        measure = MEASURES[key]
        if key == "airport":
            rows.append(
                (
                    measure.code,
                    measure.lines,
                    _l("Persons welcomed at the airport (recorded)"),
                    scope,
                    shown(board.airport_welcomed, exact),
                    None,
                    None,
                    None,
                    None,
                )
            )
            rows.append(
                (
                    measure.code,
                    measure.lines,
                    _l("Refugees welcomed into the airport team's care"),
                    scope,
                    shown(board.reception.welcomed, exact),
                    None,
                    None,
                    None,
                    _l("no case file"),
                )
            )
            rows.append(
                (
                    measure.code,
                    measure.lines,
                    _l("Refugees accompanied until they left for their host city"),
                    scope,
                    shown(board.reception.left_for_host_city, exact),
                    None,
                    None,
                    None,
                    _l("no case file"),
                )
            )
            rows.append(
                (
                    measure.code,
                    measure.lines,
                    _l("Persons informed at the airport without an appointment"),
                    scope,
                    NOT_RECORDED,
                    None,
                    None,
                    None,
                    None,
                )
            )
        for figure in board.of_measure(key):
            rows.append(
                (
                    measure.code,
                    measure.lines,
                    figure.indicator.label,
                    scope,
                    PENDING
                    if figure.pending
                    else NOT_RECORDED
                    if figure.external
                    else shown(figure.count, exact),
                    figure.rate(exact),
                    None,
                    None,
                    figure.indicator.note,
                )
            )
        if key == "regionalisation":
            for row in board.settlement:
                for milestone, count in ((6, row.at_6), (12, row.at_12)):
                    rows.append(
                        (
                            measure.code,
                            measure.lines,
                            SETTLEMENT_LABEL[milestone],
                            _l(
                                "%(destination)s → %(settlement)s",
                                destination=row.destination,
                                settlement=row.settlement,
                            ),
                            shown(count, exact),
                            row.rate(milestone, exact),
                            None,
                            None,
                            _l("rate: share of the persons of that destination followed"),
                        )
                    )
        if key == "accompaniment":
            for delay in board.delays:
                rows.append(
                    (
                        measure.code,
                        measure.lines,
                        delay.label,
                        scope,
                        shown(delay.n, exact),
                        None,
                        delay.shown_median(exact),
                        delay.p90 if delay.shown_median(exact) is not None else None,
                        None,
                    )
                )
        if key == "pilot":
            for region, interviews, held in pilot_rows(board, regions):
                rows.append(
                    (
                        measure.code,
                        measure.lines,
                        BY_KEY["pilot_interviews"].label,
                        region.label,
                        shown(interviews, exact),
                        None,
                        None,
                        None,
                        None,
                    )
                )
                rows.append(
                    (
                        measure.code,
                        measure.lines,
                        BY_KEY["pilot_appointments"].label,
                        region.label,
                        shown(held, exact),
                        None,
                        None,
                        None,
                        None,
                    )
                )
    return rows
