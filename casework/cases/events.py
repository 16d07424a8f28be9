"""What happens to a case, for the features built on cases (listeners: ``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casework.core.events import Event


@dataclass(frozen=True)
class CaseStatusChanged(Event):
    """A case was closed, reopened or moved between open statuses."""

    case_id: int
    previous: str
    status: str


@dataclass(frozen=True)
class CaseTransferred(Event):
    """The receiving agent accepted a transfer: the case is now theirs (agent, region and
    service point already changed and flushed)."""

    case_id: int
    actor_id: int


@dataclass(frozen=True)
class TransferChanged(Event):
    """A transfer was offered to an agent (``pending``), or the agent answered it (``accepted``,
    ``declined``). An accepted one is also a ``CaseTransferred``."""

    case_id: int
    transfer_id: int
    status: str


@dataclass(frozen=True)
class CasesAnonymised(Event):
    """Retention: these closed cases' person and notes are erased in this transaction. Each
    feature erases what it holds about them and returns its counts (name → rows)."""

    case_ids: tuple[int, ...]
    at: datetime


@dataclass(frozen=True)
class ConsentWithdrawn(Event):
    """A consent was withdrawn (by the agent, or by the person's opt-out): what it allowed stops."""

    case_id: int
    consent_id: int
    purpose: str


@dataclass(frozen=True)
class StayExpiryChanged(Event):
    """The person's permit or CAQ expiry date was set, changed or removed (or their category
    changed, which drops them): the reminders that watch them follow."""

    case_id: int
