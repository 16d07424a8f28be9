"""The reminders pages: tabs, actions, scopes, the header counter, the case timeline, the rules.

Requests run in their own application contexts; the tests read the database in separate ones.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.cases.models import Case
from casework.core.audit import AuditEvent
from casework.core.time import local_today, utcnow
from casework.extensions import db
from casework.reminders import tasks
from casework.reminders.models import FollowUpRule, Reminder
from tests import helpers
from tests.reminders.conftest import add_reminder, rule


@pytest.fixture
def agent(make_user):
    return make_user(role="agent")


@pytest.fixture
def case_id(agent, make_case) -> int:
    return make_case(agent).id


@pytest.fixture
def signed_in(client, agent):
    assert helpers.login(client, agent.username, agent.password).status_code == 302
    return agent


@pytest.fixture
def delivered(app, case_id) -> tuple[int, int]:
    """Two delivered reminders: one due a minute ago, one overdue by three days."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        now = utcnow()
        today = add_reminder(case, now - timedelta(minutes=1), key="today").id
        late = add_reminder(case, now - timedelta(days=3), key="late").id
        tasks.dispatch(now, with_email=False)
    return today, late


def reminder(app, reminder_id: int) -> Reminder:
    with app.app_context():
        found = db.session.get(Reminder, reminder_id)
        db.session.expunge(found)
        return found


def number(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Case, case_id).number


def _post(app, client, path: str, reminder_id: int, **data):
    token = helpers.csrf_token(client, "/")
    version = reminder(app, reminder_id).version
    return client.post(path, data={"csrf_token": token, "version": version, **data})


def test_an_agent_sees_their_reminders_by_tab(
    app, client, signed_in, delivered, case_id, count_queries
):
    with count_queries() as counter:
        page = client.get("/rappels/?tab=overdue")
    assert page.status_code == 200
    assert number(app, case_id) in page.text
    assert counter.count <= 14  # bounded, whatever the number of reminders
    due = client.get("/rappels/").text
    assert "Aujourd'hui" in due
    assert client.get("/rappels/?tab=nonsense").status_code == 200


def test_another_agents_reminder_is_neither_listed_nor_reachable(
    app, client, delivered, case_id, make_user
):
    today, _late = delivered
    other = make_user(role="agent")
    helpers.login(client, other.username, other.password)
    assert number(app, case_id) not in client.get("/rappels/?tab=overdue").text
    assert _post(app, client, f"/rappels/{today}/terminer", today).status_code == 403
    assert client.get(f"/rappels/{today}/reporter").status_code == 403
    assert client.get("/rappels/999999/reporter").status_code == 404


def test_the_list_forms_submit_the_version_they_show(app, client, signed_in, delivered):
    """What a browser sends: a second, empty « version » field before the shown one used to
    make « Marquer comme traité » a 400 (found by the end-to-end journey)."""
    today, _late = delivered
    html = client.get("/rappels/").text
    form = re.search(rf"<form[^>]*/rappels/{today}/terminer[^>]*>(.*?)</form>", html, re.S)
    assert form is not None
    assert re.findall(r'name="version" value="(\d+)"', form.group(1)) == [
        str(reminder(app, today).version)
    ]
    assert len(re.findall(r'name="version"', form.group(1))) == 1
    token = helpers.csrf_from(form.group(1))
    version = reminder(app, today).version
    response = client.post(
        f"/rappels/{today}/terminer?tab=due", data={"csrf_token": token, "version": version}
    )
    assert response.status_code == 302


def test_complete_then_a_second_tab_gets_409(app, client, signed_in, delivered):
    today, _late = delivered
    version = reminder(app, today).version
    response = _post(app, client, f"/rappels/{today}/terminer?tab=due", today)
    assert response.status_code == 302
    done = reminder(app, today)
    assert (done.status, done.completed_by_id) == ("done", signed_in.id)
    token = helpers.csrf_token(client, "/")
    stale = client.post(
        f"/rappels/{today}/terminer", data={"csrf_token": token, "version": version}
    )
    assert stale.status_code == 409
    settled = _post(app, client, f"/rappels/{today}/terminer", today)
    assert settled.status_code == 409
    tampered = client.post(f"/rappels/{today}/terminer", data={"csrf_token": token})
    assert tampered.status_code == 400
    with app.app_context():
        assert "reminder.completed" in db.session.scalars(select(AuditEvent.action)).all()


def test_snooze_until_a_day_then_it_waits(app, client, signed_in, delivered, case_id):
    today, _late = delivered
    path = f"/rappels/{today}/reporter"
    assert client.get(path).status_code == 200
    past = _post(app, client, path, today, until=local_today().isoformat())
    assert past.status_code == 200 and "90" in past.text
    until = local_today() + timedelta(days=2)
    assert _post(app, client, path, today, until=until.isoformat()).status_code == 302
    snoozed = reminder(app, today)
    assert snoozed.status == "snoozed"
    assert snoozed.snoozed_until.date() == until
    assert number(app, case_id) in client.get("/rappels/?tab=snoozed").text


