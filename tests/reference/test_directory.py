"""The organisation directory, maintained by the region's advisors and by admins."""

from sqlalchemy import select

from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.reference.models import Organisation
from tests import helpers


def _promis(app):
    with app.app_context():
        return db.session.scalar(select(Organisation).where(Organisation.code == "promis")).id


def test_advisor_of_the_region_updates_contacts_and_it_is_audited(app, client, login):
    login(role="advisor", region="06")
    promis = _promis(app)
    url = f"/referentiel/organismes/{promis}/modifier"
    fields = helpers.form_fields(client.get(url).text)
    fields.update(contact_name="Accueil PROMIS", contact_phone="514 555-0100", capacity="150")
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        organisation = db.session.get(Organisation, promis)
        assert (organisation.contact_name, organisation.capacity) == ("Accueil PROMIS", 150)
        assert not organisation.is_illustrative("capacity")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation.updated")
        ).one()
        assert set(event.details["fields"]) >= {"contact_name", "contact_phone", "capacity"}
    assert "Accueil PROMIS" in client.get("/referentiel/organismes").text
    stale = client.post(url, data=fields)
    assert stale.status_code == 409


def test_others_cannot_edit_the_directory(app, client, login):
    promis = _promis(app)
    login(role="advisor", region="05")
    assert client.get(f"/referentiel/organismes/{promis}/modifier").status_code == 403
    helpers.post_form(client, "/deconnexion", token_from="/")
    login(role="agent", region="06")
    assert client.get(f"/referentiel/organismes/{promis}/modifier").status_code == 403


def test_an_organisation_can_be_deactivated_and_bad_values_are_form_errors(app, client, login):
    login(role="admin")
    promis = _promis(app)
    url = f"/referentiel/organismes/{promis}/modifier"
    fields = helpers.form_fields(client.get(url).text)
    fields.pop("active", None)
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, promis).active is False
    bad = helpers.form_fields(client.get(url).text)
    bad.update(contact_email="pas-un-courriel", capacity="-4")
    response = client.post(url, data=bad)
    assert response.status_code == 200 and 'class="error-message"' in response.text


def _organisation(app, code):
    with app.app_context():
        return db.session.scalar(select(Organisation).where(Organisation.code == code)).id


def test_cities_served_are_edited_as_a_list_and_audited(app, client, login):
    login(role="advisor", region="07")
    sito = _organisation(app, "sito")
    url = f"/referentiel/organismes/{sito}/modifier"
    page = client.get(url).text
    assert 'name="cities_served"' in page and "Villes desservies" in page
    fields = helpers.form_fields(page)
    assert fields["cities_served"].strip() == "Gatineau"
    fields["cities_served"] = "Gatineau, Chelsea\n  Cantley  \n\ngatineau"
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, sito).cities_served == [
            "Gatineau",
            "Chelsea",
            "Cantley",
        ]
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organisation.updated")
        ).one()
        assert event.details["fields"] == ["cities_served"]
        # Languages came back in the form's order: not an edit, still an illustrative value.
        assert db.session.get(Organisation, sito).is_illustrative("languages")
    listing = client.get("/referentiel/organismes").text
    assert "Villes desservies : Gatineau, Chelsea, Cantley" in listing
    assert "Toute la région" in listing  # organisations with no list serve their whole region
    fields = helpers.form_fields(client.get(url).text)
    fields["cities_served"] = ""
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, sito).cities_served == []


def test_a_city_name_too_long_is_a_form_error_and_changes_nothing(app, client, login):
    login(role="admin")
    ciel = _organisation(app, "ciel")
    url = f"/referentiel/organismes/{ciel}/modifier"
    fields = helpers.form_fields(client.get(url).text)
    fields["cities_served"] = "Chelsea\n" + "x" * 81
    response = client.post(url, data=fields)
    assert response.status_code == 200
    assert 'id="cities_served-error"' in response.text
    with app.app_context():
        assert "Chelsea" in db.session.get(Organisation, ciel).cities_served
        assert len(db.session.get(Organisation, ciel).cities_served) == 6
