"""The person forms check formats and choices at the server, every error in one round, with
an error summary that takes the focus (issue 17)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from casework.cases.models import Case, Person
from casework.extensions import db
from tests import helpers
from tests.cases.test_cases import _new_case_data


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model)) for model in (Person, Case)
        )


def test_every_bad_value_is_reported_in_one_round_and_nothing_is_stored(app, client, login):
    login(role="agent")
    before = _counts(app)
    data = _new_case_data(
        given_names="",
        phone="abc",
        postal_code="12345",
        email="pas une adresse",
        destination_region_id="-1",
        city="Montréal\nLaval",
        date_of_birth="2999-01-01",
        languages_spoken=["fr", "tlh"],
        citizenships=["ZZ"],
    )
    response = helpers.post_form(client, "/dossiers/nouveau", data)
    assert response.status_code == 200
    page = unescape(response.text)
    summary = page.split('class="error-summary"')[1].split("</ul>")[0]
    expected = {
        "given_names": "Ce champ est obligatoire.",
        "phone": "Entrez un numéro de téléphone avec son indicatif régional, par exemple "
        "514 555-0123.",
        "postal_code": "Entrez un code postal canadien, par exemple H2X 1Y4.",
        "email": "Entrez une adresse courriel, par exemple nom@exemple.ca.",
        "destination_region_id": "Choisissez une des options de la liste.",
        "city": "Inscrivez ceci sur une seule ligne.",
        "date_of_birth": "La date de naissance ne peut pas être dans le futur.",
        "languages_spoken": "Choisissez une des options de la liste.",
        "citizenships": "Choisissez une des options de la liste.",
    }
    for field, message in expected.items():
        assert f'href="#{field}"' in summary, field
        assert message in summary, field
        assert f'id="{field}-error"' in page, field  # next to the field too
    # Focused without JavaScript; the page title says there is an error.
    assert re.search(r'<div class="error-summary"[^>]*tabindex="-1" autofocus', page)
    assert "<title>Erreur :" in page
    assert _counts(app) == before


@pytest.mark.parametrize("region", ["abc", "-1", "9" * 20, "999999"])
def test_a_region_outside_the_list_is_refused_not_cleared(app, client, login, make_case, region):
    agent = login(role="agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/personne"
    fields = helpers.form_fields(client.get(path).text)
    with app.app_context():
        stored = db.session.get(Case, case.id).person.destination_region_id
    response = helpers.post_form(client, path, {**fields, "destination_region_id": region})
    assert response.status_code == 200
    assert 'id="destination_region_id-error"' in response.text
    with app.app_context():
        assert db.session.get(Case, case.id).person.destination_region_id == stored


def test_phone_and_postal_code_are_stored_normalised_and_shown_the_quebec_way(app, client, login):
    login(role="agent")
    data = _new_case_data(phone="(514) 555-0142", postal_code="h2x-1y4")
    response = helpers.post_form(client, "/dossiers/nouveau", data)
    assert response.status_code == 302, response.text
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        person = db.session.get(Case, case_id).person
        assert (person.phone, person.postal_code) == ("+15145550142", "H2X 1Y4")
    assert "514 555-0142" in client.get(f"/dossiers/{case_id}").text
    assert helpers.form_fields(client.get(f"/dossiers/{case_id}/personne").text)["phone"] == (
        "514 555-0142"
    )
