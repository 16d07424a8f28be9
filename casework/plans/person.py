"""The plan as the person reads it (printed page and PDF): « vous », where to go, what to bring.

The actions of a plan are written for the agent (« Orienter la personne vers… »). What the
person is given speaks to them instead: a step they take is theirs as written (« Présenter la
demande… »); a step their agent takes says what the agent does for them, from the service's
person-facing text in the plan rules (seed/plan_rules.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casework.plans.models import Plan, PlanAction

CLOSED = ("done", "abandoned")


@dataclass(frozen=True)
class Step:
    text: str
    yours: bool  # the person takes this step (else their agent does)
    due_on: date | None
    where: list[str]  # lines: name, address, phone…
    bring: str | None


@dataclass
class Objective:
    title: str
    steps: list[Step] = field(default_factory=list)


def _pick(labels: dict[str, Any], key: str, english: bool) -> str | None:
    return (labels.get(f"{key}_en") if english else None) or labels.get(key) or None


def _place(organisation: Any) -> list[str]:
    contacts = [organisation.address, organisation.contact_phone, organisation.contact_email]
    return [organisation.name, *[c for c in contacts if c]]


def step_of(action: PlanAction, services: dict, referred: dict, english: bool) -> Step:
    labels = services.get(action.service, {})
    label = (action.label_en if english else None) or action.label
    yours = action.assignee == "person"
    text = label if yours else (_pick(labels, "for_person", english) or label)
    if action.id in referred:
        where = _place(referred[action.id])
    else:
        generic = _pick(labels, "where", english)
        where = [generic] if generic else []
    return Step(text, yours, action.due_on, where, _pick(labels, "bring", english))


def for_the_person(plan: Plan, services: dict, referred: dict, english: bool) -> list[Objective]:
    """The open actions of ``plan``, grouped by objective in the plan's order."""
    objectives: list[Objective] = []
    for action in plan.actions:
        if action.status in CLOSED:
            continue
        title = (action.objective_en if english else None) or action.objective
        if not objectives or objectives[-1].title != title:
            objectives.append(Objective(title))
        objectives[-1].steps.append(step_of(action, services, referred, english))
    return objectives
