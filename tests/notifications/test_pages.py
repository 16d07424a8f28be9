"""The notifications pages: the header's count, the list, opening one (its link checked),
marking read, one or all; someone else's notification is a 404, a link to what the reader may
no longer see a 403 that says why."""

from __future__ import annotations

import re

from sqlalchemy import select

from casework.cases import operations as cases
from casework.core.audit import AuditEvent
from casework.core.pagination import DEFAULT_PER_PAGE as PER_PAGE
from casework.extensions import db
from casework.notifications.models import NotificationPreference
from casework.reminders.models import Notification
from tests import helpers
from tests.notifications.conftest import case_of, notifications_of, return_referral, user


def _returned(app, people, comment="Précisez le besoin de logement."):
    with app.app_context():
        referral = return_referral(people, comment)
        [notification] = notifications_of(people.agent)
        return referral.id, notification.id


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": helpers.csrf_token(client, "/"), **data})


def test_the_agent_sees_the_count_opens_the_notification_and_lands_on_the_referral(
    app, client, login, people
):
    referral_id, notification_id = _returned(app, people)
    login(user=people.agent)
    home = client.get("/").text
    assert re.search(r'href="/notifications/"[^>]*>Notifications <span class="badge', home)
    assert '>1<span class="visually-hidden"> non lue' in home
    listing = client.get("/notifications/").text
    assert "Référence à PROMIS retournée par Test Advisor" in listing
    assert "« Précisez le besoin de logement. »" in listing
    opened = client.get(f"/notifications/{notification_id}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/references/{referral_id}"
    assert "Précisez le besoin de logement." in client.get(f"/references/{referral_id}").text
    assert "Notifications <span" not in client.get("/").text  # read now


def test_mark_one_then_all_read(app, client, login, people):
    _referral_id, first = _returned(app, people)
    with app.app_context():
        return_referral(people, "Un autre retour.")
    login(user=people.agent)
    assert _post(client, f"/notifications/{first}/lue").status_code == 302
    with app.app_context():
        assert db.session.get(Notification, first).read_at is not None
        assert len([n for n in notifications_of(people.agent) if n.read_at is None]) == 1
    assert _post(client, "/notifications/tout-lu").status_code == 302
    with app.app_context():
        assert all(n.read_at for n in notifications_of(people.agent))
    assert "Tout est lu." in client.get("/notifications/").text


def test_someone_elses_notification_is_not_found(app, client, login, people, make_user):
    _referral_id, notification_id = _returned(app, people)
    login("agent")
    assert client.get(f"/notifications/{notification_id}").status_code == 404
    assert _post(client, f"/notifications/{notification_id}/lue").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is None


def test_marking_read_needs_the_forms_token(app, client, login, people):
    _referral_id, notification_id = _returned(app, people)
    login(user=people.agent)
    assert client.post(f"/notifications/{notification_id}/lue").status_code == 400


def test_a_link_to_a_case_transferred_since_is_a_403_that_explains(
    app, client, login, people, make_user
):
    referral_id, notification_id = _returned(app, people)
    receiver = make_user(role="agent", region="03")
    with app.app_context():
        # Another region: the person consents to their file moving there (issue 18).
        helpers.give_consent(people.agent.id, case_of(people).id, "transfer_region")
        transfer = cases.request_transfer(
            user(people.agent), case_of(people), user(receiver), "Déménagement à Québec"
        )
        cases.answer_transfer(user(receiver), transfer, accept=True)
        db.session.commit()
    login(user=people.agent)
    page = client.get(f"/notifications/{notification_id}")
    assert page.status_code == 403
    assert "Vous ne pouvez plus ouvrir ceci" in page.text
    assert "transféré" in page.text
    assert 'href="/notifications/"' in page.text
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is not None
        unread = len([n for n in notifications_of(people.agent) if n.read_at is None])
        denial = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.actor_id == people.agent.id,
                AuditEvent.outcome == "denied",
                AuditEvent.target_type == "referral",
            )
        )
        assert denial is not None and denial.target_id == str(referral_id)
    # Read on opening, before the page renders: its header no longer counts it, although the
    # count read with the session, before the view, did (issue 23).
    assert f'>{unread}<span class="visually-hidden"> non lue' in page.text


def test_a_link_to_something_deleted_since_is_a_404_that_explains(app, client, login, people):
    from casework.referrals.models import Referral

    referral_id, notification_id = _returned(app, people)
    with app.app_context():
        db.session.delete(db.session.get(Referral, referral_id))
        db.session.commit()
    login(user=people.agent)
    page = client.get(f"/notifications/{notification_id}")
    assert page.status_code == 404
    assert "Cela n’existe plus" in page.text or "Cela n'existe plus" in page.text


