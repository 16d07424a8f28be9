"""What documents do when a case changes, and what they add to the pages of the features below
them (imported by ``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from typing import Any

from casework.attachments import operations
from casework.cases.events import CasesAnonymised
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.core.time import local_today
from casework.referrals.models import Referral
from casework.referrals.sections import REFERRAL_PAGE_SECTIONS, ReferralSection


@listens_to(CasesAnonymised)
def destroy_documents(event: CasesAnonymised) -> dict[str, int]:
    """Retention: the documents go with the case (their files once the run commits)."""
    return operations.erase_for_cases(event.case_ids, event.at)


def case_section(case: Case) -> dict[str, Any]:
    return {
        "documents": operations.of_case(case),
        "today": local_today(),
        **operations.labels(),
    }


def referral_section(referral: Referral) -> dict[str, Any]:
    return {"shared_documents": operations.shared_with(referral), **operations.labels()}


CASE_PAGE_SECTIONS.add(
    CaseSection("attachments", "attachments/_case_section.html", case_section, order=30)
)
REFERRAL_PAGE_SECTIONS.add(
    ReferralSection("attachments", "attachments/_referral_section.html", referral_section)
)
