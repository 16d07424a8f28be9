"""What happens to action plans, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.events import Event


@dataclass(frozen=True)
class PlanFinalised(Event):
    """A plan was finalised (it is the case's plan in force from now on)."""

    case_id: int
    plan_id: int


@dataclass(frozen=True)
class PlanActionStatusChanged(Event):
    """An action of a finalised plan was followed up (to do, in progress, done, abandoned)."""

    case_id: int
    plan_id: int
    action_id: int
    previous: str
    status: str
