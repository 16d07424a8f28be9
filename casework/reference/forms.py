"""The organisation directory form and the occupations list's form."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from casework.core.forms import BaseForm, max_length, required
from casework.reference.languages import language_choices
from casework.reference.occupations import PRIORITY_MAX, OccupationFields
from casework.reference.operations import OrganisationFields

CITY_SEPARATORS = re.compile(r"[,;\n]")


def _none_if_empty(value):
    return value or None


class NameListField(TextAreaField):
    """A list of names typed one per line or separated by commas; shown one per line."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = [n.strip() for n in CITY_SEPARATORS.split(valuelist[0]) if n.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])


class OrganisationForm(BaseForm):
    name = StringField(_l("Name"), validators=[required(), max_length(120)])
    full_name = StringField(
        _l("Full name"), validators=[Optional(), max_length(240)], filters=[_none_if_empty]
    )
    contact_name = StringField(
        _l("Contact person"), validators=[Optional(), max_length(120)], filters=[_none_if_empty]
    )
    contact_phone = TelField(
        _l("Phone"), validators=[Optional(), max_length(40)], filters=[_none_if_empty]
    )
    contact_email = EmailField(
        _l("E-mail"), validators=[Optional(), max_length(254)], filters=[_none_if_empty]
    )
    address = StringField(
        _l("Address"), validators=[Optional(), max_length(300)], filters=[_none_if_empty]
    )
    services_offered = TextAreaField(
        _l("Services offered"), validators=[Optional(), max_length(5000)], filters=[_none_if_empty]
    )
    cities_served = NameListField(
        _l("Cities served"),
        description=_l(
            "One per line, or separated by commas. Leave empty when the organisation serves "
            "the whole region."
        ),
    )
    languages = SelectMultipleField(_l("Languages"), validate_choice=False)
    capacity = IntegerField(
        _l("Capacity (referrals per month)"),
        validators=[
            Optional(),
            NumberRange(0, 100_000, message=_l("Capacity is a number of referrals per month.")),
        ],
    )
    volets = SelectMultipleField(_l("PASI volets"), validate_choice=False)
    domains = SelectMultipleField(_l("Domains"), validate_choice=False)
    active = BooleanField(_l("Active (offered in referral suggestions)"))
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def values(self) -> OrganisationFields:
        return OrganisationFields(
            name=self.name.data or "",
            full_name=self.full_name.data,
            contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data,
            contact_email=self.contact_email.data,
            address=self.address.data,
            services_offered=self.services_offered.data,
            cities_served=list(self.cities_served.data or []),
            languages=list(self.languages.data or []),
            capacity=self.capacity.data,
            active=bool(self.active.data),
        )

    def volet_numbers(self) -> list[int]:
        return [int(n) for n in (self.volets.data or []) if str(n).isdigit() and len(str(n)) < 3]

    def domain_codes(self) -> list[str]:
        return [str(code)[:20] for code in (self.domains.data or [])]

    def fill_choices(self, volets, domains) -> None:
        self.languages.choices = language_choices()
        self.volets.choices = [(str(v.number), f"{v.number} · {v.label}") for v in volets]
        self.domains.choices = [(d.code, d.label) for d in domains]


class OccupationForm(BaseForm):
    cnp = StringField(_l("CNP code"), validators=[required(), max_length(5)])
    cnp_version = SelectField(
        _l("Version of the classification"),
        choices=[("2016", "CNP 2016"), ("2021", "CNP 2021")],
        default="2016",
        validate_choice=False,
    )
    cnp_2021 = StringField(
        _l("CNP 2021 code"),
        description=_l("Five digits; for a CNP 2016 code, the same occupation in CNP 2021."),
        validators=[Optional(), max_length(5)],
        filters=[_none_if_empty],
    )
    title = StringField(_l("Title (French)"), validators=[required(), max_length(200)])
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), max_length(200)], filters=[_none_if_empty]
    )
    priority = IntegerField(
        _l("Priority"),
        description=_l("1 comes first. Leave empty: on the list, unranked."),
        validators=[Optional(), NumberRange(min=1, max=PRIORITY_MAX)],
    )
    active = BooleanField(_l("On the list"), default=True)
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def values(self) -> OccupationFields:
        return OccupationFields(
            cnp=self.cnp.data or "",
            cnp_version=self.cnp_version.data or "",
            cnp_2021=self.cnp_2021.data,
            title=self.title.data or "",
            title_en=self.title_en.data,
            priority=self.priority.data,
            active=bool(self.active.data),
        )
