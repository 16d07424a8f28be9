"""Reference data through the API: regions, service points, organisations, needs, occupations.
Public facts of the service, no personal data: read by any token with ``reference:read``."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from casework.api import schemas
from casework.api.web import action, blueprint, problems
from casework.extensions import db
from casework.reference.models import Need, Occupation, Organisation, Region, ServicePoint

blp = blueprint("api_reference", "Reference data: regions, service points, organisations, needs.")


def _english() -> bool:
    locale = get_locale()
    return bool(locale and locale.language == "en")


class RegionOut(schemas.Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.Function(lambda r: (_english() and r.name_en) or r.name, required=True)


class NeedOut(schemas.Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    domain_code = fields.Function(lambda n: n.domain.code, required=True)
    label = fields.Function(lambda n: (_english() and n.label_en) or n.label_fr, required=True)


class OccupationOut(schemas.Strict):
    cnp = fields.String(required=True)
    title = fields.Function(lambda o: (_english() and o.title_en) or o.title, required=True)


def _list_of(item: type) -> type:
    return type(
        f"{item.__name__}List",
        (schemas.Strict,),
        {"items": fields.List(fields.Nested(item), required=True)},
    )


def _items(statement: Any) -> dict[str, list]:
    return {"items": list(db.session.scalars(statement).unique())}


@blp.route("/regions")
@action("reference.view")
@blp.response(200, _list_of(RegionOut))
@problems(blp, 400, 401, 403, 429)
def regions():
    """Québec's administrative regions."""
    return _items(select(Region).order_by(Region.code))


@blp.route("/service-points")
@action("reference.view")
@blp.response(200, _list_of(schemas.ServicePointOut))
@problems(blp, 400, 401, 403, 429)
def service_points():
    """The ministry's service points and directorates."""
    return _items(
        select(ServicePoint).options(joinedload(ServicePoint.region)).order_by(ServicePoint.code)
    )


@blp.route("/organisations")
@action("reference.view")
@blp.response(200, _list_of(schemas.OrganisationOut))
@problems(blp, 400, 401, 403, 429)
def organisations():
    """Active organisations of the directory."""
    return _items(
        select(Organisation)
        .options(selectinload(Organisation.regions))
        .where(Organisation.active.is_(True))
        .order_by(Organisation.code)
    )


@blp.route("/needs")
@action("reference.view")
@blp.response(200, _list_of(NeedOut))
@problems(blp, 400, 401, 403, 429)
def needs():
    """The needs of the assessment, by domain."""
    return _items(
        select(Need).options(joinedload(Need.domain)).order_by(Need.domain_id, Need.position)
    )


@blp.route("/occupations")
@action("reference.view")
@blp.response(200, _list_of(OccupationOut))
@problems(blp, 400, 401, 403, 429)
def occupations():
    """Occupations (CNP codes) in active use."""
    return _items(select(Occupation).where(Occupation.active.is_(True)).order_by(Occupation.cnp))
