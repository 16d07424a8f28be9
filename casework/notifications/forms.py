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
        return {kind: getattr(self, kind).data for kind in KINDS}

    def fill(self, current: dict[str, str]) -> None:
        """Check what the user chose, unless the form was posted."""
        for kind, channel in current.items():
            field = getattr(self, kind)
            if field.data is None:
                field.data = channel


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
