"""What each reader of a referral gets to act on (issue 16, points 6 and 7): the partner's page
and list, the consent sending needs, the advisor's information, a returned referral revised."""

import re
from datetime import date

import pytest
from sqlalchemy import select, update

from casework.auth.models import User
from casework.cases.models import Case
from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.referrals.models import Referral
from tests import helpers
from tests.referrals.test_referrals import (
    _create,
    _final_plan_with,
    _move,
    _organisation_id,
    _referral,
)


@pytest.fixture
def referral_setup(app, login, make_case):
    """A signed-in agent, a case whose finalised plan has a housing need assessed « high »."""
    agent = login(role="agent", region="06")
    case = make_case(agent, languages_spoken=["es", "fr"], immigration_category="economic")
    actions = _final_plan_with(app, agent, case.id, {("settlement", "housing"): "high"})
    return agent, case, actions


def _partner(app, make_user):
    partner = make_user(role="partner", organisation="promis")
    browser = app.test_client()
    helpers.login(browser, partner.username, partner.password)
    return browser


def test_partner_page_names_languages_urgency_agent_purpose_and_note(
    app, client, make_user, make_case
):
    agent = make_user(role="agent", region="06")
    record = make_case(agent, languages_spoken=["es", "ff"], preferred_language="es")
    with app.app_context():
        db.session.execute(
            update(User).where(User.id == agent.id).values(phone="514 555-0142 poste 2104")
        )
        db.session.execute(update(Case).where(Case.id == record.id).values(priority="urgent"))
        referral_id = helpers.consented_referral(agent.id, record.id, "sent")
        db.session.get(Referral, referral_id).note = "Préfère être appelée le matin."
        full_name = db.session.get(User, agent.id).full_name
        db.session.commit()
    page = _partner(app, make_user).get(f"/references/{referral_id}").text
    assert "espagnol, peul" in page and "es, ff" not in page
    assert "Urgence : Urgent" in page
    assert full_name in page  # the referring agent
    assert "514 555-0142 poste 2104" in page and 'href="tel:514555-0142poste2104"' in page
    assert f"mailto:{agent.username}" in page or "aucun courriel au dossier" in page
    assert "Recherche de logement" in page  # the purpose
    assert "Préfère être appelée le matin." in page
    assert record.number not in page  # never the case file
    assert "Pourquoi cet organisme" not in page  # the reviewers' reasons stay internal


def test_partner_list_opens_on_the_referrals_to_handle(app, make_user, make_case):
    agent = make_user(role="agent", region="06")
    ids = {}
    with app.app_context():
        for status in ("sent", "accepted", "completed", "declined"):
            record = helpers.create_case(agent.id)
            ids[status] = helpers.consented_referral(agent.id, record.id, status)
    browser = _partner(app, make_user)
    page = browser.get("/references/").text
    assert "Références à traiter" in page
    assert '<option value="todo" selected>À traiter</option>' in page
    shown = {s for s, rid in ids.items() if f'href="/references/{rid}"' in page}
    assert shown == {"sent", "accepted"}
    everything = browser.get("/references/?status=").text
    assert all(f'href="/references/{rid}"' in everything for rid in ids.values())


def test_an_agent_list_to_handle_is_what_waits_for_the_agent(app, make_user):
    agent = make_user(role="agent", region="06")
    browser = app.test_client()
    helpers.login(browser, agent.username, agent.password)
    ids = {}
    with app.app_context():
        for status in ("returned", "approved", "submitted", "sent"):
            record = helpers.create_case(agent.id)
            ids[status] = helpers.consented_referral(agent.id, record.id, status)
    page = browser.get("/references/?status=todo").text
    assert {s for s, rid in ids.items() if f'href="/references/{rid}"' in page} == {
        "returned",
        "approved",
    }


def test_creating_a_referral_says_which_consent_sending_needs(app, client, referral_setup):
    _, case, actions = referral_setup
    path = f"/dossiers/{case.id}/plan/actions/{actions['pasi_partner']}/orienter"
    page = client.get(path).text
    assert "Consentement nécessaire à l'envoi" in page
    assert "« Partager avec un organisme partenaire » : pas encore consigné" in page
    link = f"/dossiers/{case.id}/consentements?purpose=share_partner&amp;next="
    assert link in page
    response = _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    flashed = client.get(response.headers["Location"]).text
    assert "Son envoi nécessitera le consentement de la personne" in flashed
    rid, _, _ = _referral(app, case.id)
    form = client.get(f"/dossiers/{case.id}/consentements?purpose=share_partner").text
    assert '<option selected value="share_partner">' in form
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/consentements?purpose=share_partner&next=/references/{rid}",
        {"purpose": "share_partner", "given_on": date.today().isoformat(), "method": "signed"},
    )
    assert response.headers["Location"].endswith(f"/references/{rid}")
    assert "en vigueur depuis le" in client.get(f"/references/{rid}").text
    assert "« Partager avec un organisme partenaire » : en vigueur" in client.get(path).text


