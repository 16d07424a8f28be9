"""Sign-in, password and account-administration forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Optional, Regexp
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from casework.auth.operations import USERNAME_PATTERN
from casework.auth.passwords import MAX_LENGTH
from casework.core.forms import BaseForm, max_length, required
from casework.core.roles import ROLE_LABELS


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[required(), max_length(64)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(MAX_LENGTH)])


class CodeForm(BaseForm):
    code = StringField(
        _l("Security code"),
        validators=[required(), max_length(40)],
        description=_l(
            "The 6 digits your authenticator application shows, or one of your recovery codes."
        ),
    )


class EnrolForm(BaseForm):
    code = StringField(
        _l("Code shown by the application"),
        validators=[required(), max_length(10)],
        description=_l("6 digits, to check that the application is set up."),
    )


class SecondFactorRolesForm(BaseForm):
    roles = SelectMultipleField(_l("Roles"), widget=ListWidget(prefix_label=False))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.option_widget = CheckboxInput()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[required()])
    new_password = PasswordField(
        _l("New password"),
        validators=[required(), max_length(MAX_LENGTH)],
        description=_l("At least 12 characters. A phrase of several words is easy to remember."),
    )
    confirm_password = PasswordField(
        _l("Confirm the new password"),
        validators=[required(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(BaseForm):
    username = StringField(
        _l("Username"),
        validators=[
            required(),
            max_length(64),
            Regexp(
                USERNAME_PATTERN.pattern,
                flags=re.IGNORECASE,
                message=_l(
                    "3 to 64 characters: letters without accents, digits, dot, hyphen, underscore."
                ),
            ),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    email = EmailField(
        _l("Work e-mail"),
        validators=[
            Optional(),
            max_length(254),
            Email(message=_l("Enter a valid e-mail address.")),
        ],
    )
    phone = TelField(
        _l("Work phone"),
        validators=[Optional(), max_length(40)],
        description=_l("Partner organisations call this number about the referrals you send."),
    )
    role = SelectField(_l("Role"), validators=[required()])
    region_id = SelectField(_l("Home region"), coerce=_optional_int, validators=[required()])
    service_point_id = SelectField(
        _l("Service point"),
        coerce=_optional_int,
        validators=[Optional()],
        description=_l("Required for agents, advisors, airport staff and supervisors."),
    )
    organisation_id = SelectField(
        _l("Partner organisation"),
        coerce=_optional_int,
        validators=[Optional()],
        description=_l("Required for users of a partner organisation."),
    )

    def fill_choices(self, regions, service_points, organisations) -> None:
        self.role.choices = [("", _l("— Choose —")), *role_choices()]
        self.region_id.choices = [("", _l("— Choose —"))] + [(r.id, r.label) for r in regions]
        self.service_point_id.choices = [("", _l("— None —"))] + [
            (p.id, f"{p.name} ({p.region.code})") for p in service_points
        ]
        self.organisation_id.choices = [("", _l("— None —"))] + [
            (o.id, f"{o.name} ({', '.join(r.code for r in o.regions) or _l('Québec')})")
            for o in organisations
        ]


class EditUserForm(UserForm):
    # The version the form was loaded at; absent or not a number means a tampered form (400).
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), max_length(80)])
    role = SelectField(_l("Role"), validators=[Optional()])
    region = SelectField(_l("Region"), coerce=_optional_int, validators=[Optional()])
