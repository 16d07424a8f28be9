"""Who may read and change a case file, and the audit trail of every access."""

from datetime import date

import pytest
from sqlalchemy import select

from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers


@pytest.fixture
def montreal_case(make_user, make_case):
    agent = make_user(role="agent", region="06")
    return agent, make_case(agent)


def _events(app, case_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.target_type == "case", AuditEvent.target_id == str(case_id)
            )
        ).all()


def test_agent_of_another_region_is_refused_and_the_denial_is_audited(
    app, client, login, montreal_case
):
    _, case = montreal_case
    intruder = login(role="agent", region="03")
    assert client.get(f"/dossiers/{case.id}").status_code == 403
    assert client.get(f"/dossiers/{case.id}/evaluation/").status_code == 403
    denied = [e for e in _events(app, case.id) if e.outcome == "denied"]
    assert {e.actor_id for e in denied} == {intruder.id}
    assert {e.actor_role for e in denied} == {"agent"}


def test_colleague_at_the_same_service_point_cannot_read(client, login, montreal_case):
    _, case = montreal_case
    login(role="agent", region="06")
    assert client.get(f"/dossiers/{case.id}").status_code == 403


def test_own_agent_reads_and_the_read_is_audited(app, client, login, montreal_case):
    agent, case = montreal_case
    login(user=agent)
    assert client.get(f"/dossiers/{case.id}").status_code == 200
    reads = [e for e in _events(app, case.id) if e.action == "case.viewed"]
    assert len(reads) == 1 and reads[0].actor_id == agent.id and reads[0].outcome == "ok"


def test_supervisor_of_the_region_reads_and_sees_the_access_log(app, client, login, montreal_case):
    _, case = montreal_case
    login(role="supervisor", region="06")
    assert client.get(f"/dossiers/{case.id}").status_code == 200
    log = client.get(f"/dossiers/{case.id}/journal-acces")
    assert log.status_code == 200
    assert "Dossier consulté" in log.text and "Superviseure ou superviseur" in log.text
    assert client.get(f"/dossiers/{case.id}/personne").status_code == 403


def test_supervisor_of_another_region_is_refused(client, login, montreal_case):
    _, case = montreal_case
    login(role="supervisor", region="05")
    assert client.get(f"/dossiers/{case.id}").status_code == 403


def test_advisor_reads_but_cannot_edit_assessments(client, login, montreal_case):
    _, case = montreal_case
    login(role="advisor", region="06")
    assert client.get(f"/dossiers/{case.id}").status_code == 200
    assert client.get(f"/dossiers/{case.id}/evaluation/").status_code == 200
    assert client.get(f"/dossiers/{case.id}/evaluation/modifier").status_code == 403
    response = helpers.post_form(client, f"/dossiers/{case.id}/evaluation/nouvelle", token_from="/")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["airport", "partner", "admin"])
def test_airport_partner_and_admin_cannot_open_case_files(client, login, montreal_case, role):
    _, case = montreal_case
    login(role=role, region="06")
    assert client.get("/dossiers/").status_code == 403
    assert client.get(f"/dossiers/{case.id}").status_code == 403
    assert client.get(f"/dossiers/{case.id}/evaluation/").status_code == 403


def test_caseload_lists_only_what_the_user_may_read(client, login, make_user, make_case):
    me = login(role="agent", region="06")
    mine = make_case(me, family_name="Mienne")
    colleague = make_user(role="agent", region="06")
    theirs = make_case(colleague, family_name="Autre")
    page = client.get("/dossiers/").text
    assert mine.number in page and theirs.number not in page


def test_unknown_case_is_404(client, login):
    login(role="agent")
    assert client.get("/dossiers/987654321").status_code == 404


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("airport", ""),
        ("partner", "/evaluation/"),
        ("supervisor", "/personne"),
        ("advisor", "/consentements"),
    ],
)
def test_refusals_by_role_are_audited_on_the_case(app, client, login, montreal_case, role, path):
    _, case = montreal_case
    user = login(role=role, region="06")
    assert client.get(f"/dossiers/{case.id}{path}").status_code == 403
    denied = [e for e in _events(app, case.id) if e.outcome == "denied"]
    assert [(e.actor_id, e.actor_role) for e in denied] == [(user.id, role)]


@pytest.mark.parametrize("path", ["/statut", "/personne", "/consentements", "/menage", "/suivi"])
def test_regional_readers_cannot_post_changes(app, client, login, montreal_case, path):
    _, case = montreal_case
    login(role="advisor", region="06")
    response = helpers.post_form(
        client, f"/dossiers/{case.id}{path}", {"summary": "x"}, token_from="/"
    )
    assert response.status_code == 403


def test_consent_of_another_case_cannot_be_withdrawn_through_mine(app, client, login, make_case):
    from casework.cases.models import Consent

    agent = login(role="agent")
    mine, other = make_case(agent), make_case(agent)
    with app.app_context():
        consent = Consent(
            case_id=other.id, purpose="contact_sms", given_on=date.today(), method="verbal"
        )
        db.session.add(consent)
        db.session.commit()
        consent_id = consent.id
    helpers.post_form(
        client,
        f"/dossiers/{mine.id}/consentements/{consent_id}/retrait",
        token_from=f"/dossiers/{mine.id}/consentements",
    )
    with app.app_context():
        assert db.session.get(Consent, consent_id).withdrawn_on is None


def test_agent2_opening_agentes_case_is_refused_and_audited(app, client):
    from casework.auth.operations import find_user
    from casework.demo import load_demo

    password = "Demo-mot-de-passe-2026"
    with app.app_context():
        load_demo(password=password)
        agente, agent2 = find_user("agente"), find_user("agent2")
        case = helpers.create_case(agente.id)
        agent2_id = agent2.id
    helpers.login(client, "agent2", password)
    assert client.get(f"/dossiers/{case.id}").status_code == 403
    denied = [e for e in _events(app, case.id) if e.outcome == "denied"]
    assert [(e.actor_id, e.action) for e in denied] == [(agent2_id, "cases.read")]
