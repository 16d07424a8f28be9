"""What follow-ups add to the case page and do when a case changes (imported by
``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from typing import Any

from casework.cases.events import CasesAnonymised
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.followups import operations


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> dict[str, int]:
    return operations.anonymise_cases(list(event.case_ids))


def case_section(case: Case) -> dict[str, Any]:
    """The latest known situation, per domain, and the last follow-up (two queries)."""
    return {
        "situation": operations.latest_situation(case.id),
        "last": operations.last_follow_up(case.id),
        **operations.LABELS,
    }


def case_action(case: Case) -> dict[str, Any]:
    return {}


CASE_PAGE_SECTIONS.add(
    CaseSection("situation", "followups/_case_section.html", case_section, order=25)
)
CASE_PAGE_SECTIONS.add(
    CaseSection("follow_up_form", "followups/_case_action.html", case_action, "actions", order=5)
)
