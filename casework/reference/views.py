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
from casework.reference import occupations as occupation_list
from casework.reference import operations
from casework.reference.forms import OccupationForm, OrganisationForm
from casework.reference.lookup import in_demand_occupations
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
    return render_template("reference/index.html", **_overview())


def _overview() -> dict:
    """What the reference page lists: regions with their service points' count, host cities,
    the occupations in demand, the PASI volets."""
    service_point_counts = dict(
        db.session.execute(
            select(ServicePoint.region_id, func.count(ServicePoint.id)).group_by(
                ServicePoint.region_id
            )
        ).all()
    )
    return {
        "regions": db.session.scalars(select(Region).order_by(Region.code)).all(),
        "service_point_counts": service_point_counts,
        "host_cities": db.session.scalars(
            select(HostCity).options(joinedload(HostCity.region)).order_by(HostCity.name)
        ).all(),
        "occupations": in_demand_occupations(),
        "volets": db.session.scalars(select(PasiVolet).order_by(PasiVolet.number)).all(),
    }


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
    # The directorates' regions in the same query (the page stays at one SELECT of points).
    points = (
        db.session.scalars(
            select(ServicePoint)
            .join(Region)
            .options(joinedload(ServicePoint.region), joinedload(ServicePoint.regions_covered))
            .order_by(Region.code, ServicePoint.kind, ServicePoint.name)
        )
        .unique()
        .all()
    )
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
    typed = (form.values(), form.volet_numbers(), form.domain_codes(), form.version.data)
    changed = operations.update_organisation(current_user, organisation, *typed)
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


# --- The in-demand occupations list ----------------------------------------------------------


@bp.get("/professions")
@requires("occupations.manage")
def occupations():
    return render_template(
        "reference/occupations.html", occupations=occupation_list.every_occupation()
    )


@bp.route("/professions/nouvelle", methods=["GET", "POST"])
@requires("occupations.manage")
def add_occupation():
    form = OccupationForm()
    page = partial(_occupation_page, form, None)
    if not submitted(form, page):
        return page()
    occupation = occupation_list.add(current_user, form.values())
    return done(_("Added: %(label)s.", label=occupation.label), url_for("reference.occupations"))


@bp.route("/professions/<int:occupation_id>/modifier", methods=["GET", "POST"])
@requires("occupations.manage")
def edit_occupation(occupation_id: int):
    occupation = load_or_abort(Occupation, occupation_id, "occupations.manage")
    form = OccupationForm(obj=occupation)
    page = partial(_occupation_page, form, occupation)
    if not submitted(form, page):
        return page()
    changed = occupation_list.update(current_user, occupation, form.values(), form.version.data)
    message = _("Saved.") if changed else _("No change to save.")
    return done(message, url_for("reference.occupations"))


def _occupation_page(form: OccupationForm, occupation: Occupation | None):
    html = render_template("reference/occupation_form.html", form=form, occupation=occupation)
    return html, 400 if any(field.errors for field in form) else 200
