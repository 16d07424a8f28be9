"""The preferences form: for each kind of notification, how the user hears of it by e-mail."""

from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import InputRequired

from casework.core.forms import BaseForm
from casework.notifications.models import CHANNELS
from casework.notifications.operations import CHANNEL_LABELS, KINDS


class PreferencesForm(BaseForm):
    """One radio group per kind (fields named after the kinds), built below from ``KINDS``."""

    def values(self) -> dict[str, str]:
        return {kind: self[kind].data for kind in KINDS if kind in self}

    def fill(self, current: dict[str, str], kinds: dict) -> None:
        """Keep the kinds the user can receive; check what they chose, unless it was posted."""
        for kind in KINDS:
            if kind not in kinds:
                del self[kind]
            elif self[kind].data is None:
                self[kind].data = current[kind]


for _kind, _spec in KINDS.items():
    setattr(
        PreferencesForm,
        _kind,
        RadioField(
            _spec.label,
            choices=[(channel, CHANNEL_LABELS[channel]) for channel in CHANNELS],
            validators=[InputRequired()],
        ),
    )
