"""Referral forms: a decision on a selection of the advisor queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired

from casework.core.forms import BaseForm, max_length


class BulkReturnForm(BaseForm):
    """The selection of the queue (« id:version » values) and the comment that returns it."""

    selection = SelectMultipleField(
        validate_choice=False,
        validators=[DataRequired(message=_l("Select at least one referral."))],
    )
    comment = TextAreaField(
        _l("Comment for the agents"),
        description=_l("Required to return the selection: say what to change before resubmitting."),
        validators=[
            DataRequired(
                message=_l("Write a comment for the agents: it tells them what to change.")
            ),
            max_length(2000),
        ],
    )


def selected_versions(values: list[str]) -> dict[int, int]:
    """« id:version » values of the queue's checkboxes; anything malformed is dropped."""
    versions = {}
    for value in values:
        referral_id, _separator, version = value.partition(":")
        if (
            referral_id.isdigit()
            and version.isdigit()
            and len(referral_id) < 10
            and len(version) < 10
        ):
            versions[int(referral_id)] = int(version)
    return versions
