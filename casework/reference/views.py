"""Read-only reference data pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from casework.core.permissions import requires
from casework.extensions import db
from casework.reference.models import (
    Domain,
    HostCity,
    Occupation,
    Organisation,
    PasiVolet,
    Region,
    ServicePoint,
)

bp = Blueprint("reference", __name__, url_prefix="/reference")


@bp.get("/")
@requires("reference.view")
def index():
    service_point_counts = dict(
        db.session.execute(
            select(ServicePoint.region_id, func.count(ServicePoint.id)).group_by(
                ServicePoint.region_id
            )
        ).all()
    )
    return render_template(
        "reference/index.html",
        regions=db.session.scalars(select(Region).order_by(Region.code)).all(),
        service_point_counts=service_point_counts,
        host_cities=db.session.scalars(
            select(HostCity).options(joinedload(HostCity.region)).order_by(HostCity.name)
        ).all(),
        occupations=db.session.scalars(
            select(Occupation).where(Occupation.active.is_(True)).order_by(Occupation.priority)
        ).all(),
        volets=db.session.scalars(select(PasiVolet).order_by(PasiVolet.number)).all(),
    )


@bp.get("/organismes")
@requires("reference.view")
def organisations():
    rows = db.session.scalars(
        select(Organisation)
        .options(
            joinedload(Organisation.region),
            selectinload(Organisation.volets),
            selectinload(Organisation.domains),
        )
        .order_by(Organisation.name)
    ).all()
    return render_template("reference/organisations.html", organisations=rows)


@bp.get("/besoins")
@requires("reference.view")
def needs():
    domains = db.session.scalars(
        select(Domain).options(selectinload(Domain.needs)).order_by(Domain.position)
    ).all()
    return render_template("reference/needs.html", domains=domains)


@bp.get("/points-de-service")
@requires("reference.view")
def service_points():
    points = db.session.scalars(
        select(ServicePoint)
        .join(Region)
        .options(joinedload(ServicePoint.region))
        .order_by(Region.code, ServicePoint.kind, ServicePoint.name)
    ).all()
    return render_template("reference/service_points.html", points=points)
