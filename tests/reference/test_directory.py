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
    url = f"/reference/organismes/{promis}/modifier"
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
    assert "Accueil PROMIS" in client.get("/reference/organismes").text
    stale = client.post(url, data=fields)
    assert stale.status_code == 409


def test_others_cannot_edit_the_directory(app, client, login):
    promis = _promis(app)
    login(role="advisor", region="05")
    assert client.get(f"/reference/organismes/{promis}/modifier").status_code == 403
    helpers.post_form(client, "/deconnexion", token_from="/")
    login(role="agent", region="06")
    assert client.get(f"/reference/organismes/{promis}/modifier").status_code == 403


def test_an_organisation_can_be_deactivated_and_bad_values_are_form_errors(app, client, login):
    login(role="admin")
    promis = _promis(app)
    url = f"/reference/organismes/{promis}/modifier"
    fields = helpers.form_fields(client.get(url).text)
    fields.pop("active", None)
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, promis).active is False
    bad = helpers.form_fields(client.get(url).text)
    bad.update(contact_email="pas-un-courriel", capacity="-4")
    response = client.post(url, data=bad)
    assert response.status_code == 200 and 'class="error-message"' in response.text
