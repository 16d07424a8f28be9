"""Resolve reference codes (as typed on the command line) to ids; short reference lists."""

from __future__ import annotations

from sqlalchemy import select

from casework.extensions import db
from casework.reference.models import (
    Domain,
    Occupation,
    Organisation,
    Region,
    ServicePoint,
    directorate_regions,
)


def _id_for(model: type, column, code: str | None, what: str) -> int | None:
    if not code:
        return None
    ident = db.session.scalar(select(model.id).where(column == code))
    if ident is None:
        raise LookupError(f"{what} inconnu : {code}")
    return ident


def region_id(code: str | None) -> int | None:
    return _id_for(Region, Region.code, (code or "").zfill(2) if code else None, "code de région")


def service_point_id(code: str | None) -> int | None:
    return _id_for(ServicePoint, ServicePoint.code, code, "code de point de service")


def organisation_id(code: str | None) -> int | None:
    return _id_for(Organisation, Organisation.code, code, "code d'organisme")


def occupation_by_code(code: str | None) -> Occupation | None:
    """The occupation of the list with this code, in either classification version."""
    if not code:
        return None
    return db.session.scalar(
        select(Occupation).where((Occupation.cnp == code) | (Occupation.cnp_2021 == code))
    )


def stored_occupations() -> list[Occupation]:
    """Every occupation of the reference table, by code (a profession's code is checked
    against them)."""
    return list(db.session.scalars(select(Occupation).order_by(Occupation.cnp)))


def in_demand_occupations() -> list[Occupation]:
    """The active list: ranked ones first (by rank), then the unranked, by code."""
    return list(
        db.session.scalars(
            select(Occupation)
            .where(Occupation.active.is_(True))
            .order_by(Occupation.priority.is_(None), Occupation.priority, Occupation.cnp)
        )
    )


def regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def regions_of(region_ids: list[int]) -> list[Region]:
    return list(
        db.session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.code))
    )


def active_organisations() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
        )
    )


def domains() -> list[Domain]:
    """The five needs domains, in their order (without their needs)."""
    return list(db.session.scalars(select(Domain).order_by(Domain.position)))


def territory(region_id: int | None) -> list[int]:
    """The regions of the directorate that covers ``region_id`` (« les six directions
    régionales […] couvrent l'ensemble des régions », l. 319); the region alone when no
    directorate covers it. The one answer to « which regions does a region-scoped user see »:
    the permissions policy, caseloads, dashboards, the advisor's queue all ask it."""
    if region_id is None:
        return []
    covering = (
        select(directorate_regions.c.directorate_id)
        .where(directorate_regions.c.region_id == region_id)
        .scalar_subquery()
    )
    regions = db.session.scalars(
        select(directorate_regions.c.region_id)
        .where(directorate_regions.c.directorate_id == covering)
        .order_by(directorate_regions.c.region_id)
    ).all()
    return list(regions) or [region_id]


def territories() -> dict[int, list[int]]:
    """``territory`` for every covered region at once (one query), for the scheduler's jobs."""
    rows = db.session.execute(
        select(directorate_regions.c.region_id, directorate_regions.c.directorate_id)
    ).all()
    by_directorate: dict[int, list[int]] = {}
    for region, directorate in sorted(rows):
        by_directorate.setdefault(directorate, []).append(region)
    return {region: by_directorate[directorate] for region, directorate in rows}


def directorate_of(region_id: int | None) -> ServicePoint | None:
    """The directorate that covers ``region_id``."""
    if region_id is None:
        return None
    return db.session.scalar(
        select(ServicePoint)
        .join(directorate_regions, directorate_regions.c.directorate_id == ServicePoint.id)
        .where(directorate_regions.c.region_id == region_id)
    )
