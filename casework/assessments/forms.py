"""The assessment form: fixed interview fields plus one level and note per need of the catalogue."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from casework.assessments.models import LEVELS, Assessment
from casework.assessments.operations import (
    ASSETS_MAX,
    INTERVIEW_FIELDS,
    LEVEL_LABELS,
    NOTES_MAX,
    AssessmentValues,
)
from casework.cases import choices
from casework.core.forms import BaseForm, CachedSelect, max_length
from casework.reference.models import Domain, Occupation


def _none_if_empty(value):
    return value or None


class AssessmentBaseForm(BaseForm):
    interview_date = DateField(_l("Interview date"), validators=[Optional()])
    interview_mode = SelectField(
        _l("Interview mode"), filters=[_none_if_empty], validate_choice=False
    )
    interpreter_language = SelectField(
        _l("Interpreter language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    interpreter_remote = BooleanField(_l("Remote interpretation"))
    interpretation_pilot = BooleanField(
        _l("Made under the remote-interpretation pilot"),
        description=_l("This region takes part in the pilot of the action plan."),
    )
    requalification_interest = BooleanField(
        _l("Interested in requalification for an in-demand occupation")
    )
    current_occupation = StringField(
        _l("Current or last occupation"),
        validators=[Optional(), max_length(200)],
        filters=[_none_if_empty],
    )
    current_cnp = StringField(
        _l("CNP code of the current occupation"),
        validators=[Optional(), max_length(5)],
        filters=[_none_if_empty],
    )
    # A CNP code; the in-demand list is offered (a datalist), not imposed: it gives a
    # requalification referral priority, not permission.
    target_cnp = StringField(
        _l("Target occupation (CNP)"),
        validators=[Optional(), max_length(5)],
        filters=[_none_if_empty],
        render_kw={"list": "in-demand-occupations", "inputmode": "numeric"},
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class CompleteForm(BaseForm):
    """Completion of the draft at the version the agent reviewed."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def build_form(
    domains: list[Domain],
    occupations: list[Occupation],
    assessment: Assessment,
    formdata: Any = None,
) -> AssessmentBaseForm:
    """A form class made for the current catalogue, filled from ``assessment``."""

    class AssessmentForm(AssessmentBaseForm):
        pass

    level_choices = [(level, LEVEL_LABELS[level]) for level in LEVELS]
    for domain in domains:
        for need in domain.needs:
            setattr(
                AssessmentForm,
                f"level_{need.id}",
                RadioField(need.label, choices=level_choices, default="none"),
            )
            setattr(
                AssessmentForm,
                f"notes_{need.id}",
                TextAreaField(
                    _l("Notes"),
                    validators=[Optional(), max_length(NOTES_MAX)],
                    filters=[_none_if_empty],
                ),
            )
        setattr(
            AssessmentForm,
            f"assets_{domain.id}",
            TextAreaField(
                _l("Assets: diplomas, experience, languages, network"),
                validators=[Optional(), max_length(ASSETS_MAX)],
                filters=[_none_if_empty],
            ),
        )
    data = {name: getattr(assessment, name) for name in (*INTERVIEW_FIELDS, "version")}
    for row in assessment.needs:
        data[f"level_{row.need_id}"] = row.level
        data[f"notes_{row.need_id}"] = row.notes
    for row in assessment.domain_notes:
        data[f"assets_{row.domain_id}"] = row.assets
    form = AssessmentForm(formdata=formdata, data=data)
    languages = choices.language_choices()
    form.interview_mode.choices = [("", _l("— Choose —")), *choices.MODES.items()]
    form.interpreter_language.choices = [("", _l("— No interpreter —")), *languages]
    return form


def values_from(form: AssessmentBaseForm, domains: list[Domain]) -> AssessmentValues:
    values = AssessmentValues(
        interview_date=form.interview_date.data,
        interview_mode=form.interview_mode.data,
        interpreter_language=form.interpreter_language.data,
        interpreter_remote=bool(form.interpreter_remote.data),
        interpretation_pilot=bool(form.interpretation_pilot.data),
        requalification_interest=bool(form.requalification_interest.data),
        current_occupation=form.current_occupation.data,
        current_cnp=form.current_cnp.data,
        target_cnp=form.target_cnp.data,
    )
    for domain in domains:
        for need in domain.needs:
            values.levels[need.id] = form[f"level_{need.id}"].data
            values.notes[need.id] = form[f"notes_{need.id}"].data
        values.assets[domain.id] = form[f"assets_{domain.id}"].data
    return values


def highlighted(form: AssessmentBaseForm, domains: list[Domain]) -> dict[str, list[Any]]:
    """The urgent and high needs as the form holds them (what the running summary shows)."""
    found: dict[str, list[Any]] = {"urgent": [], "high": []}
    for domain in domains:
        for need in domain.needs:
            level = form[f"level_{need.id}"].data
            if level in found:
                found[level].append(need)
    return found
