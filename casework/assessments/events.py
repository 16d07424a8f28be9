"""What happens to needs assessments, for the features built on them (``casework events``)."""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.events import Event


@dataclass(frozen=True)
class AssessmentChanged(Event):
    """A case's assessment was started (a new version), saved or completed: its levels of need
    may have changed, and the latest version may be another one."""

    case_id: int
    assessment_id: int
