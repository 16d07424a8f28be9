"""What action plans do when a case changes (imported by ``app.register_listeners``;
``casework events`` lists it all)."""

from __future__ import annotations

from typing import Any

from casework.cases.events import CasesAnonymised
from casework.cases.models import Case
from casework.cases.sections import CASE_PAGE_SECTIONS, CaseSection
from casework.core.events import listens_to
from casework.core.time import local_today
from casework.plans import operations
from casework.plans.operations import OPEN_ACTION_STATUSES


@listens_to(CasesAnonymised)
def delete_plans(event: CasesAnonymised) -> dict[str, int]:
    return operations.delete_plans_of(event.case_ids)


def case_glance(case: Case) -> dict[str, Any]:
    """The case page's plan card: the plan followed (or the draft), done / total, what is late."""
    plan = operations.followed_or_draft(case)
    if plan is None:
        return {"plan": None}
    today = local_today()
    counted = [a for a in plan.actions if a.status != "abandoned"]
    overdue = [
        action
        for action in counted
        if action.status in OPEN_ACTION_STATUSES and action.due_on and action.due_on < today
    ]
    return {
        "plan": plan,
        "done": sum(1 for action in counted if action.status == "done"),
        "total": len(counted),
        "overdue": sorted(overdue, key=lambda action: action.due_on),
    }


CASE_PAGE_SECTIONS.add(
    CaseSection("plan", "plans/_case_glance.html", case_glance, "glance", order=30)
)
