"""The API's marshmallow schemas: they validate what comes in, shape what goes out, and are what
the OpenAPI document describes (one source for all three)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from casework.referrals.models import OUTCOME_KINDS
from casework.referrals.operations import NOT_COMPLETED_REASONS, STATUSES
from casework.referrals.outcomes import CNP_VERSIONS, COURSE_FORMATS

MAX_PAGE = 200


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC, always with its zone (``2026-12-06T14:05:00Z``). Stored times are naive
    UTC; an incoming time without a zone is refused rather than guessed."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            raise ValidationError("Not a valid datetime.")
        try:
            return moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # « 0001-01-01T00:00:00+01:00 » is before year 1 in UTC
            raise ValidationError("Not a valid datetime.") from None


class Strict(Schema):
    class Meta:
        ordered = True


class OrganisationRef(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class PersonForPartner(Strict):
    """The minimum a referral discloses (as on the partner's page): never the case file."""

    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    languages_spoken = fields.List(fields.String(), required=True)


class ReferralOut(Strict):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(STATUSES)))
    status_label = fields.Function(
        lambda r: str(STATUSES[r.status]), required=True, metadata={"type": "string"}
    )
    kind = fields.String(required=True)
    purpose = fields.String(required=True)
    organisation = fields.Nested(OrganisationRef, required=True)
    person = fields.Nested(PersonForPartner, attribute="case.person", required=True)
    last_comment = fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    version = fields.Integer(required=True)


class ReferralPage(Strict):
    items = fields.List(fields.Nested(ReferralOut), required=True)
    next = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The next page's URL, or null on the last page."},
    )


class ReferralQuery(Strict):
    status = fields.String(validate=validate.OneOf(list(STATUSES)))
    changed_since = UtcDateTime(
        metadata={"description": "Only referrals changed at or after this time (ISO 8601, UTC)."}
    )
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class Accept(Strict):
    comment = fields.String(validate=validate.Length(max=2000))


class Decline(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OutcomeResult(Strict):
    """What a completed referral led to (issue 19): checked as on the referral page."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(sorted({k for kinds in OUTCOME_KINDS.values() for k in kinds})),
        metadata={
            "description": "francisation: enrolled; requalification: training_started, "
            "training_finished or job_obtained; employment: job_obtained."
        },
    )
    occurred_on = fields.Date(metadata={"description": "Not in the future."})
    course_format = fields.String(
        validate=validate.OneOf(list(COURSE_FORMATS)),
        metadata={"description": "Required for enrolled."},
    )
    cnp = fields.String(
        validate=validate.Regexp(r"^[0-9]{4,5}$"),
        metadata={"description": "Required for job_obtained: a stored occupation's code."},
    )
    cnp_version = fields.String(validate=validate.OneOf(list(CNP_VERSIONS)))


class Outcome(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(["completed", "not_completed"]))
    result = fields.Nested(
        OutcomeResult,
        metadata={
            "description": "With completed, for a francisation, requalification or employment referral."
        },
    )
    reason = fields.String(
        validate=validate.OneOf(list(NOT_COMPLETED_REASONS)),
        metadata={"description": "Required when the outcome is not_completed."},
    )
    comment = fields.String(validate=validate.Length(max=2000))


class Problem(Strict):
    """An error, as application/problem+json (RFC 9457)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    reference = fields.String(required=True)
    errors = fields.List(fields.Dict())


class Named(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class ServicePointOut(Named):
    kind = fields.String(required=True)
    region_code = fields.Function(lambda p: p.region.code, required=True)


class OrganisationOut(Named):
    kind = fields.String(required=True)
    # The regions served (official codes); empty for a province-wide body.
    region_codes = fields.Pluck(Named, "code", many=True, attribute="regions", required=True)
