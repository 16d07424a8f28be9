"""Referrals through the API: a partner's list (for synchronisation), one referral, and its
answers (accept, decline, outcome) — through the referrals' operations, with their rules."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casework.api import schemas
from casework.api.web import (
    ETAG_HEADER,
    action,
    blueprint,
    etag_of,
    idempotent,
    load_in_scope,
    problems,
    require_current,
)
from casework.core import audit
from casework.core.errors import problem
from casework.extensions import db
from casework.referrals import feed, operations, outcomes
from casework.referrals.models import Referral

blp = blueprint("api_referrals", "Referrals sent to partner organisations, and their answers.")
# A partner sees a referral once it was sent to it, as on the pages (referrals.views.DISCLOSED).
DISCLOSED = ("sent", "accepted", "declined", "completed", "not_completed")
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag read with the referral (required: 428 without it).",
}
IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Sending the same request again with the same key returns the first answer.",
}


def _cursor(referral: Referral) -> str:
    raw = f"{referral.updated_at.isoformat()}|{referral.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, ident = raw.split("|")
        return datetime.fromisoformat(moment), int(ident)
    except ValueError:
        abort(
            problem(
                400,
                _("Invalid cursor."),
                errors=[{"field": "cursor", "detail": _("Invalid cursor.")}],
            )
        )


@blp.route("/referrals")
@action("referrals.read")
@blp.arguments(schemas.ReferralQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.ReferralPage)
@problems(blp, 400, 401, 403, 429)
def list_referrals(
    limit: int, status: str = "", changed_since: datetime | None = None, cursor: str = ""
) -> dict[str, Any]:
    """The referrals in the caller's scope, oldest change first; follow `next` to the end, then
    keep the last `updated_at` as the next synchronisation's `changed_since`."""
    after = _after(cursor) if cursor else None
    items, more = feed.changed_page(current_user, limit, status, changed_since, after)
    following = None
    if more:
        arguments = {k: v for k, v in request.args.items() if k != "cursor"}
        following = url_for(
            "api_referrals.list_referrals", **arguments, cursor=_cursor(items[-1]), _external=True
        )
    return {"items": items, "next": following}


def _load(referral_id: int, policy_action: str) -> Referral:
    referral = load_in_scope(Referral, referral_id, policy_action)
    if current_user.role == "partner" and referral.status not in DISCLOSED:
        abort(404)  # an organisation sees a referral only once it has been sent to it
    return referral


def _answer(referral: Referral) -> tuple[Referral, int, dict[str, str]]:
    db.session.flush()  # the new version, for the ETag
    return referral, 200, {"ETag": etag_of(referral)}


@blp.route("/referrals/<int:referral_id>")
@action("referrals.read")
@blp.response(200, schemas.ReferralOut, headers=ETAG_HEADER)
@problems(blp, 400, 401, 403, 404, 429)
def get_referral(referral_id: int):
    """One referral, with its ETag for the answers that follow."""
    referral = _load(referral_id, "referrals.read")
    audit.record(current_user, "referral.viewed", referral.case, referral_id=referral.id)
    return _answer(referral)


def _write_doc(view):
    view = problems(blp, 400, 401, 403, 404, 409, 412, 422, 428, 429)(view)
    return blp.doc(parameters=[IF_MATCH, IDEMPOTENCY])(view)


@blp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@action("referrals.transition")
@idempotent
@blp.arguments(schemas.Accept)
@blp.response(200, schemas.ReferralOut, headers=ETAG_HEADER)
@_write_doc
def accept(body: dict[str, Any], referral_id: int):
    """The organisation takes the referral on."""
    return _move(referral_id, "accepted", body.get("comment"))


@blp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@action("referrals.transition")
@idempotent
@blp.arguments(schemas.Decline)
@blp.response(200, schemas.ReferralOut, headers=ETAG_HEADER)
@_write_doc
def decline(body: dict[str, Any], referral_id: int):
    """The organisation declines the referral, saying why."""
    return _move(referral_id, "declined", body["reason"])


@blp.route("/referrals/<int:referral_id>/outcome", methods=["POST"])
@action("referrals.transition")
@idempotent
@blp.arguments(schemas.Outcome)
@blp.response(200, schemas.ReferralOut, headers=ETAG_HEADER)
@_write_doc
def outcome(body: dict[str, Any], referral_id: int):
    """What came of an accepted referral: completed (and what it led to), or not completed and
    why. On a referral already completed, ``completed`` with a ``result`` adds what it led to
    since (training finished, job obtained); the earlier outcomes stay."""
    result = body.get("result")
    values = outcomes.OutcomeValues(**result) if result else None
    if values is not None and body["outcome"] == "completed":
        referral = _load(referral_id, "referrals.transition")
        if referral.status == "completed":
            require_current(referral)
            operations.add_outcome(current_user, referral, values)
            return _answer(referral)
    return _move(referral_id, body["outcome"], body.get("comment"), body.get("reason"), values)


def _move(
    referral_id: int,
    to_status: str,
    comment: str | None,
    reason: str | None = None,
    outcome: outcomes.OutcomeValues | None = None,
):
    referral = _load(referral_id, "referrals.transition")
    version = require_current(referral)
    operations.move(current_user, referral, to_status, comment, version, reason, outcome=outcome)
    return _answer(referral)
