"""The pages: templates read and edited by an administrator (audited; an unknown placeholder
refused with its line), the case page's section, how a case is reached, the e-mail opt-out,
retention."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from sqlalchemy import select

from casework.cases.events import CasesAnonymised
from casework.core.audit import AuditEvent
from casework.core.events import emit
from casework.core.time import utcnow
from casework.extensions import db
from casework.messages import wording
from casework.messages.models import ContactSettings
from casework.messages.outbox import send_messages
from tests.messages.conftest import book, messages_of

EDIT = "/messages/modeles/fr/confirmation/sms"


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def admin(app, client, login, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MESSAGE_TEMPLATES_DIR", str(tmp_path / "templates"))
    return login("admin")


def test_admin_reads_and_edits_a_template_audited(app, client, admin):
    listing = client.get("/messages/modeles")
    assert listing.status_code == 200 and EDIT in listing.text
    page = client.get(EDIT)
    assert "{service}" in page.text
    text = "{service} : RDV le {date} à {time}. Info : {phone}."
    response = client.post(EDIT, data={"csrf_token": csrf(client, EDIT), "text": text})
    assert response.status_code == 302
    with app.app_context():
        assert wording.source("fr", "confirmation", "sms") == text + "\n"
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "message_template")
        ).all()
    assert "messages.template_read" in actions and "messages.template_saved" in actions


def test_an_unknown_placeholder_is_refused_with_its_line(app, client, admin):
    text = "{service} : rendez-vous\nle {date} pour {besoin}"
    response = client.post(EDIT, data={"csrf_token": csrf(client, EDIT), "text": text})
    assert response.status_code == 200
    page = unescape(response.text)
    assert "Ligne 2 : l'espace réservé {besoin} n'existe pas." in page
    assert 'class="error-summary' in page or "error" in page
    with app.app_context():
        assert not wording.is_edited("fr", "confirmation", "sms")


def test_the_footer_must_keep_its_opt_out(app, client, admin):
    path = "/messages/modeles/en/footer/email"
    response = client.post(path, data={"csrf_token": csrf(client, path), "text": "{language_note}"})
    assert response.status_code == 200
    assert "{optout}" in unescape(response.text)


def test_templates_are_for_administrators_only(client, login):
    login("agent")
    assert client.get("/messages/modeles").status_code == 403
    assert client.get(EDIT).status_code == 403


def test_unknown_template_is_404(client, admin):
    assert client.get("/messages/modeles/es/confirmation/sms").status_code == 404
    assert client.get("/messages/modeles/fr/secret/email").status_code == 404


def test_case_page_shows_the_messages_and_whether_the_person_was_reached(
    app, client, login, make_user
):
    agent = login("agent", region="06")
    with app.app_context():
        from casework.auth.models import User
        from tests.appointments.factories import open_every_day

        open_every_day(agent.id)
        appointment = book(db.session.get(User, agent.id))
        case_id = appointment.case_id
    page = unescape(client.get(f"/dossiers/{case_id}").text)
    assert "Messages à la personne" in page
    assert "Confirmation · Courriel · <strong>en file</strong>" in page
    assert "Jointe ?" in page and "pas encore" in page.lower()


def test_agent_marks_a_landline_and_the_time_zone(app, client, login, make_case):
    agent = login("agent")
    case = make_case(agent)
    path = f"/dossiers/{case.id}/messages/coordonnees"
    data = {
        "csrf_token": csrf(client, path),
        "phone_is_landline": "y",
        "time_zone": "America/Halifax",
    }
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        settings = db.session.get(ContactSettings, case.id)
        assert (settings.phone_is_landline, settings.time_zone) == (True, "America/Halifax")
    data["time_zone"] = "Europe/Paris"
    data["csrf_token"] = csrf(client, path)
    assert client.post(path, data=data).status_code == 200  # refused, shown again


def test_the_email_opt_out_withdraws_the_consent(agent, sink, mailer, client):
    appointment = book(agent)
    send_messages(now=utcnow(), mailer=mailer)
    body = sink.inbox.messages[0][1].get_body(("plain",)).get_content()
    link = re.search(r"http://[^/]+(/messages/desabonnement/\S+)", body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Ne plus recevoir" in unescape(page.text)
    assert next(m for m in messages_of(appointment) if m.kind == "reminder").status == "pending"
    done = client.post(link, data={"csrf_token": csrf(client, link)})
    assert done.status_code == 200
    reminder = next(m for m in messages_of(appointment) if m.kind == "reminder")
    assert (reminder.status, reminder.last_error) == ("cancelled", "consent_withdrawn")
    assert client.get("/messages/desabonnement/not-a-token").status_code == 404


def test_messages_are_anonymised_with_the_case(agent):
    appointment = book(agent)
    emit(CasesAnonymised(case_ids=(appointment.case_id,), at=datetime(2031, 1, 1)))
    for message in messages_of(appointment):
        assert (message.address, message.body, message.ics) == (None, "", None)
        assert message.status == "cancelled"


def test_an_edited_template_goes_back_to_its_original(app, client, admin):
    client.post(EDIT, data={"csrf_token": csrf(client, EDIT), "text": "{service} {date} {phone}"})
    with app.app_context():
        assert wording.is_edited("fr", "confirmation", "sms")
    token = csrf(client, EDIT)
    assert client.post(EDIT + "/par-defaut", data={"csrf_token": token}).status_code == 302
    assert client.post(EDIT + "/par-defaut").status_code == 400  # no token: nothing changes
    with app.app_context():
        assert not wording.is_edited("fr", "confirmation", "sms")
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "messages.template_reset")
        )
