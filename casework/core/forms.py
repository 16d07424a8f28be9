"""Base form and shared field helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length

from casework.core.domain import DomainError, StaleEdit, show_error
from casework.extensions import db

T = TypeVar("T")


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


def save_versioned(form: Any, operation: Callable[[], T]) -> T | None:
    """Validate a form that carries the record's ``version`` and run ``operation`` with it.

    Returns what ``operation`` returned, or None when the form must be shown again (its errors
    are set). A missing or non-numeric version is a tampered form (400); a version someone has
    saved past since is a conflict (409) and nothing is written.
    """
    valid = form.validate_on_submit()
    if form.is_submitted() and form.version.errors:
        abort(400)
    if not valid:
        return None
    try:
        return operation()
    except StaleEdit:
        db.session.rollback()
        abort(409)
    except DomainError as error:
        show_error(form, error, lambda message: flash(message, "error"))
        return None
