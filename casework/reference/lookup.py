"""Resolve reference codes (as typed on the command line) to ids; short reference lists."""

from __future__ import annotations

from sqlalchemy import select

from casework.extensions import db
from casework.reference.models import Domain, Organisation, Region, ServicePoint


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


def regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def active_organisations() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
        )
    )


def domains() -> list[Domain]:
    """The five needs domains, in their order (without their needs)."""
    return list(db.session.scalars(select(Domain).order_by(Domain.position)))