def test_only_a_supervisor_of_the_region_reassigns_to_an_agent_of_the_region(
    app, delivered, make_user
):
    today, _late = delivered
    path = f"/rappels/{today}/reassigner"
    colleague = make_user(role="agent")
    elsewhere = make_user(role="agent", region="03")

    def client_of(role: str, region: str = "06"):
        fresh = app.test_client()
        user = make_user(role=role, region=region)
        assert helpers.login(fresh, user.username, user.password).status_code == 302
        return fresh

    assert client_of("agent").get(path).status_code == 403
    assert client_of("supervisor", "03").get(path).status_code == 403
    client = client_of("supervisor")
    page = client.get(path)
    assert page.status_code == 200
    assert f"Test {colleague.username.title()}" in page.text
    assert f"Test {elsewhere.username.title()}" not in page.text
    assert _post(app, client, path, today, agent_id=elsewhere.id).status_code == 200
    assert _post(app, client, path, today, agent_id=colleague.id).status_code == 302
    handed = reminder(app, today)
    assert handed.agent_id == colleague.id
    assert handed.reassigned_by_id is not None


def test_a_failed_reminder_can_be_sent_again(app, client, signed_in, delivered):
    today, _late = delivered
    with app.app_context():
        row = db.session.get(Reminder, today)
        row.status, row.last_error = "failed", "smtp_unreachable"
        db.session.commit()
    page = client.get("/rappels/?tab=failed")
    assert "Le serveur de courriel n'a pas pu être joint." in page.text
    assert _post(app, client, f"/rappels/{today}/relancer", today).status_code == 302
    assert reminder(app, today).status == "sent"


def test_the_header_counts_unread_notifications_until_they_are_read(client, signed_in, delivered):
    home = client.get("/").text
    assert 'Notifications <span class="badge badge--soon">2' in home
    reminders = client.get("/rappels/").text
    # The reminders page says how many are new, as a link to them, and lists none twice.
    assert '<a href="/notifications/">2 nouvelles notifications</a>' in reminders
    assert "Notifications <span" in client.get("/").text  # seeing reminders reads nothing
    client.post("/notifications/tout-lu", data={"csrf_token": helpers.csrf_token(client, "/")})
    assert "Notifications <span" not in client.get("/").text


def test_reminders_appear_on_the_case_timeline(client, signed_in, delivered, case_id):
    page = client.get(f"/dossiers/{case_id}")
    assert page.status_code == 200
    timeline = page.text[page.text.index('id="suivi"') :]
    assert "type=reminder" in timeline  # the timeline's filter offers the reminders
    assert "Action du plan à échéance : Le dossier" in timeline
    assert "en retard de 3 jours" in page.text  # the late one, in the « next follow-up » card


def test_advisors_queue_flags_referrals_without_an_answer(app, client, agent, case_id, login):
    from casework.reference.models import Organisation
    from casework.referrals.models import Referral, ReferralEvent
    from casework.reminders import operations

    with app.app_context():
        case = db.session.get(Case, case_id)
        case.status = "active"
        referral = Referral(
            case_id=case.id,
            organisation_id=db.session.scalar(select(Organisation.id).limit(1)),
            agent_id=agent.id,
            region_id=case.region_id,
            status="sent",
            purpose="Emploi",
        )
        referral.events.append(
            ReferralEvent(to_status="sent", occurred_at=utcnow() - timedelta(days=30))
        )
        db.session.add(referral)
        db.session.flush()
        operations.materialise()
        db.session.commit()
    login(role="advisor")
    assert "Sans réponse" in client.get("/references/?status=sent").text


def test_admin_edits_a_rule_and_the_change_is_audited(app, client, login):
    login(role="admin")
    with app.app_context():
        target = rule("no_contact_60d").id
    path = f"/rappels/regles/{target}"
    assert client.get("/rappels/regles").status_code == 200
    fields = helpers.form_fields(client.get(path).text)
    bad = client.post(path, data={**fields, "offset": "5000"})
    assert bad.status_code == 200 and "Entre -400 et 400." in bad.text
    saved = client.post(path, data={**fields, "offset": "45", "escalate_after_days": ""})
    assert saved.status_code == 302
    with app.app_context():
        edited = db.session.get(FollowUpRule, target)
        assert (edited.offset, edited.escalate_after_days) == (45, None)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "follow_up_rule.updated")
        )
        assert set(event.details["fields"]) == {"offset", "escalate_after_days"}
    assert client.post(path, data={**fields, "offset": "30"}).status_code == 409


@pytest.mark.parametrize("role", ["agent", "supervisor", "advisor", "partner"])
def test_rules_are_for_administrators_only(app, client, login, role):
    login(role=role)
    with app.app_context():
        first = db.session.scalar(select(FollowUpRule.id).limit(1))
    assert client.get(f"/rappels/regles/{first}").status_code == 403


def test_a_supervisor_sees_the_regions_reminders_with_the_agent(
    app, client, delivered, case_id, login, agent
):
    login(role="supervisor")
    page = client.get("/rappels/?tab=overdue")
    assert number(app, case_id) in page.text
    assert f"Test {agent.username.title()}" in page.text
    other = client.get(f"/rappels/?tab=overdue&agent={agent.id + 1000}")
    assert number(app, case_id) not in other.text


def test_roles_without_reminders_are_refused(client, login):
    login(role="advisor")
    assert client.get("/rappels/").status_code == 403
