"""Expected arrivals through the API: the ministry's systems announce persons expected at
Montréal-Trudeau; the airport console lists them (appointments.arrivals)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate

from casework.api import schemas
from casework.api.web import action, blueprint, idempotent, problems
from casework.appointments import arrivals
from casework.appointments.operations import FLIGHT_TYPES
from casework.cases.choices import IMMIGRATION_CATEGORIES
from casework.core.errors import problem

blp = blueprint(
    "api_arrivals", "Persons expected at the airport, posted by the ministry's systems."
)

IDEMPOTENCY_REQUIRED = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
    "description": (
        "One key per person announced: the same key and body get the first answer again; the "
        "same key with another body is refused (422)."
    ),
}


CHOICE = "Not a valid choice."  # translated with the other field messages (web.FIELD_MESSAGES)


class ArrivalIn(schemas.Strict):
    """A person expected at the airport. Unknown fields are refused."""

    given_names = fields.String(required=True, validate=validate.Length(min=1, max=200))
    family_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date_of_birth = fields.Date(required=True)
    flight_number = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Z0-9]{2} ?[0-9]{1,4}[A-Z]?$"),
        metadata={"description": "IATA flight number, e.g. « AC 871 »."},
    )
    flight_type = fields.String(
        load_default="international", validate=validate.OneOf(list(FLIGHT_TYPES), error=CHOICE)
    )
    arrives_at = schemas.UtcDateTime(
        required=True,
        metadata={
            "description": "Scheduled landing, ISO 8601 with its time zone (at most 48 hours ago)."
        },
    )
    immigration_category = fields.String(
        required=True, validate=validate.OneOf(list(IMMIGRATION_CATEGORIES), error=CHOICE)
    )
    destination_region = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{2}$"),
        metadata={"description": "The destination region's official code (GET /regions)."},
    )
    destination_city = fields.String(validate=validate.Length(min=1, max=120))


class ArrivalOut(schemas.Strict):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["expected", "received"]))
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    flight_number = fields.String(required=True)
    flight_type = fields.String(required=True)
    arrives_at = schemas.UtcDateTime(required=True)
    immigration_category = fields.String(required=True)
    destination_region = fields.Function(
        lambda a: a.destination_region.code, required=True, metadata={"type": "string"}
    )
    destination_city = fields.String(allow_none=True, required=True)
    created_at = schemas.UtcDateTime(required=True)


def _key_required(view):
    """This write needs an Idempotency-Key: a retry must never announce the person twice."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if not request.headers.get("Idempotency-Key"):
            detail = _("Send an Idempotency-Key header: one key per person announced.")
            return problem(400, detail, errors=[{"field": "Idempotency-Key", "detail": detail}])
        return view(*args, **kwargs)

    return wrapper


@blp.route("/arrivals", methods=["POST"])
@action("arrivals.announce")
@_key_required
@idempotent
@blp.arguments(ArrivalIn)
@blp.response(201, ArrivalOut)
@blp.alt_response(200, schema=ArrivalOut, description="The same person was already announced")
@problems(blp, 400, 401, 403, 413, 422, 429)
@blp.doc(parameters=[IDEMPOTENCY_REQUIRED])
def announce(body: dict[str, Any]):
    """Announce a person expected at the airport (201). The same person (names, date of birth,
    flight and time) already announced and not yet received is answered 200 with that arrival."""
    fields_ = arrivals.ArrivalFields(**body)
    arrival, created = arrivals.announce(current_user, fields_)
    return arrival, 201 if created else 200
