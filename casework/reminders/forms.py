"""Forms of the reminders pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, TimeField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from casework.cases.forms import parse_id
from casework.core.forms import BaseForm, required
from casework.reminders.operations import RuleFields


def between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=_l("Between %(min)d and %(max)d.", min=low, max=high))


class VersionedForm(BaseForm):
    """A reminder action: the version the page showed, so that a stale tab gets 409."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class SnoozeForm(VersionedForm):
    until = DateField(_l("Remind me again on"), validators=[required()])


class ReassignForm(VersionedForm):
    agent_id = SelectField(_l("Agent"), coerce=parse_id, validate_choice=False)

    def fill_choices(self, agents) -> None:
        self.agent_id.choices = [("", _l("— Choose —"))] + [(a.id, a.full_name) for a in agents]


UNIT_LABELS = {
    "days": _l("days"),
    "business_days": _l("business days (Monday to Friday)"),
    "months": _l("months"),
}


class RuleForm(VersionedForm):
    enabled = BooleanField(_l("Enabled"))
    offset = IntegerField(
        _l("Offset"),
        description=_l("From the trigger's date; negative means before it."),
        validators=[InputRequired(message=_l("This field is required.")), between(-400, 400)],
    )
    unit = SelectField(_l("Unit"), choices=list(UNIT_LABELS.items()))
    at_time = TimeField(_l("Time of day (Eastern time)"), validators=[required()])
    escalate_after_days = IntegerField(
        _l("Escalate to the supervisors after (days)"),
        description=_l("Delivered and still not handled after this many days. Empty: never."),
        validators=[Optional(), between(1, 90)],
    )
    validity_days = IntegerField(
        _l("Consent validity (days)"),
        description=_l("Consents carry no end date: how long one stays valid."),
        validators=[Optional(), between(30, 3650)],
    )

    def values(self) -> RuleFields:
        return RuleFields(
            enabled=bool(self.enabled.data),
            offset=self.offset.data,
            unit=self.unit.data,
            at_time=self.at_time.data,
            escalate_after_days=self.escalate_after_days.data,
            validity_days=self.validity_days.data,
        )
