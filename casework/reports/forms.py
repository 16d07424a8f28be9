"""Forms of the reports: the dashboard's filters and the password asked before a bulk export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, PasswordField, SelectField
from wtforms.validators import Optional

from casework.core.forms import BaseForm, max_length, required

DATE_MESSAGE = _l("Enter a valid date.")


class DashboardFilterForm(BaseForm):
    class Meta:
        csrf = False

    unchecked_choices = frozenset({"region"})
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    region = SelectField(_l("Region"), validate_choice=False)
    directorate = SelectField(_l("Regional directorate"), validate_choice=False)

    def fill_choices(self, regions, directorates, all_regions: bool) -> None:
        # A directorate covering several regions may show them all together.
        everywhere = [("", _l("All regions"))] if all_regions or len(regions) > 1 else []
        self.region.choices = everywhere + [(str(r.id), r.label) for r in regions]
        self.directorate.choices = [("", _l("Any"))] + [(str(d.id), d.name) for d in directorates]

    def date_errors(self) -> None:
        """WTForms says "Not a valid date value"; say it in the user's language."""
        for date_field in (self.start, self.end):
            if date_field.errors:
                date_field.errors = [str(DATE_MESSAGE)]


class ConfirmExportForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[required(), max_length(256)])
    next = HiddenField()
