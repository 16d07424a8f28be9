"""Base form and shared field helpers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length


class BaseForm(FlaskForm):
    """All forms carry a CSRF token (Flask-WTF) and strip surrounding spaces from text."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in {"StringField", "EmailField", "TextAreaField"}:
                filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)


class ConfirmForm(BaseForm):
    """A POST with only the CSRF token, for confirmed actions (disable, withdraw, accept)."""


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))
