"""Forms of the airport console, the calendar and availability."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from casework.appointments import operations, receptions
from casework.appointments.airport import REFUGEE_CATEGORIES
from casework.appointments.availability import WindowFields
from casework.appointments.operations import AirportIntake
from casework.appointments.receptions import ReceptionFields
from casework.appointments.slots import to_local
from casework.cases import choices
from casework.cases.forms import (
    _blank,
    _none_if_empty,
    _options,
    email_field,
    parse_id,
    phone_field,
)
from casework.cases.validation import validate_person
from casework.core.domain import DomainError
from casework.core.forms import BaseForm, CachedSelect, FixedChoices, max_length, required
from casework.reference.places import PlaceChoices

WEEKDAYS = {
    0: _l("Monday"),
    1: _l("Tuesday"),
    2: _l("Wednesday"),
    3: _l("Thursday"),
    4: _l("Friday"),
    5: _l("Saturday"),
    6: _l("Sunday"),
}


class PlausibleDay:
    """A date a person could mean: far-away years are typing errors (and beyond date arithmetic)."""

    def __init__(self, first_year: int = 2000, last_year: int = 2100):
        self.first_year, self.last_year = first_year, last_year

    def __call__(self, form, field) -> None:
        if field.data is not None and not self.first_year <= field.data.year <= self.last_year:
            raise ValidationError(_l("Check this date."))


def _required_date() -> InputRequired:
    return InputRequired(message=_l("This field is required."))


_LANGUAGE_OPTIONS: dict[str, FixedChoices] = {}


def _language_options() -> FixedChoices:
    """The empty option then the languages, in the request's language: one list per language,
    shared by the console's two language fields and every request."""
    locale = str(get_locale())
    options = _LANGUAGE_OPTIONS.get(locale)
    if options is None:
        options = _LANGUAGE_OPTIONS[locale] = FixedChoices((*_blank(), *choices.language_choices()))
    return options


