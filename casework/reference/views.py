"""Read-only reference data pages."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from casework.core.forms import submitted
from casework.core.navigation import done
from casework.core.permissions import in_scope, load_or_abort, requires, scope_for
from casework.extensions import db
from casework.reference import operations
from casework.reference.forms import OrganisationForm
from casework.reference.models import (
    Domain,
    HostCity,
    Occupation,
    Organisation,
    PasiVolet,
    Region,
    ServicePoint,
)
from casework.reference.seed import KIND_LABELS as KINDS

bp = Blueprint("reference", __name__, url_prefix="/referentiel")


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
            selectinload(Organisation.regions),
            selectinload(Organisation.volets),
            selectinload(Organisation.domains),
        )
        .order_by(Organisation.name)
    ).all()
    scope = scope_for(current_user.role, "organisations.manage")
    editable = {row.id for row in rows if scope and in_scope(current_user, scope, row)}
    return render_template(
        "reference/organisations.html", organisations=rows, editable=editable, kinds=KINDS
    )


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


@bp.route("/organismes/<int:organisation_id>/modifier", methods=["GET", "POST"])
@requires("organisations.manage")
def edit_organisation(organisation_id: int):
    organisation = load_or_abort(Organisation, organisation_id, "organisations.manage")
    form = _organisation_form(organisation)
    page = partial(
        render_template, "reference/organisation_form.html", form=form, organisation=organisation
    )
    if not submitted(form, page):
        return page()
    changed = operations.update_organisation(
        current_user,
        organisation,
        form.values(),
        form.volet_numbers(),
        form.domain_codes(),
        form.version.data,
    )
    message = _("Saved.") if changed else _("No change to save.")
    return done(message, url_for("reference.organisations"))


def _organisation_form(organisation: Organisation) -> OrganisationForm:
    form = OrganisationForm(obj=organisation)
    volets = db.session.scalars(select(PasiVolet).order_by(PasiVolet.number)).all()
    domains = db.session.scalars(select(Domain).order_by(Domain.position)).all()
    form.fill_choices(volets, domains)
    if request.method == "GET":
        form.version.data = organisation.version
        form.volets.data = [str(v.number) for v in organisation.volets]
        form.domains.data = [d.code for d in organisation.domains]
    return form