def test_advisor_sees_need_level_consent_reasons_and_note(app, client, make_user, referral_setup):
    _, case, actions = referral_setup
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/actions/{actions['pasi_partner']}/orienter",
        {
            "organisation_id": str(_organisation_id(app, "promis")),
            "note": "A déjà visité deux logements.",
        },
    )
    rid, version, _ = _referral(app, case.id)
    _move(client, rid, "submitted", version)
    advisor = make_user(role="advisor", region="06")
    browser = app.test_client()
    helpers.login(browser, advisor.username, advisor.password)
    page = browser.get(f"/references/{rid}").text
    assert "niveau : Élevé" in page  # housing was assessed « high »
    assert "Consentement pour l'envoi" in page and "non consigné" in page
    assert "Pourquoi cet organisme" in page
    assert re.search(r"Suggestion \d+ sur \d+ pour cette action", page)
    assert "Dessert la région" in page  # one of the suggestion's reasons
    assert "A déjà visité deux logements." in page


def test_a_returned_referral_shows_the_comment_and_is_changed_and_submitted_again(
    app, client, make_user, referral_setup
):
    _, case, actions = referral_setup
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    rid, version, _ = _referral(app, case.id)
    _move(client, rid, "submitted", version)
    advisor = make_user(role="advisor", region="06")
    browser = app.test_client()
    helpers.login(browser, advisor.username, advisor.password)
    rid, version, _ = _referral(app, case.id)
    _move(browser, rid, "returned", version, comment="Précisez le quartier recherché.")
    page = client.get(f"/references/{rid}").text
    assert "Retournée par la conseillère ou le conseiller" in page
    assert "Précisez le quartier recherché." in page
    assert "Modifier la référence" in page
    rid, version, _ = _referral(app, case.id)

    too_long = helpers.post_form(
        client,
        f"/references/{rid}/modifier",
        {"version": str(version), "note": "x" * 2001},
        token_from=f"/references/{rid}",
    )
    assert too_long.status_code == 400 and "Au plus 2000 caractères" in too_long.text
    assert "x" * 2001 in too_long.text  # what was typed is kept
    assert _referral(app, case.id) == (rid, version, "returned")

    response = helpers.post_form(
        client,
        f"/references/{rid}/modifier",
        {"version": str(version), "note": "Secteur Rosemont.", "submit": "1"},
        token_from=f"/references/{rid}",
    )
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert (referral.status, referral.note) == ("submitted", "Secteur Rosemont.")
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "referral.revised")
        ).details == {"referral_id": rid, "fields": ["note"]}
    assert "Secteur Rosemont." in browser.get(f"/references/{rid}").text  # the advisor reads it

    stale = helpers.post_form(
        client,
        f"/references/{rid}/modifier",
        {"version": str(version), "note": "Trop tard"},
        token_from=f"/references/{rid}",
    )
    assert stale.status_code == 409
    _, current, _ = _referral(app, case.id)
    submitted = helpers.post_form(
        client,
        f"/references/{rid}/modifier",
        {"version": str(current), "note": "Déjà soumise"},
        token_from=f"/references/{rid}",
    )
    assert submitted.status_code == 409  # a submitted referral is the reviewer's now
    by_advisor = helpers.post_form(
        browser,
        f"/references/{rid}/modifier",
        {"version": str(current), "note": "Pas à moi"},
        token_from=f"/references/{rid}",
    )
    assert by_advisor.status_code in (403, 409)
    with app.app_context():
        assert db.session.get(Referral, rid).note == "Secteur Rosemont."


def test_the_note_sent_with_a_referral_is_in_the_register_of_disclosures(app, make_user, make_case):
    from casework.cases.models import Case as CaseModel
    from casework.referrals import operations
    from casework.referrals.models import Disclosure

    agent = make_user(role="agent", region="06")
    record = make_case(agent)
    with app.app_context():
        referral_id = helpers.consented_referral(agent.id, record.id, "approved")
        referral = db.session.get(Referral, referral_id)
        referral.note = "Préfère le matin."
        user = db.session.get(User, agent.id)
        assert db.session.get(CaseModel, record.id) is not None
        operations.move(user, referral, "sent", None, referral.version)
        db.session.flush()
        register = db.session.scalar(
            select(Disclosure).where(Disclosure.referral_id == referral_id)
        )
        assert register.categories == ["identity", "contact", "languages", "need", "note"]
        db.session.rollback()


def test_retention_erases_the_agents_note(app, make_user, make_case):
    from casework.referrals import operations

    agent = make_user(role="agent", region="06")
    record = make_case(agent)
    with app.app_context():
        referral_id = helpers.consented_referral(agent.id, record.id, "completed")
        db.session.get(Referral, referral_id).note = "Préfère le matin."
        db.session.commit()
        operations.anonymise_cases((record.id,))
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Referral, referral_id).note is None