def test_the_list_is_paginated_and_bounded_in_queries(app, client, login, people, count_queries):
    from casework.notifications.operations import Subject, record

    with app.app_context():
        referral_id = helpers.consented_referral(people.agent.id, people.case.id, "submitted")
        for number in range(45):
            subject = Subject("referral", referral_id, people.case.id)
            details = {"number": people.case.number, "organisation": "PROMIS", "actor": "X"}
            record("referral_approved", f"t-test-{number}", [people.agent.id], subject, details)
        db.session.commit()
    login(user=people.agent)
    first = client.get("/notifications/")
    assert first.text.count('<li class="notification') == PER_PAGE
    assert f"1–{PER_PAGE} sur 45" in first.text
    with count_queries() as counter:
        second = client.get("/notifications/?page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.text
    assert counter.count <= 8  # 7 measured: session, user, count, page (reminders joined)…


def test_an_empty_list_says_what_will_come(client, login):
    login("supervisor")
    page = client.get("/notifications/")
    assert "Aucune notification pour l’instant." in page.text or "Aucune notification" in page.text


def test_preferences_are_saved_per_kind_and_a_tampered_choice_stores_nothing(
    app, client, login, people
):
    login(user=people.agent)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    fields = helpers.form_fields(page.text)
    assert fields["referral_returned"] == "immediate"  # the kind's default
    fields["referral_accepted"] = "never"
    assert client.post("/notifications/preferences", data=fields).status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == people.agent.id)
        ).all()
        assert [(row.kind, row.channel) for row in rows] == [("referral_accepted", "never")]
    fields = helpers.form_fields(client.get("/notifications/preferences").text)
    assert fields["referral_accepted"] == "never"
    fields["referral_declined"] = "sometimes"
    refused = client.post("/notifications/preferences", data=fields)
    assert refused.status_code == 200
    assert "field--error" in refused.text
    with app.app_context():
        assert (
            db.session.scalar(
                select(NotificationPreference).where(
                    NotificationPreference.user_id == people.agent.id,
                    NotificationPreference.kind == "referral_declined",
                )
            )
            is None
        )


def test_each_role_chooses_only_among_the_kinds_it_can_receive(client, login):
    login("supervisor")
    fields = helpers.form_fields(client.get("/notifications/preferences").text)
    assert {"escalation", "transfer_declined"} <= set(fields)
    assert "referral_returned" not in fields and "airport_booking" not in fields


def test_a_role_that_receives_nothing_is_told_so(client, login):
    login("partner")
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    assert "rien à choisir" in page.text
    assert 'type="radio"' not in page.text


def test_a_transfer_accepted_leads_the_giving_agent_to_their_caseload_not_a_403(
    app, client, login, people, make_user
):
    """The agent who gave the case may no longer open it: the notification of its acceptance
    says where it went and opens their caseload; the supervisor who asked opens the case."""
    receiver = make_user(role="agent", region="06")
    with app.app_context():
        transfer = cases.request_transfer(
            user(people.supervisor), case_of(people), user(receiver), "Charge de travail"
        )
        cases.answer_transfer(user(receiver), transfer, accept=True)
        db.session.commit()
        [given] = notifications_of(people.agent)
        [asked] = notifications_of(people.supervisor)
        assert given.kind == asked.kind == "transfer_accepted"
        given_id, asked_id, number = given.id, asked.id, case_of(people).number
    login(user=people.agent)
    assert f"accepté le transfert du dossier {number}" in client.get("/notifications/").text
    opened = client.get(f"/notifications/{given_id}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/dossiers/"
    caseload = client.get("/dossiers/")
    assert caseload.status_code == 200
    assert f"a accepté le dossier {number} : il n&#39;est plus dans votre charge" in caseload.text
    assert f'href="/dossiers/{people.case.id}"' not in caseload.text
    with app.app_context():
        assert db.session.get(Notification, given_id).read_at is not None
        assert not db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor_id == people.agent.id, AuditEvent.outcome == "denied"
            )
        ).all()
    supervisor = app.test_client()
    assert helpers.login(supervisor, people.supervisor.username, people.supervisor.password)
    opened = supervisor.get(f"/notifications/{asked_id}")
    assert opened.headers["Location"] == f"/dossiers/{people.case.id}"


def test_the_header_counts_what_the_session_lookup_read(app, client, login, people):
    # Counted by the session's query before the view (issue 23), on any page with the header.
    login(user=people.agent)
    assert "Notifications <span" not in client.get("/compte/mot-de-passe").text
    with app.app_context():
        return_referral(people, "Précisez.")
    assert '>1<span class="visually-hidden"> non lue' in client.get("/compte/mot-de-passe").text
