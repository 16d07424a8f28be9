"""Whether a referral needs an advisor's approval before it is sent: chosen by an administrator
per region and referral kind; by default it does, as before (issue 18, point 6)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.core import audit
from casework.core.domain import DomainError
from casework.extensions import db
from casework.reference.models import Region
from casework.referrals.models import ApprovalRule

# The kinds of referral (Referral.kind), as the settings page names them.
KINDS = {
    "service": _l("Referrals to an organisation"),
    "requalification": _l("Requalification referrals (MTESS)"),
}


class ApprovalError(DomainError):
    """The setting is not one of the page's (nothing is saved)."""


def approval_required(region_id: int, kind: str) -> bool:
    """True unless an administrator let this region's agents send this kind directly."""
    required = db.session.scalar(
        select(ApprovalRule.required).where(
            ApprovalRule.region_id == region_id, ApprovalRule.kind == kind
        )
    )
    return True if required is None else required


def settings() -> dict[tuple[int, str], bool]:
    """(region id, kind) → approval required, for every region and kind (defaults filled)."""
    stored = {
        (rule.region_id, rule.kind): rule.required
        for rule in db.session.scalars(select(ApprovalRule))
    }
    regions = db.session.scalars(select(Region.id)).all()
    return {(r, k): stored.get((r, k), True) for r in regions for k in KINDS}


def set_required(actor: Any, wanted: dict[tuple[int, str], bool]) -> list[tuple[int, str]]:
    """Apply the page: returns the (region, kind) pairs that changed, each audited."""
    current = settings()
    unknown = set(wanted) - set(current)
    if unknown:
        raise ApprovalError(_l("Not a valid choice."))
    changed = sorted(key for key, value in wanted.items() if current[key] != value)
    rows = {(rule.region_id, rule.kind): rule for rule in db.session.scalars(select(ApprovalRule))}
    for region_id, kind in changed:
        rule = rows.get((region_id, kind))
        if rule is None:
            rule = ApprovalRule(region_id=region_id, kind=kind)
            db.session.add(rule)
        rule.required = wanted[(region_id, kind)]
        rule.updated_by_id = actor.id
        db.session.flush()
        audit.record(
            actor,
            "referral_approval.set",
            rule,
            region_id=region_id,
            kind=kind,
            required=rule.required,
        )
    return changed
