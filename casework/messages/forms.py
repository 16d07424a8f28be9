"""Forms of the messages pages: a template's text, how a case may be reached."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField

from casework.core.forms import BaseForm, max_length
from casework.messages.operations import TIME_ZONES


class TemplateForm(BaseForm):
    text = TextAreaField(_l("Text"), validators=[max_length(6000)], render_kw={"rows": 18})


class ContactSettingsForm(BaseForm):
    phone_is_landline = BooleanField(_l("The phone number is a landline: never send it an SMS"))
    time_zone = SelectField(
        _l("The person's time zone"),
        choices=[(zone, city) for zone, city in TIME_ZONES.items()],
    )


class OptOutForm(BaseForm):
    """The button that confirms the person's opt-out (a link alone changes nothing: mail
    scanners follow links)."""