class AirportForm(BaseForm):
    """Quick intake and slot search on one page; the slot is chosen among those shown."""

    given_names = StringField(_l("Given names"), validators=[required(), max_length(200)])
    family_name = StringField(_l("Family name"), validators=[required(), max_length(200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional(), PlausibleDay(1900)])
    arrival_date = DateField(_l("Arrival date"), validators=[_required_date(), PlausibleDay()])
    flight_type = SelectField(_l("Flight"), validators=[required()], validate_choice=False)
    immigration_category = SelectField(
        _l("Immigration category"), validators=[required()], validate_choice=False
    )
    destination_region_id = SelectField(
        _l("Destination region"), coerce=parse_id, validate_choice=False
    )
    destination_city = StringField(
        _l("Destination city"), validators=[Optional(), max_length(120)], filters=[_none_if_empty]
    )
    host_city = SelectField(
        _l("Host city (government-assisted refugees)"),
        filters=[_none_if_empty],
        validate_choice=False,
    )
    preferred_language = SelectField(
        _l("Preferred language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    interpreter_needed = BooleanField(_l("An interpreter is needed"))
    interpreter_language = SelectField(
        _l("Interpreter language"),
        filters=[_none_if_empty],
        validate_choice=False,
        widget=CachedSelect(),
    )
    phone = phone_field()
    email = email_field()
    contact_consent = BooleanField(_l("The person agrees to be contacted by the service"))
    sms_consent = BooleanField(
        _l("The person agrees to receive the confirmation and the reminder by SMS at this number")
    )
    phone_is_landline = BooleanField(_l("The phone number is a landline: never send it an SMS"))
    mode = SelectField(_l("Mode"), default="in_person", validate_choice=False)
    service_point_id = SelectField(_l("Service point"), coerce=parse_id, validate_choice=False)
    duplicates_checked = BooleanField(
        _l("I checked with the person: this is someone else, book anyway")
    )
    # The expected arrival (issue 22) the booking turns into a case, when it started from one.
    arrival_id = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )

    def prefill(self, arrival) -> None:
        """What the ministry's system sent about an expected arrival; the rest is asked."""
        self.arrival_id.data = arrival.id
        self.given_names.data = arrival.given_names
        self.family_name.data = arrival.family_name
        self.date_of_birth.data = arrival.date_of_birth
        self.arrival_date.data = to_local(arrival.arrives_at).date()
        self.flight_type.data = arrival.flight_type
        self.immigration_category.data = arrival.immigration_category
        self.destination_region_id.data = arrival.destination_region_id
        self.destination_city.data = arrival.destination_city

    def fill_choices(self, places: PlaceChoices, leave_out: str) -> None:
        """The lists of the console (the places: reference/places.py, kept per revision of the
        reference data); the service points are those of the destination region once one is
        chosen, but ``leave_out`` (each option says its region, for the script that filters
        them as the region changes)."""
        languages = _language_options()
        self.flight_type.choices = _blank() + _options(operations.FLIGHT_TYPES)
        self.immigration_category.choices = _blank() + _options(choices.IMMIGRATION_CATEGORIES)
        self.destination_region_id.choices = places.regions(*_blank())
        self.host_city.choices = places.host_cities(*_blank(_l("— Not applicable —")))
        self.preferred_language.choices = languages
        self.interpreter_language.choices = languages
        self.mode.choices = _options(operations.MODES)
        points = places.service_points(leave_out)
        self._point_regions = {ident: region_id for ident, _label, region_id in points}
        self.all_service_points = points
        self.service_point_id.choice_message = _l(
            "Choose a service point of the destination region, or « Any in the region »."
        )
        self.service_point_id.choices = places.point_choices(
            leave_out, self.destination_region_id.data, *_blank(_l("Any in the region"))
        )

    def validate_service_point_id(self, field) -> None:
        region_id = self.destination_region_id.data
        if (
            field.data
            and region_id
            and getattr(self, "_point_regions", {}).get(field.data) != region_id
        ):
            raise ValidationError(field.choice_message)

    def rules(self) -> None:
        """The counter's rules and the person's, on what was typed: every error at once."""
        intake = self.intake()
        found: list[tuple[str | None, str]] = []
        try:
            operations.validate_intake(intake)
        except DomainError as error:
            found += error.errors
        try:
            validate_person(intake.person_fields())
        except DomainError as error:
            found += error.errors
        if found:
            (field, message), *more = found
            raise DomainError(message, field, more=tuple(more))

    def intake(self) -> AirportIntake:
        return AirportIntake(
            given_names=self.given_names.data or "",
            family_name=self.family_name.data or "",
            date_of_birth=self.date_of_birth.data,
            arrival_date=self.arrival_date.data,
            flight_type=self.flight_type.data or "",
            immigration_category=self.immigration_category.data or "",
            destination_region_id=self.destination_region_id.data,
            destination_city=self.destination_city.data,
            preferred_language=self.preferred_language.data,
            interpreter_needed=bool(self.interpreter_needed.data),
            interpreter_language=self.interpreter_language.data,
            phone=self.phone.data,
            email=self.email.data,
            contact_consent=bool(self.contact_consent.data),
            host_city=self.host_city.data,
            duplicates_checked=bool(self.duplicates_checked.data),
            sms_consent=bool(self.sms_consent.data),
            phone_is_landline=bool(self.phone_is_landline.data),
        )


class CaseBookingForm(BaseForm):
    """An agent books an appointment for a case of their caseload."""

    type_code = SelectField(_l("Type"), validators=[required()], validate_choice=False)
    mode = SelectField(_l("Mode"), default="in_person", validate_choice=False)
    not_before = DateField(_l("From"), validators=[Optional(), PlausibleDay()])

    def fill_choices(self, types) -> None:
        self.type_code.choices = [
            (kind.code, f"{kind.label} ({kind.duration_minutes} min)") for kind in types
        ]
        self.mode.choices = _options(operations.MODES)


class RescheduleForm(BaseForm):
    not_before = DateField(_l("From"), validators=[Optional(), PlausibleDay()])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class CancelForm(BaseForm):
    reason = SelectField(_l("Reason"), validators=[required()], validate_choice=False)
    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), max_length(2000)], filters=[_none_if_empty]
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def fill_choices(self) -> None:
        self.reason.choices = _blank() + _options(operations.CANCEL_REASONS)


