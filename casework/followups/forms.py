"""The follow-up form: the interview, one fieldset per domain (pre-filled with the last known
situation), the plan's objectives and the referrals' outcomes (fields made per case)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, NumberRange, Optional

from casework.cases import choices
from casework.cases.forms import _blank, _options
from casework.core.forms import BaseForm, CachedSelect, max_length
from casework.core.time import local_today
from casework.followups import operations
from casework.followups.models import DOMAINS, MILESTONES
from casework.followups.operations import (
    CHILDREN_LABELS,
    DOMAIN_FIELDS,
    EMPLOYMENT_LABELS,
    HOUSING_LABELS,
    INTEGRATION_LABELS,
    MILESTONE_LABELS,
    VERDICT_LABELS,
    FollowUpValues,
    OutcomeCheck,
    Situation,
)
from casework.referrals import outcomes

YES_NO = [("", _l("— Not known —")), ("yes", _l("Yes")), ("no", _l("No"))]
DATE_MESSAGE = _l("Enter a valid date, for example 2026-03-31.")


def _none_if_empty(value: Any) -> Any:
    return None if value in ("", None) else value


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _bool(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _date(label: Any) -> DateField:
    return DateField(label, validators=[Optional()], render_kw={"class": "input--date"})


MILESTONE_CHOICES = {str(m) for m in MILESTONES}


class FollowUpBaseForm(BaseForm):
    held_on = DateField(_l("Date of the follow-up"), validators=[Optional()], default=local_today)
    milestone = SelectField(
        _l("Milestone"),
        description=_l("The follow-ups of the rules fall 3 and 6 months after arrival."),
        filters=[_none_if_empty],
        validators=[
            Optional(),
            AnyOf([str(m) for m in MILESTONES], message=_l("Not a valid choice.")),
        ],
        validate_choice=False,
        choices=[("", _l("— At any time (no milestone) —"))]
        + [(str(m), MILESTONE_LABELS[m]) for m in MILESTONES],
    )
    mode = SelectField(
        _l("Mode"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=[("", _l("— Not applicable —")), *_options(choices.MODES)],
    )
    interpreter_language = SelectField(
        _l("Interpreter language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    interpretation_pilot = BooleanField(_l("Made under the remote-interpretation pilot"))
    # housing
    housing_status = SelectField(
        _l("Housing"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=_blank() + _options(HOUSING_LABELS),
    )
    # french
    french_enrolled = SelectField(_l("Enrolment in a French course"), choices=YES_NO)
    french_level = IntegerField(
        _l("Level on the Québec scale (1 to 12)"),
        validators=[
            Optional(),
            NumberRange(1, 12, message=_l("A level on the Québec scale goes from 1 to 12.")),
        ],
        render_kw={"class": "input--short", "inputmode": "numeric"},
    )
    french_provider = StringField(
        _l("Where (school, organisation)"),
        validators=[Optional(), max_length(200)],
        filters=[_none_if_empty],
    )
    french_format = SelectField(
        _l("Course format"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=_blank() + _options(outcomes.COURSE_FORMATS),
    )
    # employment
    employment_status = SelectField(
        _l("Employment"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=_blank() + _options(EMPLOYMENT_LABELS),
    )
    employment_cnp = StringField(
        _l("CNP code of the job"),
        description=_l("A code of the stored occupations (Reference data › Occupations)."),
        validators=[Optional(), max_length(5)],
        filters=[_none_if_empty],
        render_kw={"class": "input--short", "inputmode": "numeric"},
    )
    employment_cnp_version = SelectField(
        _l("CNP version"), choices=[(v, v) for v in outcomes.CNP_VERSIONS], default="2021"
    )
    # residence
    region_id = SelectField(
        _l("Region of residence"), filters=[_none_if_empty], validate_choice=False
    )
    municipality = StringField(
        _l("Municipality"), validators=[Optional(), max_length(120)], filters=[_none_if_empty]
    )
    # children
    children_status = SelectField(
        _l("Children"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=[("", _l("— No children, or not asked —")), *_options(CHILDREN_LABELS)],
    )
    # integration
    integration_status = SelectField(
        _l("Objectif Intégration"),
        filters=[_none_if_empty],
        validate_choice=False,
        choices=_blank() + _options(INTEGRATION_LABELS),
    )
    integration_attested_on = _date(_l("Date of the attestation"))
    # immigration
    permanent_resident = SelectField(_l("Permanent residence obtained"), choices=YES_NO)
    permanent_residence_on = _date(_l("Date of permanent residence"))
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), max_length(5000)], filters=[_none_if_empty]
    )

    # Set by build_form.
    _case: Any = None
    _actions: list = []
    _referrals: list = []
    _region_codes: dict = {}

    def domain_skipped(self, domain: str) -> bool:
        return bool(self[f"skip_{domain}"].data)

    def situations(self) -> dict[str, Situation]:
        found = {}
        for domain in DOMAINS:
            if self.domain_skipped(domain):
                continue
            situation = Situation()
            for name in DOMAIN_FIELDS[domain]:
                value = self[name].data
                if name in ("french_enrolled", "permanent_resident"):
                    value = _bool(value)
                elif name == "region_id":
                    value = int(value) if value and str(value).isdigit() else None
                setattr(situation, name, value)
            if domain == "employment" and not situation.employment_cnp:
                situation.employment_cnp_version = None
            if any(getattr(situation, name) not in (None, "") for name in DOMAIN_FIELDS[domain]):
                found[domain] = situation
        return found

    def values(self) -> FollowUpValues:
        reviews = {}
        for group in self._actions:
            verdict = self[f"objective_{group.key}"].data
            if verdict:
                for action in group.actions:
                    reviews[action.id] = (verdict, self[f"objective_{group.key}_comment"].data)
        checks = []
        for referral, family, _history in self._referrals:
            prefix = f"out_{referral.id}"
            for kind in outcomes.OUTCOME_KINDS[family]:
                happened = _bool(self[f"{prefix}_{kind}"].data)
                if happened is None:
                    continue
                checks.append(
                    OutcomeCheck(
                        referral.id,
                        outcomes.OutcomeValues(
                            kind=kind,
                            happened=happened,
                            occurred_on=self[f"{prefix}_{kind}_on"].data,
                            course_format=self[f"{prefix}_format"].data
                            if kind == "enrolled" and happened
                            else None,
                            cnp=self[f"{prefix}_cnp"].data
                            if kind == "job_obtained" and happened
                            else None,
                            cnp_version=self[f"{prefix}_cnp_version"].data
                            if kind == "job_obtained" and happened
                            else None,
                        ),
                    )
                )
        milestone = self.milestone.data
        return FollowUpValues(
            held_on=self.held_on.data,
            milestone=int(milestone) if milestone in MILESTONE_CHOICES else None,
            mode=self.mode.data,
            interpreter_language=self.interpreter_language.data,
            interpretation_pilot=bool(self.interpretation_pilot.data),
            notes=self.notes.data,
            situations=self.situations(),
            reviews=reviews,
            outcome_checks=checks,
        )

    def rules(self) -> None:
        """The operation's checks on what was typed (dates, CNP codes, levels), all at once."""
        if self.held_on.errors or self.milestone.errors:
            return
        operations.check(self._case, self.values())


