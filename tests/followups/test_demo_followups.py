"""The demo tells what became of people (issue 19, point 7): follow-ups at 3 and 6 months,
some moving out of the Montréal area, some employed in their field."""

from sqlalchemy import func, select

from casework.extensions import db
from casework.followups.models import FollowUp, FollowUpSituation, ObjectiveReview
from casework.referrals.models import ReferralOutcome


def test_demo_has_follow_ups_at_3_and_6_months_with_a_story(ctx):
    from casework.demo import load_demo, load_demo_cases_once

    load_demo(password="Demo-mot-de-passe-2026")
    load_demo_cases_once(120)
    milestones = dict(
        db.session.execute(
            select(FollowUp.milestone, func.count(FollowUp.id)).group_by(FollowUp.milestone)
        ).all()
    )
    assert milestones.get(3, 0) >= 10 and milestones.get(6, 0) >= 5
    # Every follow-up is dated within its case (the operation's checks ran).
    assert (
        db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.months_since_arrival < 3))
        == 0
    )
    in_field = db.session.scalar(
        select(func.count(FollowUpSituation.id)).where(
            FollowUpSituation.milestone == 6,
            FollowUpSituation.employment_status == "employed_in_field",
            FollowUpSituation.employment_cnp.is_not(None),
        )
    )
    assert in_field >= 1
    # Someone who lived in the Montréal area at 3 months lives outside it at 6.
    at_3 = select(FollowUpSituation.case_id).where(
        FollowUpSituation.domain == "residence",
        FollowUpSituation.milestone == 3,
        FollowUpSituation.in_montreal_cmm.is_(True),
    )
    moved = db.session.scalar(
        select(func.count(FollowUpSituation.id)).where(
            FollowUpSituation.domain == "residence",
            FollowUpSituation.milestone == 6,
            FollowUpSituation.in_montreal_cmm.is_(False),
            FollowUpSituation.case_id.in_(at_3),
        )
    )
    assert moved >= 1
    # At 6 months the plan's objectives were judged.
    verdicts = set(db.session.scalars(select(ObjectiveReview.verdict).distinct()))
    assert {"met", "partly_met"} <= verdicts <= {"met", "partly_met", "not_met"}
    # What the organisations reported, confirmed at the 6-month follow-ups where there is any.
    reported = db.session.scalar(
        select(func.count(ReferralOutcome.id)).where(ReferralOutcome.source == "partner")
    )
    confirmed = db.session.scalar(
        select(func.count(ReferralOutcome.id)).where(ReferralOutcome.source == "follow_up")
    )
    assert confirmed <= reported