class OutcomeForm(BaseForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    interpretation_pilot = BooleanField(
        _l("Held under the remote-interpretation pilot"),
        description=_l("This region takes part in the pilot of the action plan."),
    )


class WindowForm(BaseForm):
    weekday = SelectField(_l("Day"), coerce=parse_id, validate_choice=False)
    starts_at = TimeField(
        _l("From"), validators=[InputRequired(message=_l("This field is required."))]
    )
    ends_at = TimeField(_l("To"), validators=[InputRequired(message=_l("This field is required."))])
    service_point_id = SelectField(_l("Service point"), coerce=parse_id, validate_choice=False)
    modes = SelectMultipleField(_l("Modes"), validate_choice=False)
    interpreter_languages = SelectMultipleField(
        _l("Interpreters available on site"),
        validate_choice=False,
        widget=CachedSelect(multiple=True),
    )
    remote_interpretation = BooleanField(_l("Remote interpretation available"))
    valid_from = DateField(_l("Valid from"), validators=[Optional(), PlausibleDay()])
    valid_until = DateField(_l("Valid until"), validators=[Optional(), PlausibleDay()])

    def fill_choices(self, service_points) -> None:
        self.weekday.choices = list(WEEKDAYS.items())
        self.service_point_id.choices = _blank() + [(p.id, p.name) for p in service_points]
        self.modes.choices = _options(operations.MODES)
        self.interpreter_languages.choices = choices.language_choices()

    def values(self) -> WindowFields:
        return WindowFields(
            weekday=self.weekday.data if self.weekday.data is not None else -1,
            starts_at=self.starts_at.data,
            ends_at=self.ends_at.data,
            service_point_id=self.service_point_id.data,
            modes=list(self.modes.data or []),
            interpreter_languages=[code for code in self.interpreter_languages.data or [] if code],
            remote_interpretation=bool(self.remote_interpretation.data),
            valid_from=self.valid_from.data,
            valid_until=self.valid_until.data,
        )


class ExceptionForm(BaseForm):
    starts_on = DateField(_l("From"), validators=[_required_date(), PlausibleDay()])
    ends_on = DateField(_l("To (inclusive)"), validators=[_required_date(), PlausibleDay()])
    kind = SelectField(_l("Kind"), validators=[required()], validate_choice=False)
    note = StringField(
        _l("Note"), validators=[Optional(), max_length(200)], filters=[_none_if_empty]
    )

    def fill_choices(self) -> None:
        self.kind.choices = _blank() + _options(operations.EXCEPTION_KINDS)


class TypeForm(BaseForm):
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), validators=[InputRequired(message=_l("This field is required."))]
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ReceptionForm(BaseForm):
    """A refugee welcomed at the airport, recorded without a booking."""

    given_names = StringField(_l("Given names"), validators=[required(), max_length(200)])
    family_name = StringField(_l("Family name"), validators=[required(), max_length(200)])
    immigration_category = SelectField(
        _l("Immigration category"), validators=[required()], validate_choice=False
    )
    arrival_date = DateField(_l("Arrival date"), validators=[_required_date(), PlausibleDay()])
    destination_region_id = SelectField(
        _l("Destination region"), coerce=parse_id, validate_choice=False
    )
    host_city = SelectField(
        _l("Host city (government-assisted refugees)"),
        filters=[_none_if_empty],
        validate_choice=False,
    )
    destination_city = StringField(
        _l("Sponsors' city (collective sponsorship)"),
        validators=[Optional(), max_length(120)],
        filters=[_none_if_empty],
    )

    def fill_choices(self, regions, host_cities) -> None:
        # Outside the lists, the operation's own words (only refugees; a region of the list).
        self.immigration_category.choice_message = receptions.ONLY_REFUGEES
        self.destination_region_id.choice_message = receptions.CHOOSE_REGION
        self.immigration_category.choices = _blank() + [
            (code, choices.IMMIGRATION_CATEGORIES[code]) for code in REFUGEE_CATEGORIES
        ]
        self.destination_region_id.choices = _blank() + [(r.id, r.label) for r in regions]
        self.host_city.choices = _blank(_l("— Not applicable —")) + [
            (city.name, f"{city.name} ({city.region.display_name})") for city in host_cities
        ]

    def fields(self) -> ReceptionFields:
        return ReceptionFields(
            given_names=self.given_names.data or "",
            family_name=self.family_name.data or "",
            immigration_category=self.immigration_category.data or "",
            arrival_date=self.arrival_date.data,
            destination_region_id=self.destination_region_id.data,
            host_city=self.host_city.data,
            destination_city=self.destination_city.data,
        )


class ReceptionLeftForm(BaseForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