def build_form(
    case: Any,
    regions: list,
    latest: dict,
    actions: list,
    referrals: list,
    formdata: Any = None,
    reminder_id: int | None = None,
) -> FollowUpBaseForm:
    """A form class for this case: its plan's objectives and its completed referrals' outcomes
    as fields; filled with the last known situation."""

    class FollowUpForm(FollowUpBaseForm):
        pass

    for domain in DOMAINS:
        setattr(
            FollowUpForm,
            f"skip_{domain}",
            BooleanField(_l("Not discussed at this follow-up")),
        )
    verdicts = [("", _l("— Not judged at this follow-up —")), *_options(VERDICT_LABELS)]
    for group in actions:
        setattr(
            FollowUpForm, f"objective_{group.key}", SelectField(group.objective, choices=verdicts)
        )
        setattr(
            FollowUpForm,
            f"objective_{group.key}_comment",
            StringField(
                _l("Comment"), validators=[Optional(), max_length(2000)], filters=[_none_if_empty]
            ),
        )
    for referral, family, _history in referrals:
        prefix = f"out_{referral.id}"
        for kind in outcomes.OUTCOME_KINDS[family]:
            setattr(
                FollowUpForm,
                f"{prefix}_{kind}",
                SelectField(outcomes.OUTCOME_LABELS[kind], choices=YES_NO),
            )
            setattr(FollowUpForm, f"{prefix}_{kind}_on", _date(_l("Date")))
        if family == "francisation":
            setattr(
                FollowUpForm,
                f"{prefix}_format",
                SelectField(
                    _l("Course format"),
                    filters=[_none_if_empty],
                    validate_choice=False,
                    choices=_blank() + _options(outcomes.COURSE_FORMATS),
                ),
            )
        if "job_obtained" in outcomes.OUTCOME_KINDS[family]:  # employment, requalification
            setattr(
                FollowUpForm,
                f"{prefix}_cnp",
                StringField(
                    _l("CNP code of the job"),
                    validators=[Optional(), max_length(5)],
                    filters=[_none_if_empty],
                    render_kw={"class": "input--short", "inputmode": "numeric"},
                ),
            )
            setattr(
                FollowUpForm,
                f"{prefix}_cnp_version",
                SelectField(
                    _l("CNP version"),
                    choices=[(v, v) for v in outcomes.CNP_VERSIONS],
                    default="2021",
                ),
            )
    data: dict[str, Any] = {}
    for domain, row in latest.items():
        situation = operations.situation_from(row)
        for name in DOMAIN_FIELDS[domain]:
            value = getattr(situation, name)
            if name in ("french_enrolled", "permanent_resident"):
                value = _yes_no(value)
            elif name == "region_id":
                value = str(value) if value else ""
            data[name] = value
    if not data.get("employment_cnp_version"):
        data.pop("employment_cnp_version", None)
    if "residence" not in latest and case.person.destination_region_id:
        # No follow-up yet: the destination at arrival, to confirm or change.
        data["region_id"] = str(case.person.destination_region_id)
        data["municipality"] = case.person.destination_city
    if "immigration" not in latest and case.person.permanent_residence_date:
        data["permanent_resident"] = "yes"
        data["permanent_residence_on"] = case.person.permanent_residence_date
    for referral, family, history in referrals:
        standing = outcomes.standing(history)
        for kind in outcomes.OUTCOME_KINDS[family]:
            if (referral.id, kind) in standing:
                before = standing[(referral.id, kind)]
                data[f"out_{referral.id}_{kind}_on"] = before.occurred_on
                if before.course_format:
                    data[f"out_{referral.id}_format"] = before.course_format
                if before.cnp:
                    data[f"out_{referral.id}_cnp"] = before.cnp
                    data[f"out_{referral.id}_cnp_version"] = before.cnp_version
    held_on = local_today()
    data["held_on"] = held_on
    milestone = operations.suggested_milestone(case, held_on)
    data["milestone"] = str(milestone) if milestone else ""
    form = FollowUpForm(formdata=formdata, data=data)
    form._case = case
    form._actions = actions
    form._referrals = referrals
    form.region_id.choices = _blank() + [(str(r.id), r.label) for r in regions]
    form.interpreter_language.choices = [
        ("", _l("— No interpreter —")),
        *choices.language_choices(),
    ]
    return form


def domain_fields(form: FollowUpBaseForm, domain: str) -> list:
    return [form[name] for name in DOMAIN_FIELDS[domain]]


__all__ = ["build_form", "date", "domain_fields"]
