"""Base form and shared field helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms.validators import DataRequired, Length
from wtforms.widgets import Select, html_params

from casework.core.unit_of_work import refusals_show


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


def confirmed() -> None:
    """A confirmed action was posted with its token, or the request is refused (400)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


def submitted(form: Any, page: Callable[[], Any]) -> bool:
    """Whether ``form`` was posted and is valid. If it is, an operation's refusal (DomainError)
    shows ``page()`` again with the message under its field (core/unit_of_work.py). A form that
    carries the record's ``version`` and posts none, or not a number, was tampered with (400);
    a version someone has saved past since is the operation's StaleEdit (409)."""
    valid = form.validate_on_submit()
    if form.is_submitted() and "version" in form._fields and form.version.errors:
        abort(400)
    if valid:
        refusals_show(form, page)
    return valid


class CachedSelect(Select):
    """A select whose options are rendered once, then reused.

    Language and country lists have some 600 options each; rendering them on every request
    was most of the airport console's time (WTForms builds two objects per option, twice).
    The options' HTML depends only on the choices (values, labels in the request's language,
    attributes), on how the field compares them with its data, and on that data: that is the
    cache key. Choices it cannot key (option groups, objects) are rendered as usual.
    """

    def __call__(self, field, **kwargs) -> Markup:
        key = _options_key(field)
        if key is None:
            return super().__call__(field, **kwargs)
        options = _OPTIONS.get(key)
        if options is None:
            render = type(self)._dispatch_render_option()
            options = "".join(render(choice) for choice in field._iter_choices_normalized())
            _OPTIONS[key] = options
            if len(_OPTIONS) > OPTIONS_CACHED:
                _OPTIONS.pop(next(iter(_OPTIONS)))
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name, False):
                kwargs[name] = getattr(flags, name)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


OPTIONS_CACHED = 512
_OPTIONS: dict[tuple, str] = {}


def _options_key(field: Any) -> tuple | None:
    if not isinstance(field.choices, list | tuple):
        return None
    choices = []
    for choice in field.choices:
        if not isinstance(choice, tuple) or len(choice) not in (2, 3):
            return None
        value, label = choice[0], str(choice[1])
        attributes = choice[2] if len(choice) == 3 else {}
        if not isinstance(attributes, dict):
            return None
        choices.append((value, label, tuple(sorted(attributes.items()))))
    data = field.data if not isinstance(field.data, list) else tuple(field.data)
    key = (type(field), field.coerce, tuple(choices), data)
    try:
        hash(key)
    except TypeError:  # data or a value that cannot be hashed
        return None
    return key
