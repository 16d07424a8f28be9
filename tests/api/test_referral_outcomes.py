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
