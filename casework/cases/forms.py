"""Forms of the case file. Server-side validation lives in operations; these parse and label."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from casework.cases import choices
from casework.cases.operations import InteractionFields, PersonFields
from casework.cases.search import query_terms
from casework.cases.validation import CaseError, validate_case_status, validate_person
from casework.core import formats
from casework.core.forms import BaseForm, CachedSelect, Phone, PostalCode, max_length, required
from casework.core.i18n import translated
from casework.core.time import local_now, local_today
from casework.reference.places import PlaceChoices


def parse_id(value) -> int | None:
    """A database id from a form or query string; anything else (« ² », 25 digits) is None."""
    text = str(value or "")
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def _none_if_empty(value):
    return value or None


def _options(mapping) -> list[tuple[str, str]]:
    return [(code, label) for code, label in mapping.items()]


def _blank(label=None) -> list[tuple[str, str]]:
    return [("", label or _l("— Choose —"))]


DATE_MESSAGE = _l("Enter a valid date.")


def phone_field() -> TelField:
    """A person's phone, optional (the same field wherever a person is recorded), stored in
    E.164 and shown the Québec way (« 514 555-0123 »)."""
    return TelField(
        _l("Phone"),
        validators=[Optional(), max_length(40), Phone()],
        filters=[_none_if_empty],
        description=_l("With the area code, for example 514 555-0123."),
    )


def email_field() -> EmailField:
    return EmailField(
        _l("E-mail"),
        validators=[Optional(), max_length(254), Email(message=formats.EMAIL_MESSAGE)],
        filters=[_none_if_empty],
    )


class PersonForm(BaseForm):
    given_names = StringField(_l("Given names"), validators=[required(), max_length(200)])
    family_name = StringField(_l("Family name"), validators=[required(), max_length(200)])
    preferred_name = StringField(
        _l("Name used day to day"),
        validators=[Optional(), max_length(200)],
        filters=[_none_if_empty],
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    gender = SelectField(_l("Gender (optional)"), filters=[_none_if_empty], validate_choice=False)
    country_of_birth = SelectField(
        _l("Country of birth"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    citizenships = SelectMultipleField(
        _l("Citizenships"), validate_choice=False, widget=CachedSelect(multiple=True)
    )
    languages_spoken = SelectMultipleField(
        _l("Languages spoken"), validate_choice=False, widget=CachedSelect(multiple=True)
    )
    preferred_language = SelectField(
        _l("Preferred language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    french_level_self = SelectField(
        _l("French level (self-declared)"), filters=[_none_if_empty], validate_choice=False
    )
    french_level_scale = IntegerField(
        _l("French level on the Québec scale (1–12)"),
        validators=[
            Optional(),
            NumberRange(1, 12, message=_l("The Québec scale goes from 1 to 12.")),
        ],
        description=_l("Leave empty when not evaluated."),
    )
    immigration_category = SelectField(
        _l("Immigration category"), validators=[required()], validate_choice=False
    )
    arrival_date = DateField(_l("Arrival in Québec"), validators=[Optional()])
    permanent_residence_date = DateField(
        _l("Permanent residence obtained on"), validators=[Optional()]
    )
    phone = phone_field()
    email = email_field()
    address = StringField(
        _l("Address"), validators=[Optional(), max_length(300)], filters=[_none_if_empty]
    )
    postal_code = StringField(
        _l("Postal code"),
        validators=[Optional(), max_length(10), PostalCode()],
        filters=[_none_if_empty],
    )
    city = StringField(
        _l("City"), validators=[Optional(), max_length(120)], filters=[_none_if_empty]
    )
    destination_region_id = SelectField(
        _l("Destination region"), coerce=parse_id, validate_choice=False
    )
    destination_city = StringField(
        _l("Destination city"), validators=[Optional(), max_length(120)], filters=[_none_if_empty]
    )
    interpreter_needed = BooleanField(_l("An interpreter is needed"))
    interpreter_language = SelectField(
        _l("Interpreter language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    # « Parcours et statut »: what the follow-ups and the indicators compare with.
    mifi_client_number = StringField(
        _l("MIFI client number"),
        validators=[Optional(), max_length(20)],
        filters=[_none_if_empty],
        description=_l("The Ministère's client number, when the person has one."),
    )
    education_level = SelectField(
        _l("Highest education level completed"), filters=[_none_if_empty], validate_choice=False
    )
    field_of_study = StringField(
        _l("Field of study"), validators=[Optional(), max_length(200)], filters=[_none_if_empty]
    )
    origin_cnp = StringField(
        _l("Profession in the country of origin (CNP code)"),
        validators=[Optional(), max_length(5)],
        filters=[_none_if_empty],
        render_kw={"list": "stored-occupations", "inputmode": "numeric"},
        description=_l("A code of the occupations stored in the reference data."),
    )
    origin_cnp_version = SelectField(
        _l("CNP version"), filters=[_none_if_empty], validate_choice=False
    )
    employment_status = SelectField(
        _l("Employment status at intake"), filters=[_none_if_empty], validate_choice=False
    )
    permit_expires_on = DateField(_l("Work or study permit expires on"), validators=[Optional()])
    caq_expires_on = DateField(_l("CAQ expires on"), validators=[Optional()])

    def values(self) -> PersonFields:
        return PersonFields(
            given_names=self.given_names.data or "",
            family_name=self.family_name.data or "",
            immigration_category=self.immigration_category.data or "",
            preferred_name=self.preferred_name.data,
            date_of_birth=self.date_of_birth.data,
            gender=self.gender.data,
            country_of_birth=self.country_of_birth.data,
            citizenships=list(self.citizenships.data or []),
            languages_spoken=list(self.languages_spoken.data or []),
            preferred_language=self.preferred_language.data,
            french_level_self=self.french_level_self.data,
            french_level_scale=self.french_level_scale.data,
            arrival_date=self.arrival_date.data,
            permanent_residence_date=self.permanent_residence_date.data,
            phone=self.phone.data,
            email=self.email.data,
            address=self.address.data,
            postal_code=self.postal_code.data,
            city=self.city.data,
            destination_region_id=self.destination_region_id.data,
            destination_city=self.destination_city.data,
            interpreter_needed=bool(self.interpreter_needed.data),
            interpreter_language=self.interpreter_language.data,
            mifi_client_number=self.mifi_client_number.data,
            education_level=self.education_level.data,
            field_of_study=self.field_of_study.data,
            origin_cnp=self.origin_cnp.data,
            origin_cnp_version=self.origin_cnp_version.data,
            employment_status=self.employment_status.data,
            permit_expires_on=self.permit_expires_on.data,
            caq_expires_on=self.caq_expires_on.data,
        )

    # Set by the view: refuses a MIFI client number another person has (it knows who asks),
    # so that this error comes in the same round as the others.
    client_number_check: Callable[[str | None], None] | None = None

    def rules(self) -> None:
        values = self.values()
        errors: list[tuple[str | None, str]] = []
        try:
            validate_person(values)
        except CaseError as error:
            errors.extend(error.errors)
        number_ok = all(name != "mifi_client_number" for name, _message in errors)
        if self.client_number_check is not None and values.mifi_client_number and number_ok:
            try:
                self.client_number_check(values.mifi_client_number)
            except CaseError as error:
                errors.extend(error.errors)
        if errors:
            (field, message), *more = errors
            raise CaseError(message, field, more=tuple(more))

    def fill_choices(self, regions) -> None:
        languages = choices.language_choices()
        self.gender.choices = _blank(_l("— Not given —")) + _options(choices.GENDERS)
        self.country_of_birth.choices = _blank() + choices.country_choices()
        self.citizenships.choices = choices.country_choices()
        self.languages_spoken.choices = languages
        self.preferred_language.choices = _blank() + languages
        self.interpreter_language.choices = _blank() + languages
        self.french_level_self.choices = _blank() + _options(choices.FRENCH_LEVELS)
        self.immigration_category.choices = _blank() + _options(choices.IMMIGRATION_CATEGORIES)
        self.destination_region_id.choices = _blank() + [(r.id, r.label) for r in regions]
        self.education_level.choices = _blank(_l("— Not given —")) + _options(
            choices.EDUCATION_LEVELS
        )
        self.origin_cnp_version.choices = [*_blank(), ("2016", "CNP 2016"), ("2021", "CNP 2021")]
        self.employment_status.choices = _blank(_l("— Not given —")) + _options(
            choices.EMPLOYMENT_STATUSES
        )


class NewCaseForm(PersonForm):
    origin = SelectField(
        _l("How the person came to the service"), validators=[required()], validate_choice=False
    )
    priority = SelectField(_l("Priority"), default="normal", validate_choice=False)
    # Which name and birth date the agent has already seen the likely duplicates for: a new
    # name or date means a new check.
    duplicates_reviewed = HiddenField(default="")

    def fill_choices(self, regions) -> None:
        super().fill_choices(regions)
        self.origin.choices = _blank() + _options(choices.ORIGINS)
        self.priority.choices = _options(choices.PRIORITIES)


class EditPersonForm(PersonForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class CaseStatusForm(BaseForm):
    status = SelectField(_l("Status"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    next_follow_up_on = DateField(_l("Next follow-up"), validators=[Optional()])
    closing_reason = SelectField(
        _l("Reason for closing"), filters=[_none_if_empty], validate_choice=False
    )
    closing_summary = TextAreaField(
        _l("Closing summary"), validators=[Optional(), max_length(5000)], filters=[_none_if_empty]
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def rules(self) -> None:
        validate_case_status(
            self.status.data,
            self.priority.data,
            self.next_follow_up_on.data,
            self.closing_reason.data,
            self.closing_summary.data,
        )

    def fill_choices(self) -> None:
        self.status.choices = _options(choices.STATUSES)
        self.priority.choices = _options(choices.PRIORITIES)
        self.closing_reason.choices = _blank(_l("— Only when closing —")) + _options(
            choices.CLOSING_REASONS
        )


class HouseholdForm(BaseForm):
    relationship = SelectField(_l("Relationship"), validators=[required()], validate_choice=False)
    given_names = StringField(_l("Given names"), validators=[required(), max_length(200)])
    family_name = StringField(
        _l("Family name"), validators=[Optional(), max_length(200)], filters=[_none_if_empty]
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    immigration_category = SelectField(
        _l("Immigration category"),
        filters=[_none_if_empty],
        validate_choice=False,
        description=_l("Leave empty when it is the person's."),
    )
    french_level_scale = IntegerField(
        _l("French level on the Québec scale (1–12)"),
        validators=[
            Optional(),
            NumberRange(1, 12, message=_l("The Québec scale goes from 1 to 12.")),
        ],
        description=_l("Leave empty when not evaluated."),
    )
    needs = SelectMultipleField(
        _l("Needs assessed for this member"), coerce=parse_id, validate_choice=False
    )

    def fill_choices(self, domains=()) -> None:
        self.relationship.choices = _blank() + _options(choices.RELATIONSHIPS)
        self.immigration_category.choices = _blank(_l("— The person's —")) + _options(
            choices.IMMIGRATION_CATEGORIES
        )
        self.needs.choices = [
            (need.id, f"{domain.label} — {need.label}")
            for domain in domains
            for need in domain.needs
        ]

    def member_values(self) -> dict:
        return {
            "relationship": self.relationship.data,
            "given_names": self.given_names.data,
            "family_name": self.family_name.data,
            "born": self.date_of_birth.data,
            "immigration_category": self.immigration_category.data,
            "french_level_scale": self.french_level_scale.data,
            "need_ids": [need_id for need_id in self.needs.data or [] if need_id is not None],
        }


class EditHouseholdForm(HouseholdForm):
    """A member's own page: the version it was read at (two tabs: the second save is a 409)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class InteractionForm(BaseForm):
    kind = SelectField(_l("Kind"), validators=[required()], validate_choice=False)
    occurred_at = DateTimeLocalField(
        _l("Date and time"),
        validators=[InputRequired(message=_l("This field is required."))],
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        default=local_now,
    )
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[Optional()])
    mode = SelectField(_l("Mode"), filters=[_none_if_empty], validate_choice=False)
    interpreter_language = SelectField(
        _l("Interpreter language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    interpreter_remote = BooleanField(_l("Remote interpretation"))
    summary = TextAreaField(_l("Summary"), validators=[required(), max_length(10_000)])

    def values(self) -> InteractionFields:
        return InteractionFields(
            kind=self.kind.data,
            occurred_at=self.occurred_at.data,
            summary=self.summary.data or "",
            duration_minutes=self.duration_minutes.data,
            mode=self.mode.data,
            interpreter_language=self.interpreter_language.data,
            interpreter_remote=bool(self.interpreter_remote.data),
        )

    def fill_choices(self) -> None:
        self.kind.choices = _blank() + _options(choices.INTERACTION_KINDS)
        self.mode.choices = _blank(_l("— Not applicable —")) + _options(choices.MODES)
        self.interpreter_language.choices = (
            _blank(_l("— No interpreter —")) + choices.language_choices()
        )


class ConsentForm(BaseForm):
    purpose = SelectField(_l("Purpose"), validators=[required()], validate_choice=False)
    given_on = DateField(
        _l("Given on"),
        validators=[InputRequired(message=_l("This field is required."))],
        default=local_today,
    )
    method = SelectField(_l("How it was obtained"), validators=[required()], validate_choice=False)

    def fill_choices(self) -> None:
        self.purpose.choices = _blank() + _options(choices.CONSENT_PURPOSES)
        self.method.choices = _blank() + _options(choices.CONSENT_METHODS)


class TransferForm(BaseForm):
    to_agent_id = SelectField(_l("Receiving agent"), coerce=parse_id, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(2000)])

    def fill_choices(self, agents) -> None:
        self.to_agent_id.choices = _blank(_l("— Choose —")) + [
            (agent.id, f"{agent.full_name} ({agent.region.label})") for agent in agents
        ]


def _is_ideograph(character: str) -> bool:
    """One Chinese, Japanese or Korean character can be a whole name (« 王 »)."""
    return unicodedata.name(character, "").startswith(("CJK", "HANGUL", "HIRAGANA", "KATAKANA"))


class SearchForm(BaseForm):
    q = StringField(
        _l("Search"),
        validators=[Optional(), max_length(100)],
        description=_l("Name, case number, phone or e-mail"),
    )

    def validate_q(self, field) -> None:
        """A search needs something to look for: not punctuation alone, not one character
        (which would match most of a region's cases)."""
        if not field.data or field.errors:
            return
        terms = query_terms(field.data)
        if not terms:
            raise ValidationError(
                _l("Nothing to search for: type a name, a case number, a phone or an e-mail.")
            )
        if len(terms) == 1 and len(terms[0]) == 1 and not _is_ideograph(terms[0]):
            raise ValidationError(_l("Type at least two letters or digits."))


# The caseload filters' fixed words and sort orders, translated once per locale (issue 23).
FILTER_WORDS = {
    "no": _l("No"),
    "all": _l("All"),
    "any": _l("Any"),
    "open": _l("Open (not closed)"),
}
CASELOAD_SORTS = {
    "recent": _l("Most recent"),
    "name": _l("Name"),
    "follow_up": _l("Next follow-up"),
    "priority": _l("Priority"),
}


class CaseloadFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    domain = SelectField(_l("Open needs in"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    overdue = BooleanField(_l("Follow-up overdue"))
    sort = SelectField(_l("Sort by"), validate_choice=False)
    # A report figure's cases (its drill-down), over the figure's period.
    cohort = SelectField(_l("Counted in a report"), validate_choice=False)
    start = DateField(_l("Period from"), validators=[Optional()])
    end = DateField(_l("Period to"), validators=[Optional()])

    def fill_choices(
        self, places: PlaceChoices, regions: list[int], cohort_labels: Mapping[str, Any]
    ) -> None:
        """``regions``: those a regional reader may choose (none for an agent)."""
        words = translated(FILTER_WORDS)
        self.cohort.choices = [("", words["no"]), *_options(translated(cohort_labels))]
        self.status.choices = [
            ("", words["all"]),
            ("open", words["open"]),
            *_options(translated(choices.STATUSES)),
        ]
        self.priority.choices = [("", words["all"]), *_options(translated(choices.PRIORITIES))]
        self.domain.choices = places.domains(("", words["any"]))
        self.region.choices = places.regions_among(regions, ("", words["all"]))
        self.sort.choices = _options(translated(CASELOAD_SORTS))

    def shown_values(self) -> tuple | None:
        """The values the bar shows, for the key of its kept HTML (core.fragments): None when
        a field is in error (its message is shown, not kept)."""
        if any(field.errors for field in self):
            return None
        return tuple((field.name, str(field.data), tuple(field.raw_data or ())) for field in self)
