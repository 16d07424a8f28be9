"""The case page's sections from the features built on cases (appointments, needs, reminders…).

The case page is the agent's hub, but what it shows of appointments or reminders is theirs to
say: each feature adds a ``CaseSection`` in its listeners.py (its template and the data that
template needs), and the case page renders them where their ``slot`` says. A section loads
what it shows in a fixed number of queries, whatever the size of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup

from casework.cases.models import Case
from casework.core.events import ExtensionPoint

# Where a section goes: a card of the summary at the top of the page (« glance »: what is in
# progress, above the fold), a link among the quick actions (« actions »), a section after the
# summary (« main »), or at the head of the timeline.
SLOTS = ("glance", "actions", "main", "timeline")


@dataclass(frozen=True)
class CaseSection:
    name: str
    template: str  # rendered with ``case`` and what ``context(case)`` returns
    context: Callable[[Case], dict[str, Any]]
    slot: str = "main"  # one of SLOTS
    order: int = 100  # within the slot, smaller first

    def __post_init__(self) -> None:
        if self.slot not in SLOTS:
            raise ValueError(f"case page slot « {self.slot} » is not one of {SLOTS}")


CASE_PAGE_SECTIONS: ExtensionPoint[CaseSection] = ExtensionPoint(
    "cases.page_sections", "sections of the case page shown by the features built on cases"
)


def rendered_sections(case: Case) -> dict[str, list[Markup]]:
    """Every section's HTML, by slot, in order."""
    placed: dict[str, list[Markup]] = {slot: [] for slot in SLOTS}
    for section in sorted(CASE_PAGE_SECTIONS, key=lambda section: section.order):
        html = render_template(section.template, case=case, **section.context(case))
        placed[section.slot].append(Markup(html))
    return placed
