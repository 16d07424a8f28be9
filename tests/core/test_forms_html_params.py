"""core.forms.html_params replaces WTForms' own for speed (issue 23): it must write the same
attributes, character for character."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import Form, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from casework.core import forms


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"name": "q", "id": "q", "class_": "input wide"},
        {"value": "été & « co »", "placeholder": Markup("<b>déjà</b>")},
        {"data_format_message": 'Say "yes" <now>', "aria_describedby": "a-hint a-error"},
        {"required": True, "readonly": False, "maxlength": 100, "autofocus": True},
        {"value": 0, "min": -1, "step": 0.5},
        {"title": Markup('say "hi"'), "placeholder": Markup("« <i>déjà</i> »")},
    ],
)
def test_same_attributes_as_wtforms(attributes):
    assert forms.html_params(**attributes) == wtforms_html_params(**attributes)
    assert isinstance(forms.html_params(**attributes), Markup)


def wtforms_html_params(**kwargs):
    # WTForms 3's implementation, kept verbatim as the reference.
    from markupsafe import escape

    params = []
    for k, v in sorted(kwargs.items()):
        k = forms.wtforms_widgets.clean_key(k)
        if v is True:
            params.append(k)
        elif v is False:
            pass
        else:
            v = escape(v).replace(Markup('"'), Markup("&quot;"))
            params.append(Markup('{k}="{v}"').format(k=k, v=v))
    return Markup(" ").join(params)


def test_radio_buttons_and_multiple_choices_keep_their_widgets(app):
    from wtforms import RadioField, SelectMultipleField

    from casework.core.forms import BaseForm, CachedSelect

    class Choices(BaseForm):
        class Meta:
            csrf = False

        one = SelectField("Un", choices=[("a", "A")])
        some = SelectMultipleField("Plusieurs", choices=[("a", "A"), ("b", "B")])
        either = RadioField("L'un ou l'autre", choices=[("a", "A"), ("b", "B")])

    with app.test_request_context("/"):
        form = Choices()
    assert isinstance(form.one.widget, CachedSelect)
    assert not isinstance(form.some.widget, CachedSelect) and "multiple" in str(form.some())
    assert 'type="radio"' in str(form.either())


class Sample(Form):
    name = StringField("Nom « complet »", validators=[DataRequired(), Length(max=20)])
    secret = PasswordField("Mot de passe")
    kind = SelectField("Type", choices=[("a", "A & B"), ("b", "« C »")])
    send = SubmitField("Envoyer")


def test_every_widget_uses_it(app):
    import wtforms.widgets

    for widget in (wtforms.widgets.Input, wtforms.widgets.SubmitInput, wtforms.widgets.Button):
        assert widget.html_params is forms.html_params
    assert wtforms.widgets.html_params is forms.html_params
    assert wtforms.widgets.core.html_params is forms.html_params
    form = Sample(data={"name": 'Zoé "Z"', "kind": "b"})
    assert str(form.name(**{"data-x": "<y>"})) == (
        '<input data-x="&lt;y&gt;" id="name" maxlength="20" name="name" required type="text" '
        'value="Zoé &#34;Z&#34;">'
    )
    assert str(form.secret()) == '<input id="secret" name="secret" type="password" value="">'
    assert str(form.send()) == '<input id="send" name="send" type="submit" value="Envoyer">'
    assert str(form.name.label) == '<label for="name">Nom « complet »</label>'
    assert '<option selected value="b">« C »</option>' in str(form.kind())
