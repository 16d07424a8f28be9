"""Agents' tools: a case's summary, plan and referrals through the API, in the caller's scope."""

from __future__ import annotations

from sqlalchemy import select

from casework.extensions import db


def test_an_agent_reads_a_case_of_their_caseload(app, client, issue_token, make_user, make_case):
    from casework.core.audit import AuditEvent
    from tests import helpers

    agent = make_user(role="agent")
    case = make_case(agent)
    with app.app_context():
        referral_id = helpers.consented_referral(agent.id, case.id, "sent")
    token = issue_token(user=agent, scopes=("cases:read",))
    response = client.get(f"/api/v1/cases/{case.id}", headers=token.headers)
    assert response.status_code == 200, response.text
    body = response.json
    assert body["number"] == case.number
    assert body["person"]["date_of_birth"] == "1988-05-17"
    assert body["opened_at"].endswith("Z")
    assert body["plan"] is None
    assert [r["id"] for r in body["referrals"]] == [referral_id]
    assert response.headers["ETag"]
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id)
                )
            )
        )
        assert {"case.viewed", "plan.viewed"} <= actions


def test_out_of_caseload_is_404_and_partners_are_refused(client, issue_token, make_user, make_case):
    owner, other = make_user(role="agent"), make_user(role="agent")
    case = make_case(owner)
    outsider = issue_token(user=other, scopes=("cases:read",))
    assert client.get(f"/api/v1/cases/{case.id}", headers=outsider.headers).status_code == 404
    supervisor = issue_token(user=make_user(role="supervisor"), scopes=("cases:read",))
    assert client.get(f"/api/v1/cases/{case.id}", headers=supervisor.headers).status_code == 200
    partner = issue_token(organisation="promis")
    assert client.get(f"/api/v1/cases/{case.id}", headers=partner.headers).status_code == 403
