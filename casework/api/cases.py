"""Agents' tools through the API: a case's summary, its latest plan and its referrals, in the
caller's scope (an agent's caseload, a supervisor's or advisor's region), read as the case page
reads them (and audited the same way)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields

from casework.api import schemas
from casework.api.web import ETAG_HEADER, action, blueprint, etag_of, load_in_scope, problems
from casework.cases.models import Case
from casework.core import audit
from casework.plans import operations as plans
from casework.referrals import operations as referrals

blp = blueprint("api_cases", "Agents' tools: a case's summary, plan and referrals.")


class PersonSummary(schemas.Strict):
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    preferred_name = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    preferred_language = fields.String(allow_none=True)
    immigration_category = fields.String(required=True)
    arrival_date = fields.Date(allow_none=True)


class PlanActionOut(schemas.Strict):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    label = fields.String(required=True)
    objective = fields.String(required=True)
    service = fields.String(required=True)
    assignee = fields.String(required=True)
    status = fields.String(required=True)
    due_on = fields.Date(allow_none=True)


class PlanOut(schemas.Strict):
    number = fields.Integer(required=True)
    status = fields.String(required=True)
    updated_at = schemas.UtcDateTime(required=True)
    actions = fields.List(fields.Nested(PlanActionOut), required=True)


class CaseSummary(schemas.Strict):
    id = fields.Integer(required=True)
    number = fields.String(allow_none=True)
    status = fields.String(required=True)
    priority = fields.String(required=True)
    region_code = fields.Function(lambda c: c["case"].region.code, required=True)
    opened_at = schemas.UtcDateTime(required=True)
    updated_at = schemas.UtcDateTime(required=True)
    next_follow_up_on = fields.Date(allow_none=True)
    person = fields.Nested(PersonSummary, required=True)
    plan = fields.Nested(PlanOut, allow_none=True, required=True)
    referrals = fields.List(fields.Nested(schemas.ReferralOut), required=True)
    version = fields.Integer(required=True)


@blp.route("/cases/<int:case_id>")
@action("cases.read")
@blp.response(200, CaseSummary, headers=ETAG_HEADER)
@problems(blp, 400, 401, 403, 404, 429)
def get_case(case_id: int):
    """A case's summary with its latest plan and its referrals (dates: ISO 8601; times: UTC)."""
    case = load_in_scope(Case, case_id, "cases.read")
    plan = plans.latest(case)
    audit.record(current_user, "case.viewed", case)
    audit.record(current_user, "plan.viewed", case, number=plan.number if plan else None)
    return _summary(case, plan), 200, {"ETag": etag_of(case)}


def _summary(case: Case, plan: Any) -> dict[str, Any]:
    return {
        "case": case,
        "id": case.id,
        "number": case.number,
        "status": case.status,
        "priority": case.priority,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "next_follow_up_on": case.next_follow_up_on,
        "person": case.person,
        "plan": plan,
        "referrals": referrals.of_case(case),
        "version": case.version,
    }
