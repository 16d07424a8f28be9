"""The referrals in a caller's scope in the order they changed, a page at a time: what a partner
synchronises through the API (``GET /api/v1/referrals``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from casework.core import audit
from casework.extensions import db
from casework.referrals.models import Referral
from casework.referrals.operations import visible


def changed_page(
    actor: Any,
    limit: int,
    status: str = "",
    changed_since: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> tuple[list[Referral], bool]:
    """Up to ``limit`` referrals ``actor`` may see, oldest change first, with ``status``,
    changed since ``changed_since``, after the (updated_at, id) ``after``; and whether more
    follow. The listing is audited with the ids it returns."""
    statement = visible(actor).order_by(None).order_by(Referral.updated_at, Referral.id)
    if status:
        statement = statement.where(Referral.status == status)
    if changed_since is not None:
        statement = statement.where(Referral.updated_at >= changed_since)
    if after is not None:
        moment, ident = after
        statement = statement.where(
            or_(
                Referral.updated_at > moment,
                and_(Referral.updated_at == moment, Referral.id > ident),
            )
        )
    rows = list(db.session.scalars(statement.limit(limit + 1)).unique())
    items = rows[:limit]
    audit.record(
        actor, "referrals.listed", target_type="referral", referral_ids=[r.id for r in items]
    )
    return items, len(rows) > limit
