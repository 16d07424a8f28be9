"""What referrals do when a case changes, and what they add to the plan (imported by
``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from casework.cases.events import CasesAnonymised, CaseTransferred
from casework.cases.models import Case
from casework.core.events import listens_to
from casework.extensions import db
from casework.plans.operations import ACTION_PLACES
from casework.referrals import operations


@listens_to(CaseTransferred)
def follow_the_case(event: CaseTransferred) -> None:
    """Referrals follow their case to its new agent and region (scopes are checked on them)."""
    operations.follow_case(db.session.get(Case, event.case_id))


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> None:
    operations.anonymise_cases(event.case_ids)


ACTION_PLACES.add(operations.referred_organisations)
