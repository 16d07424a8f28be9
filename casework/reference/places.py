"""Regions, host cities, service points and needs domains as a form's option lists, read once
per revision of the reference data (reference/revision.py) and built once per language.

They do not depend on who reads them; the airport console showed them on every request (three
queries and some sixty objects, a tenth of its time at province scale), the caseload's filters
two of them. The caller passes the revision its request read with the session: a change made by
any process changes it, and the next request rebuilds the lists.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

from flask_babel import get_locale
from sqlalchemy import select

from casework.core.forms import FixedChoices
from casework.extensions import db
from casework.reference.models import Domain, HostCity, Region, ServicePoint, _localised


class PlaceRows(NamedTuple):
    """The rows, as read (no language yet)."""

    regions: tuple[tuple[int, str, str, str | None], ...]  # id, code, name, name_en
    host_cities: tuple[tuple[str, str, str | None], ...]  # name, its region's name, name_en
    # id, code, name, region id, region code (ordered by region id, then name)
    service_points: tuple[tuple[int, str, str, int, str], ...]
    domains: tuple[tuple[str, str, str | None], ...]  # code, name, name_en (in their order)


def read_place_rows() -> PlaceRows:
    regions = db.session.execute(
        select(Region.id, Region.code, Region.name, Region.name_en).order_by(Region.code)
    )
    cities = db.session.execute(
        select(HostCity.name, Region.name, Region.name_en)
        .join(Region, Region.id == HostCity.region_id)
        .order_by(HostCity.name)
    )
    points = db.session.execute(
        select(ServicePoint.id, ServicePoint.code, ServicePoint.name, Region.id, Region.code)
        .join(Region, Region.id == ServicePoint.region_id)
        .order_by(ServicePoint.region_id, ServicePoint.name)
    )
    domains = db.session.execute(
        select(Domain.code, Domain.name, Domain.name_en).order_by(Domain.position)
    )
    return PlaceRows(
        tuple(tuple(row) for row in regions),
        tuple(tuple(row) for row in cities),
        tuple(tuple(row) for row in points),
        tuple(tuple(row) for row in domains),
    )


class PlaceChoices:
    """The option lists of one language, each built when first asked for: ``blank`` is the
    empty option they start with (its label translated, or a lazy string of this language)."""

    def __init__(self, rows: PlaceRows) -> None:
        self.rows = rows
        self._built: dict[tuple, Any] = {}

    def _once(self, key: tuple, build) -> Any:
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = build()
        return built

    def regions(self, blank: tuple[str, Any]) -> FixedChoices:
        """(id, « 06 Montréal »)."""
        return self._listed("regions", blank, self._region_options)

    def regions_among(self, region_ids: list[int], blank: tuple[str, Any]) -> FixedChoices:
        """(id, « 06 Montréal ») of ``region_ids`` only (a directorate's territory)."""
        wanted = frozenset(region_ids)
        return self._listed(
            ("regions_among", wanted),
            blank,
            lambda: (option for option in self._region_options() if option[0] in wanted),
        )

    def _region_options(self):
        return (
            (ident, f"{code} {_localised(name, english)}")
            for ident, code, name, english in self.rows.regions
        )

    def domains(self, blank: tuple[str, Any]) -> FixedChoices:
        """(code, label) of the needs domains, in their order."""
        return self._listed(
            "domains",
            blank,
            lambda: (
                (code, _localised(name, english)) for code, name, english in self.rows.domains
            ),
        )

    def host_cities(self, blank: tuple[str, Any]) -> FixedChoices:
        """(name, « Laval (Laval) »): the city and its region."""
        return self._listed(
            "host_cities",
            blank,
            lambda: (
                (city, f"{city} ({_localised(name, english)})")
                for city, name, english in self.rows.host_cities
            ),
        )

    def _listed(self, name: Hashable, blank: tuple[str, Any], options) -> FixedChoices:
        """``blank``, then ``options()``: built once per list and blank label."""
        return self._once((name, str(blank[1])), lambda: FixedChoices((blank, *options())))

    def service_points(self, leave_out: str) -> tuple[tuple[int, str, int], ...]:
        """(id, « Name (06) », region id) of every service point but ``leave_out`` (a code)."""
        return self._once(
            ("service_points", leave_out),
            lambda: tuple(
                (ident, f"{name} ({region_code})", region_id)
                for ident, code, name, region_id, region_code in self.rows.service_points
                if code != leave_out
            ),
        )

    def point_choices(self, leave_out: str, region_id: Any, blank: tuple[str, Any]) -> FixedChoices:
        """``blank``, then the service points of ``region_id`` (every one when none), each
        saying its region (for the script that filters them as the region changes)."""

        def build() -> FixedChoices:
            points = self.service_points(leave_out)
            return FixedChoices(
                (
                    blank,
                    *(
                        (ident, label, {"data-region": point_region})
                        for ident, label, point_region in points
                        if not region_id or point_region == region_id
                    ),
                )
            )

        if region_id and region_id not in self._region_ids():
            return build()  # a region posted that does not exist: not kept
        return self._once(("point_choices", leave_out, region_id or None, str(blank[1])), build)

    def region_label(self, region_id: int | None) -> str:
        """« 06 Montréal » in this language, as ``Region.label`` ('' for none)."""
        labels = self._once(("region_labels",), lambda: dict(self._region_options()))
        return labels.get(region_id, "")

    def point_name(self, point_id: int | None) -> str:
        names = self._once(
            ("point_names",), lambda: {row[0]: row[2] for row in self.rows.service_points}
        )
        return names.get(point_id, "")

    def _region_ids(self) -> frozenset[Any]:
        return self._once(("region_ids",), lambda: frozenset(row[0] for row in self.rows.regions))


# The revision the rows were read at, the rows, and their lists per language.
_kept: tuple[Any, dict[str, PlaceChoices]] | None = None


def place_choices(revision: Any) -> PlaceChoices:
    """The lists at ``revision`` (as the request read it) in the request's language. Without a
    revision (none read), the rows are read for this request only."""
    global _kept
    kept = _kept
    if revision is None or kept is None or kept[0] != revision:
        kept = (revision, {"": PlaceChoices(read_place_rows())})
        if revision is not None:
            _kept = kept
    by_language = kept[1]
    locale = str(get_locale())
    choices = by_language.get(locale)
    if choices is None:
        choices = by_language[locale] = PlaceChoices(by_language[""].rows)
    return choices
