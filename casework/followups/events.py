"""What follow-ups tell the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from casework.core.events import Event


@dataclass(frozen=True)
class FollowUpRecorded(Event):
    """A follow-up interview was recorded (reminders close the « follow-up due » it answers;
    the indicators may refresh what they keep)."""

    case_id: int
    follow_up_id: int
    held_on: date
    milestone: int | None
    reminder_id: int | None
    agent_id: int
