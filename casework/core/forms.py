"""Base form and shared field helpers.

Every form checks, besides its fields' own validators, what all forms must refuse: a choice
outside a select's list (never stored as nothing), a line break in a single-line field, and
its ``rules()`` (the operation's invariants, run on what was typed), so that every error is
reported in the same round. Forms with errors are noted for the page's error summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import wtforms.widgets
from flask import abort, g, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, SelectField, SelectFieldBase
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import Select
from wtforms.widgets import core as wtforms_widgets

from casework.core import conflicts, formats
from casework.core.domain import DomainError
from casework.core.i18n import DEFAULT_LOCALE, resolved
from casework.core.unit_of_work import conflicts_answered_by, refusals_show

CHOICE_MESSAGE = _l("Choose one of the options in the list.")
SINGLE_LINE_TYPES = {"StringField", "EmailField", "TelField", "SearchField", "URLField"}
_FORMS = "casework_forms"


class BaseForm(FlaskForm):
    """All forms carry a CSRF token (Flask-WTF) and strip surrounding spaces from text.

    ``unchecked_choices`` names the selects whose values outside the list the view answers
    itself (the dashboard's region: a region the user may not see is a 403, audited)."""

    unchecked_choices: frozenset[str] = frozenset()

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class.__name__ in SINGLE_LINE_TYPES | {"TextAreaField"}:
                filters.insert(0, _strip)
            if _plain_select(unbound_field):
                options = dict(options, widget=_CACHED_SELECT)
            field = unbound_field.bind(form=form, filters=filters, **options)
            field.label.text = resolved(field.label.text, form._labels_locale)
            field.description = resolved(field.description, form._labels_locale)
            return field

    def __init__(self, *args, **kwargs):
        # Looked up once for the form's labels and hints, not twice per field.
        self._labels_locale = str(get_locale() or DEFAULT_LOCALE)
        super().__init__(*args, **kwargs)
        if has_request_context():
            g.setdefault(_FORMS, []).append(self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.name not in self.unchecked_choices:
                _check_common(field)
        self._check_rules()
        return not any(field.errors for field in self) and not self.form_errors and valid

    def rules(self) -> None:
        """The operation's invariants on what was typed (raise a DomainError carrying every
        refusal, core.domain.Checks): overridden by forms whose operation has some."""

    def _check_rules(self) -> None:
        try:
            self.rules()
        except DomainError as error:
            for name, message in error.errors:
                field = self._fields.get(name or "")
                if field is None:
                    self.form_errors.append(message)
                elif not field.errors:
                    field.errors = [message]


def _check_common(field: Field) -> None:
    if field.errors:
        if isinstance(field, SelectFieldBase) and not _within_choices(field):
            field.errors = _outside_choices(field)
        return
    if isinstance(field, SelectFieldBase) and not _within_choices(field):
        field.errors = _outside_choices(field)
    elif type(field).__name__ in SINGLE_LINE_TYPES and not formats.is_single_line(
        field.raw_data[0] if field.raw_data else None
    ):
        field.errors = [str(formats.SINGLE_LINE_MESSAGE)]


def _outside_choices(field: Any) -> list[str]:
    # A list narrowed by another field (the airport's service points, by region) says why with
    # its own ``choice_message``; otherwise the general one, never WTForms' « could not coerce ».
    return [str(getattr(field, "choice_message", None) or CHOICE_MESSAGE)]


def _within_choices(field: Any) -> bool:
    """Whether every value posted for a select is one of its options (an empty value counts
    when the list offers an empty option)."""
    if not field.raw_data or not isinstance(field.choices, list | tuple) or not field.choices:
        return True  # not posted (the default applies), or no fixed list to check against
    if type(field.choices) is FixedChoices:
        offered = field.choices.offered
    else:
        offered = {str(choice[0]) for choice in _flat(field.choices)}
    return all(str(value) in offered for value in field.raw_data)


class FixedChoices(tuple):
    """A select's choices built once and shared by many requests (a list kept in memory for one
    language and one revision of its data): never changed, they are keyed and checked once.

    They are built for one language (a lazy label among them is only ever rendered in that
    language): the options cache keys them by identity, not by their labels."""

    @property
    def offered(self) -> frozenset[str]:
        """The values offered, as posted (for ``_within_choices``)."""
        known = self.__dict__.get("_offered")
        if known is None:
            known = self.__dict__["_offered"] = frozenset(str(choice[0]) for choice in _flat(self))
        return known

    @property
    def key(self) -> object:
        """Stands for the choices in the options cache's key: the same object as long as they
        live (hashing 600 options on every render was most of the key's cost)."""
        return self.__dict__.setdefault("_key", object())


def _flat(choices: Any) -> Iterator[tuple]:
    for choice in choices:
        if isinstance(choice, tuple) and len(choice) == 2 and isinstance(choice[1], list | tuple):
            yield from choice[1]  # an option group
        else:
            yield choice


def forms_script_needed() -> bool:
    """Whether the page has a form that posts (static/js/forms.js helps those); pages with
    only a filter bar (the dashboard) stay without script."""
    return any(form.meta.csrf for form in g.get(_FORMS, []))


def forms_in_error() -> list[Any]:
    """The forms of this request that have errors, for the error summary (base.html)."""
    return [form for form in g.get(_FORMS, []) if form.form_errors or any(f.errors for f in form)]


def choice_groups(field: Any) -> tuple[list[tuple], list[tuple]]:
    """A multiple choice's options split for a checkbox list: the frequent ones (those before
    the list's separator, a disabled empty option) with whatever is chosen, then the rest."""
    chosen = {str(value) for value in (field.data or [])}
    first: list[tuple] = []
    rest: list[tuple] = []
    separated = False
    for choice in _flat(field.choices or []):
        value, label = str(choice[0]), str(choice[1])
        if value == "" and len(choice) == 3 and (choice[2] or {}).get("disabled"):
            separated = True
        elif not separated or value in chosen:
            first.append((value, label, value in chosen))
        else:
            rest.append((value, label))
    return first, rest


class Phone:
    """A phone number, stored in E.164 (« +15145550123 »): core.formats.normal_phone."""

    field_flags = {"format": "phone"}

    def __call__(self, form, field) -> None:
        if field.data:
            try:
                field.data = formats.normal_phone(field.data)
            except ValueError as error:
                raise StopValidation(str(error)) from error


class PostalCode:
    """A Canadian postal code, stored as « H2X 1Y4 »."""

    field_flags = {"format": "postal-code"}

    def __call__(self, form, field) -> None:
        if field.data:
            try:
                field.data = formats.normal_postal_code(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from error


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


def submitted(form: Any, page: Callable[[], Any], current: Callable[[], Any] | None = None) -> bool:
    """Whether ``form`` was posted and is valid. If it is, an operation's refusal (DomainError)
    shows ``page()`` again with the message under its field (core/unit_of_work.py). A form that
    carries the record's ``version`` and posts none, or not a number, was tampered with (400);
    a version someone has saved past since is the operation's StaleEdit (409): with
    ``current`` (the same form built from the record as saved now), the page comes back with
    what was typed, the other person's changes merged in (core.conflicts)."""
    valid = form.validate_on_submit()
    if form.is_submitted() and "version" in form._fields and form.version.errors:
        abort(400)
    if valid:
        refusals_show(form, page)
        if current is not None:
            conflicts_answered_by(lambda: conflicts.merged_page(form, page, current()))
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
                _forget_oldest_options()
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name, False):
                kwargs[name] = getattr(flags, name)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


OPTIONS_CACHED = 512
# Every single-choice select without a widget of its own renders its options once (issue 23:
# the caseload's six filters were a tenth of its time).
_CACHED_SELECT = CachedSelect()


def _forget_oldest_options() -> None:
    # Two threads of a worker may both find the cache full: either may evict, neither fails.
    with suppress(RuntimeError):  # the dict changed size under another thread's insert
        _OPTIONS.pop(next(iter(_OPTIONS), None), None)


def _plain_select(unbound_field: Any) -> bool:
    # Radio buttons and multiple choices are select fields too, with other widgets: not these.
    widget = getattr(unbound_field.field_class, "widget", None)
    return (
        issubclass(unbound_field.field_class, SelectField)
        and type(widget) is Select
        and not widget.multiple
        and "widget" not in unbound_field.kwargs
    )


_OPTIONS: dict[tuple, str] = {}


def _options_key(field: Any) -> tuple | None:
    if type(field.choices) is FixedChoices:
        data = field.data if not isinstance(field.data, list) else tuple(field.data)
        key = (type(field), field.coerce, field.choices.key, data)
        try:
            hash(key)
        except TypeError:
            return None
        return key
    if not isinstance(field.choices, list | tuple):
        return None
    choices = []
    for choice in field.choices:
        if type(choice) is tuple and len(choice) == 2 and type(choice[1]) is str:
            # Most options (the 600 languages): a plain (value, label) pair is its own key.
            choices.append(choice)
            continue
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


def html_params(**kwargs: Any) -> Markup:
    """WTForms' ``html_params``, the same output (tests/core/test_forms_html_params.py), about
    four times faster: WTForms formats each attribute through ``Markup.format``, a
    ``string.Formatter``, and every field of every form goes through it (issue 23)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = wtforms_widgets.clean_key(key)
        if value is True:
            params.append(key)
        elif value is not False:
            # A Markup value is not escaped again, but its quotes must not end the attribute.
            text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape(key)}="{text}"')
    return Markup(" ".join(params))


def install_html_params() -> None:
    """Make every WTForms widget use ``html_params`` above: the module's function, the
    package's name for it (labels), and the copies the input and button widgets keep as a
    static method."""
    wtforms_widgets.html_params = html_params
    wtforms.widgets.html_params = html_params
    for widget in (wtforms_widgets.Input, wtforms_widgets.SubmitInput, wtforms_widgets.Button):
        if "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
