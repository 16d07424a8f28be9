"""What happens to documents, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.events import Event


@dataclass(frozen=True)
class DocumentExpiryChanged(Event):
    """A document with an expiry date was attached or deleted: what falls due changed."""

    case_id: int
    attachment_id: int
