"""What referrals do when a case changes, and what they add to the plan (imported by
``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casework.cases.events import CasesAnonymised, CaseTransferred
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.cases.timeline import TIMELINE_SOURCES, TimelineEntry, TimelineSource
from casework.core.events import listens_to
from casework.extensions import db
from casework.plans.operations import ACTION_PLACES
from casework.referrals import operations
from casework.referrals.models import Referral, ReferralEvent


@listens_to(CaseTransferred)
def follow_the_case(event: CaseTransferred) -> None:
    """Referrals follow their case to its new agent and region (scopes are checked on them)."""
    operations.follow_case(db.session.get(Case, event.case_id))


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> None:
    operations.anonymise_cases(event.case_ids)


ACTION_PLACES.add(operations.referred_organisations)


GLANCE_LIMIT = 4


def case_glance(case: Case) -> dict[str, Any]:
    """The case page's referrals card: open ones first, then the latest settled."""
    referrals = operations.of_case(case)
    open_first = sorted(referrals, key=lambda r: (r.status not in operations.OPEN_STATUSES, -r.id))
    return {
        "referrals": open_first[:GLANCE_LIMIT],
        "more_referrals": max(0, len(referrals) - GLANCE_LIMIT),
        "referral_labels": operations.STATUSES,
    }


def timeline_entries(case: Case, now: datetime) -> list[TimelineEntry]:
    """Each move of each referral of the case (created, sent, accepted…), in one query."""
    events = db.session.scalars(
        select(ReferralEvent)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .options(joinedload(ReferralEvent.referral).joinedload(Referral.organisation))
        .where(Referral.case_id == case.id)
        .order_by(ReferralEvent.occurred_at.desc(), ReferralEvent.id.desc())
    )
    return [
        TimelineEntry(
            at=event.occurred_at,
            kind="referral",
            title=_(
                "Referral to %(organisation)s: %(status)s",
                organisation=event.referral.organisation.name,
                status=operations.STATUSES.get(event.to_status, event.to_status),
            ),
            detail=event.referral.purpose,
            text=event.comment or "",
            url=url_for("referrals.show", referral_id=event.referral_id),
        )
        for event in events
    ]


def case_action(case: Case) -> dict[str, Any]:
    """The quick action's link needs the case only."""
    return {}


CASE_PAGE_SECTIONS.add(
    CaseSection("referrals", "referrals/_case_glance.html", case_glance, "glance", order=40)
)
CASE_PAGE_SECTIONS.add(
    CaseSection("refer", "referrals/_case_action.html", case_action, "actions", order=20)
)
TIMELINE_SOURCES.add(TimelineSource("referral", _l("Referrals"), timeline_entries, order=30))
