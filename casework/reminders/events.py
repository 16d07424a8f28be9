"""What happens to reminders, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casework.core.events import Event


@dataclass(frozen=True)
class ReminderEscalated(Event):
    """Delivered and still not handled after its rule's delay: the reminder's region's
    supervisors should hear of it (once: ``escalated_at`` is set in the same transaction)."""

    reminder_id: int
    region_id: int
    case_id: int | None
    at: datetime  # the escalation's run (a job may run with an injected time)
