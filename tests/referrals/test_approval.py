"""Issue 18, point 6: whether a referral needs an advisor's approval before it is sent is an
administrator's choice per region and referral kind; by default it does, as before."""

from __future__ import annotations

from sqlalchemy import select

from casework.core.audit import AuditEvent
from casework.extensions import db
from casework.referrals.models import Disclosure, Referral
from tests import helpers
from tests.referrals.test_referrals import _create, _final_plan_with, _move, _organisation_id

SETTINGS = "/references/approbation"


def _draft(app, client, agent, make_case) -> tuple[int, int]:
    case = make_case(agent)
    actions = _final_plan_with(app, agent, case.id, {("settlement", "housing"): "high"})
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    with app.app_context():
        helpers.give_consent(agent.id, case.id, "share_partner")
        referral = db.session.scalars(select(Referral).where(Referral.case_id == case.id)).one()
        return referral.id, referral.version


def _status(app, referral_id: int) -> str:
    with app.app_context():
        return db.session.get(Referral, referral_id).status


def test_by_default_an_advisor_approves_before_the_referral_is_sent(app, client, login, make_case):
    agent = login(role="agent", region="06")
    referral_id, version = _draft(app, client, agent, make_case)
    page = client.get(f"/references/{referral_id}").text
    assert "Soumettre à l'examen" in page and "Envoyer à l'organisme" not in page
    assert _move(client, referral_id, "sent", version).status_code == 409
    assert _status(app, referral_id) == "draft"
    assert _move(client, referral_id, "submitted", version).status_code == 302
    assert _status(app, referral_id) == "submitted"


def _turn_off_approval(app, make_user, region_code: str = "06", kind: str = "service"):
    from casework.reference.models import Region
    from casework.referrals import approval

    admin = make_user(role="admin")
    browser = app.test_client()
    helpers.login(browser, admin.username, admin.password)
    with app.app_context():
        current = approval.settings()
        region_id = db.session.scalar(select(Region.id).where(Region.code == region_code))
    kept = [f"{r}:{k}" for (r, k), required in current.items() if required]
    kept.remove(f"{region_id}:{kind}")
    response = helpers.post_form(browser, SETTINGS, {"required": kept})
    assert response.status_code == 302
    return browser, region_id


def test_an_administrator_lets_a_region_send_directly(app, client, login, make_user, make_case):
    from casework.referrals import approval

    browser, region_id = _turn_off_approval(app, make_user)
    with app.app_context():
        assert not approval.approval_required(region_id, "service")
        assert approval.approval_required(region_id, "requalification")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "referral_approval.set")
        ).one()
        assert event.details["required"] is False
    assert "checked" in browser.get(SETTINGS).text
    agent = login(role="agent", region="06")
    referral_id, version = _draft(app, client, agent, make_case)
    page = client.get(f"/references/{referral_id}").text
    assert "Envoyer à l'organisme" in page and "Soumettre à l'examen" not in page
    assert _move(client, referral_id, "submitted", version).status_code == 409
    assert _move(client, referral_id, "sent", version).status_code == 302
    assert _status(app, referral_id) == "sent"
    with app.app_context():  # the consent gate still applies: the disclosure is registered
        assert db.session.scalars(
            select(Disclosure).where(Disclosure.referral_id == referral_id)
        ).one()


def test_other_regions_keep_the_default(app, client, login, make_user, make_case):
    _turn_off_approval(app, make_user, region_code="03")
    agent = login(role="agent", region="06")
    referral_id, version = _draft(app, client, agent, make_case)
    assert _move(client, referral_id, "sent", version).status_code == 409


def test_the_settings_are_the_administrators(app, client, login):
    login(role="advisor", region="06")
    assert client.get(SETTINGS).status_code == 403


def test_a_forged_setting_is_refused(app, client, login):
    login(role="admin")
    response = helpers.post_form(client, SETTINGS, {"required": ["999999:service"]})
    assert response.status_code == 400
    response = helpers.post_form(client, SETTINGS, {"required": ["x:service"]})
    assert response.status_code == 400
