"""Plan forms: add an action, the schedule of a draft, the follow-up of an action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from casework.core.forms import BaseForm, max_length, required
from casework.plans.models import Plan
from casework.plans.operations import NewAction

ASSIGNEE_LABELS = {"agent": _l("Agent"), "person": _l("The person")}
STATUS_LABELS = {
    "todo": _l("To do"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "abandoned": _l("Abandoned"),
}


class VersionForm(BaseForm):
    """A POST that acts on a draft at the version the page showed."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NewActionForm(VersionForm):
    objective = StringField(_l("Objective"), validators=[required(), max_length(300)])
    label = StringField(_l("Action"), validators=[required(), max_length(300)])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    assignee = SelectField(_l("Who does it"), validate_choice=False)
    service = SelectField(_l("Orients to"), validate_choice=False)

    def values(self) -> NewAction:
        return NewAction(
            label=self.label.data or "",
            objective=self.objective.data or "",
            due_on=self.due_on.data,
            assignee=self.assignee.data or "",
            service=self.service.data or "",
        )

    def fill_choices(self, services: dict[str, dict[str, str]], english: bool) -> None:
        self.assignee.choices = list(ASSIGNEE_LABELS.items())
        self.service.choices = [
            (
                code,
                labels.get("label_en") if english and labels.get("label_en") else labels["label"],
            )
            for code, labels in services.items()
        ]


class ActionStatusForm(VersionForm):
    """Several actions of the finalised plan, selected in its table, given one status."""

    actions = SelectMultipleField(
        _l("Select"),
        coerce=int,
        validators=[InputRequired(message=_l("Select at least one action."))],
    )
    status = SelectField(_l("New status"), choices=list(STATUS_LABELS.items()))
    reason = StringField(
        _l("Reason (when abandoned)"),
        validators=[Optional(), max_length(2000)],
        filters=[lambda value: value or None],
    )

    def fill_choices(self, plan: Plan) -> None:
        self.actions.choices = [(action.id, action.label) for action in plan.actions]


def schedule_form(plan: Plan, formdata=None) -> VersionForm:
    """One due date and one assignee per action of the draft."""

    class ScheduleForm(VersionForm):
        pass

    for action in plan.actions:
        setattr(
            ScheduleForm, f"due_{action.id}", DateField(_l("Due date"), validators=[Optional()])
        )
        setattr(
            ScheduleForm,
            f"assignee_{action.id}",
            SelectField(
                _l("Who does it"), choices=list(ASSIGNEE_LABELS.items()), validate_choice=False
            ),
        )
    data = {"version": plan.version}
    for action in plan.actions:
        data[f"due_{action.id}"] = action.due_on
        data[f"assignee_{action.id}"] = action.assignee
    return ScheduleForm(formdata=formdata, data=data)
