"""The API's outcome says what a completed referral led to (issue 19, point 4), checked as on
the referral page."""

import json

from sqlalchemy import select

from casework.cases.models import Case
from casework.extensions import db
from casework.reference.models import Organisation
from casework.referrals.models import Referral, ReferralEvent, ReferralOutcome


def test_the_outcome_carries_what_the_referral_led_to(
    app, client, make_user, make_case, issue_token
):
    agent = make_user(role="agent", region="06")
    case = make_case(agent)
    with app.app_context():
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.code == "francisation_quebec")
        )
        referral = Referral(
            case_id=case.id,
            organisation_id=organisation.id,
            agent_id=agent.id,
            region_id=db.session.get(Case, case.id).region_id,
            purpose="Cours de français",
            status="accepted",
        )
        referral.events.append(ReferralEvent(actor_id=agent.id, to_status="accepted"))
        db.session.add(referral)
        db.session.commit()
        referral_id = referral.id
    token = issue_token(organisation="francisation_quebec")
    headers = {**token.headers, "Content-Type": "application/json"}
    path = f"/api/v1/referrals/{referral_id}"
    etag = client.get(path, headers=token.headers).headers["ETag"]
    missing_format = client.post(
        f"{path}/outcome",
        data=json.dumps({"outcome": "completed", "result": {"kind": "enrolled"}}),
        headers={**headers, "If-Match": etag},
    )
    assert missing_format.status_code == 400, missing_format.text
    done = client.post(
        f"{path}/outcome",
        data=json.dumps(
            {"outcome": "completed", "result": {"kind": "enrolled", "course_format": "online"}}
        ),
        headers={**headers, "If-Match": etag},
    )
    assert done.status_code == 200, done.text
    with app.app_context():
        rows = db.session.scalars(
            select(ReferralOutcome).where(ReferralOutcome.referral_id == referral_id)
        ).all()
        assert [(r.kind, r.course_format, r.source) for r in rows] == [
            ("enrolled", "online", "partner")
        ]
        assert db.session.get(Referral, referral_id).status == "completed"


def test_a_completed_referral_gets_what_it_led_to_later(
    app, client, make_user, make_case, issue_token
):
    """Requalification (Encadré 8): training started at completion, finished months later, then
    a job; each a new row, the earlier ones kept; checked as at completion."""
    from datetime import timedelta

    from casework.core.audit import AuditEvent
    from casework.core.time import local_today

    agent = make_user(role="agent", region="06")
    case = make_case(agent)
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.code == "mtess"))
        referral = Referral(
            case_id=case.id,
            organisation_id=organisation.id,
            agent_id=agent.id,
            region_id=db.session.get(Case, case.id).region_id,
            kind="requalification",
            purpose="Requalification",
            status="accepted",
        )
        referral.events.append(ReferralEvent(actor_id=agent.id, to_status="accepted"))
        db.session.add(referral)
        db.session.commit()
        referral_id = referral.id
    token = issue_token(organisation="mtess")
    headers = {**token.headers, "Content-Type": "application/json"}
    path = f"/api/v1/referrals/{referral_id}"

    def post(result):
        etag = client.get(path, headers=token.headers).headers["ETag"]
        return client.post(
            f"{path}/outcome",
            data=json.dumps({"outcome": "completed", "result": result}),
            headers={**headers, "If-Match": etag},
        )

    started = (local_today() - timedelta(days=120)).isoformat()
    assert post({"kind": "training_started", "occurred_on": started}).status_code == 200
    later = post({"kind": "training_finished", "occurred_on": local_today().isoformat()})
    assert later.status_code == 200, later.text
    unknown = post({"kind": "job_obtained", "cnp": "99999", "cnp_version": "2021"})
    assert unknown.status_code in (400, 422), unknown.text
    job = post({"kind": "job_obtained", "cnp": "31301", "cnp_version": "2021"})
    assert job.status_code == 200, job.text
    stale = client.post(
        f"{path}/outcome",
        data=json.dumps({"outcome": "completed", "result": {"kind": "training_finished"}}),
        headers={**headers, "If-Match": '"0"'},
    )
    assert stale.status_code == 412, stale.text
    with app.app_context():
        rows = db.session.scalars(
            select(ReferralOutcome)
            .where(ReferralOutcome.referral_id == referral_id)
            .order_by(ReferralOutcome.id)
        ).all()
        assert [(r.kind, r.cnp) for r in rows] == [
            ("training_started", None),
            ("training_finished", None),
            ("job_obtained", "31301"),
        ]
        assert db.session.get(Referral, referral_id).status == "completed"
        assert (
            len(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "referral.outcome_reported")
                ).all()
            )
            == 3
        )
