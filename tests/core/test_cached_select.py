"""CachedSelect renders exactly what WTForms' Select renders, from its cache after the first
time, and falls back to Select for choices it cannot key."""

from __future__ import annotations

from wtforms import Form, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from casework.core import forms as core_forms
from casework.core.forms import CachedSelect

CHOICES = [
    ("", "— Choisir —"),
    ("fr", "français"),
    ("", "──────────", {"disabled": True}),
    ("ar", "arabe"),
    ("es", "espagnol <latino>"),
]


class Plain(Form):
    one = SelectField(choices=CHOICES, validators=[InputRequired()])
    many = SelectMultipleField(choices=CHOICES)
    number = SelectField(choices=[(1, "un"), (2, "deux")], coerce=int)


class Cached(Form):
    one = SelectField(choices=CHOICES, validators=[InputRequired()], widget=CachedSelect())
    many = SelectMultipleField(choices=CHOICES, widget=CachedSelect(multiple=True))
    number = SelectField(choices=[(1, "un"), (2, "deux")], coerce=int, widget=CachedSelect())


VARIANTS = [{}, {"one": "ar", "many": ["fr", "es"], "number": 2}, {"one": "es", "many": ["ar"]}]


def test_cached_select_renders_what_select_renders():
    core_forms._OPTIONS.clear()
    for _ in range(2):  # first rendered, then from the cache, whichever option is selected
        for data in VARIANTS:
            plain, cached = Plain(data=data), Cached(data=data)
            for name in ("one", "many", "number"):
                assert str(cached[name](class_="x")) == str(plain[name](class_="x"))
    assert len(core_forms._OPTIONS) == 8  # (3 fields × 3 values) less the shared blank number


GROUPED = [SelectChoice("fr", "France", optgroup="Europe")]


def test_choices_it_cannot_key_are_rendered_as_usual():
    class Grouped(Form):
        field = SelectField(choices=GROUPED, widget=CachedSelect())

    class Reference(Form):
        field = SelectField(choices=GROUPED, widget=Select())

    assert str(Grouped().field()) == str(Reference().field())
    assert "<optgroup" in str(Grouped().field())
