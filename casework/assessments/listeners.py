"""What needs assessments add to the case file and do when a case changes (imported by
``app.register_listeners``; ``casework events`` lists it all)."""

from __future__ import annotations

from typing import Any

from casework.assessments import operations
from casework.cases.events import CasesAnonymised
from casework.cases.models import Case
from casework.cases.operations import NEEDS_IN_DOMAIN
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to


@listens_to(CasesAnonymised)
def anonymise(event: CasesAnonymised) -> None:
    operations.anonymise_cases(event.case_ids)


def case_section(case: Case) -> dict[str, Any]:
    """Needs at a glance: open needs per domain in the latest assessment."""
    latest = operations.latest(case)
    return {
        "latest": latest,
        "glance": operations.at_a_glance(latest, operations.catalogue()),
        "level_labels": operations.LEVEL_LABELS,
    }


CASE_PAGE_SECTIONS.add(
    CaseSection("needs", "assessments/_case_section.html", case_section, order=20)
)
NEEDS_IN_DOMAIN.add(operations.has_open_needs_in)
