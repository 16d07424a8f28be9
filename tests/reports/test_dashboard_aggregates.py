"""The dashboard's aggregates follow the data changed through the operations, in the same
transaction, and agree with a full recount at every step (reports/aggregates.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casework.appointments import operations as appointments
from casework.appointments.slots import SlotQuery, SlotRef, find_slots
from casework.assessments import operations as assessments
from casework.auth.models import User
from casework.cases import operations as cases
from casework.cases.models import Case
from casework.cases.retention import anonymise_expired
from casework.cli import cli
from casework.core.time import local_today, utc_to_local
from casework.extensions import db
from casework.plans import operations as plans
from casework.reference.models import Domain, Need, Organisation
from casework.referrals import operations as referrals
from casework.referrals.models import ReferralEvent
from casework.reports import aggregates
from casework.reports import operations as reports
from casework.reports.models import (
    DashboardCaseMilestones,
    DashboardOpenNeed,
    DashboardReferralCohort,
    IndicatorReferral,
)
from tests import helpers
from tests.appointments.factories import open_every_day

pytestmark = pytest.mark.usefixtures("ctx")


def need(domain: str, code: str) -> int:
    return db.session.scalar(
        select(Need.id).join(Domain).where(Domain.code == domain, Need.code == code)
    )


def in_step() -> None:
    db.session.flush()
    assert aggregates.differences() == []


def open_needs_of(case: Case) -> set[str]:
    return set(
        db.session.scalars(
            select(Domain.code)
            .join(DashboardOpenNeed, DashboardOpenNeed.domain_id == Domain.id)
            .where(DashboardOpenNeed.case_id == case.id)
        )
    )


def cohort_of(referral_id: int) -> DashboardReferralCohort:
    """The row as stored now (the recounts write past the session's identity map)."""
    return db.session.get(DashboardReferralCohort, referral_id, populate_existing=True)


def assess(user: User, case: Case, levels: dict[int, str], complete: bool = True) -> None:
    draft = assessments.start(user, case)
    in_step()
    assessments.save(
        user,
        draft,
        assessments.AssessmentValues(
            interview_date=date.today(), interview_mode="phone", levels=levels
        ),
        draft.version,
        complete=complete,
    )


def finalise_a_plan(agent: User, case: Case):
    """The case's plan, generated from its assessment and finalised."""
    plan, _ = plans.generate(agent, case)
    db.session.flush()
    plans.finalise(agent, case, plan, plan.version)
    return plan


def test_every_change_through_the_operations_keeps_the_aggregates_in_step():
    agent_record = helpers.create_user("agent", region="06")
    advisor = db.session.get(User, helpers.create_user("advisor", region="06").id)
    agent = db.session.get(User, agent_record.id)
    open_every_day(agent.id)
    case = db.session.get(Case, helpers.create_case(agent.id).id)
    other = db.session.get(Case, helpers.create_case(agent.id).id)
    housing, french = need("settlement", "housing"), need("francisation", "full_time_course")
    in_step()

    # Assessments: a completed one, then a re-assessment whose draft is the latest version.
    assess(agent, case, {housing: "high"})
    in_step()
    assert open_needs_of(case) == {"settlement"}
    assess(agent, other, {housing: "high", french: "moderate"})
    assert open_needs_of(other) == {"settlement", "francisation"}
    assess(agent, case, {housing: "none", french: "low"}, complete=False)
    in_step()
    assert open_needs_of(case) == {"francisation"}

    # A plan finalised, then an appointment booked and held.
    plan = finalise_a_plan(agent, other)
    in_step()
    assert db.session.get(DashboardCaseMilestones, other.id).first_plan_at == plan.finalised_at
    slot = find_slots(
        SlotQuery(duration=timedelta(minutes=45), mode="in_person", agent_id=agent.id), 1
    )[0]
    booked = appointments.book_for_case(
        agent,
        case,
        SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at),
        "follow_up",
        "in_person",
    )
    in_step()
    appointments.record_outcome(
        agent, booked, "done", booked.version, now=booked.starts_at + timedelta(hours=1)
    )
    in_step()
    milestones = db.session.get(DashboardCaseMilestones, case.id)
    assert milestones.first_held_at == booked.starts_at
    assert milestones.first_held_on == utc_to_local(booked.starts_at).date()
    assert db.session.get(DashboardCaseMilestones, other.id).first_plan_on == local_today()

    # A referral submitted for review starts the funnel's cohort.
    promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
    action = next(a for a in plan.actions if a.service == "pasi_partner")
    referral = referrals.create(agent, other, action, promis, None)
    db.session.flush()
    in_step()
    assert db.session.get(DashboardReferralCohort, referral.id) is None
    referrals.move(agent, referral, "submitted", None, referral.version)
    in_step()
    assert db.session.get(DashboardReferralCohort, referral.id) is not None
    left_draft = db.session.get(IndicatorReferral, referral.id, populate_existing=True)
    first_left = left_draft.first_left_at
    assert first_left == db.session.scalar(
        select(ReferralEvent.occurred_at).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.to_status == "submitted"
        )
    )
    referrals.move(advisor, referral, "returned", "Précisez le besoin.", referral.version)
    in_step()

    # Submitted again, approved, sent, accepted and completed: each stage reached is counted.
    partner = db.session.get(User, helpers.create_user("partner", organisation="promis").id)
    cases.record_consent(agent, other, "share_partner", date.today(), "signed")
    for actor, status in (
        (agent, "submitted"),
        (advisor, "approved"),
        (agent, "sent"),
        (partner, "accepted"),
    ):
        referrals.move(actor, referral, status, None, referral.version)
        in_step()
    # Submitted again: it first left its draft at the first submission still.
    assert db.session.get(IndicatorReferral, referral.id, populate_existing=True).first_left_at == (
        first_left
    )
    cohort = cohort_of(referral.id)
    assert (cohort.reached_sent, cohort.reached_accepted, cohort.reached_completed) == (
        True,
        True,
        False,
    )
    assert cohort.organisation_id == promis.id
    moments = dict(
        db.session.execute(
            select(ReferralEvent.to_status, ReferralEvent.occurred_at).where(
                ReferralEvent.referral_id == referral.id
            )
        ).all()
    )
    assert cohort.answer_days == ((moments["accepted"] - moments["sent"]).total_seconds() / 86400)
    referrals.move(partner, referral, "completed", None, referral.version)
    in_step()
    assert cohort_of(referral.id).reached_completed

    # A transfer to another region moves the case's needs, milestones and referrals there.
    receiver = db.session.get(User, helpers.create_user("agent", region="03").id)
    cases.record_consent(agent, other, "transfer_region", date.today(), "signed")
    transfer = cases.request_transfer(agent, other, receiver, "Déménagement à Québec")
    cases.answer_transfer(receiver, transfer, accept=True)
    in_step()
    moved = {
        db.session.get(DashboardReferralCohort, referral.id).region_id,
        db.session.get(DashboardCaseMilestones, other.id).region_id,
        *db.session.scalars(
            select(DashboardOpenNeed.region_id).where(DashboardOpenNeed.case_id == other.id)
        ),
    }
    assert moved == {receiver.region_id} != {case.region_id}

    # Closing a case takes its open needs out; reopening brings them back.
    cases.update_case(
        receiver, other, "closed", "normal", None, other.version, "goals_met", "Fini."
    )
    in_step()
    assert open_needs_of(other) == set()
    cases.update_case(receiver, other, "active", "normal", None, other.version)
    in_step()
    assert open_needs_of(other) == {"settlement", "francisation"}

    # The dashboard reads the same figures as the recount.
    board = reports.dashboard(
        reports.default_period(),
        reports.DashboardScope([case.region_id, receiver.region_id]),
        [],
    )
    assert sum(board.needs.domain_total(d.id) for d in board.needs.domains) == 3
    assert [(row.stages, row.median_response_days) for row in board.funnel] == [
        (
            {"submitted": 1, "sent": 1, "accepted": 1, "completed": 1},
            round(cohort.answer_days, 1),
        )
    ]


def test_a_referral_declined_counts_its_stages_and_its_answer():
    agent = db.session.get(User, helpers.create_user("agent", region="06").id)
    advisor = db.session.get(User, helpers.create_user("advisor", region="06").id)
    partner = db.session.get(User, helpers.create_user("partner", organisation="promis").id)
    case = db.session.get(Case, helpers.create_case(agent.id).id)
    assess(agent, case, {need("settlement", "housing"): "high"})
    plan = finalise_a_plan(agent, case)
    cases.record_consent(agent, case, "share_partner", date.today(), "signed")
    promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
    action = next(a for a in plan.actions if a.service == "pasi_partner")
    referral = referrals.create(agent, case, action, promis, None)
    db.session.flush()
    for actor, status, comment in (
        (agent, "submitted", None),
        (advisor, "approved", None),
        (agent, "sent", None),
        (partner, "declined", "Plus de place."),
    ):
        referrals.move(actor, referral, status, comment, referral.version)
        in_step()
    cohort = cohort_of(referral.id)
    stages = (cohort.reached_sent, cohort.reached_accepted, cohort.reached_declined)
    assert stages == (True, False, True)
    assert cohort.answer_days is not None and cohort.answer_days >= 0
    board = reports.dashboard(
        reports.default_period(), reports.DashboardScope([case.region_id]), []
    )
    assert [row.stages for row in board.funnel] == [{"submitted": 1, "sent": 1, "declined": 1}]


def test_retention_recounts_the_milestones_of_the_plans_it_deletes():
    agent = db.session.get(User, helpers.create_user("agent", region="06").id)
    case = db.session.get(Case, helpers.create_case(agent.id).id)
    assess(agent, case, {need("settlement", "housing"): "high"})
    finalise_a_plan(agent, case)
    in_step()
    assert db.session.get(DashboardCaseMilestones, case.id).first_plan_at is not None
    case.status, case.closed_at = "closed", datetime(2019, 1, 1)
    db.session.flush()
    assert anonymise_expired(datetime(2026, 1, 1), 5 * 365)["cases"] == 1
    in_step()
    assert db.session.get(DashboardCaseMilestones, case.id, populate_existing=True) is None


def test_a_change_past_the_operations_is_found_and_rebuilt():
    agent = db.session.get(User, helpers.create_user("agent", region="06").id)
    case = db.session.get(Case, helpers.create_case(agent.id).id)
    assess(agent, case, {need("settlement", "housing"): "urgent"})
    in_step()
    # Closed straight in the table: no event, so the aggregate still counts the case.
    case.status = "closed"
    db.session.flush()
    found = aggregates.differences()
    assert [(d.aggregate, d.stored) for d in found] == [("open_needs", True)]
    assert "en trop" in found[0].line()
    aggregates.rebuild()
    in_step()
    assert open_needs_of(case) == set()


def test_the_command_checks_and_rebuilds():
    # The command runs in this test's application context (what it commits is rolled back at
    # the end, tests/conftest.py).
    agent = db.session.get(User, helpers.create_user("agent", region="06").id)
    case = db.session.get(Case, helpers.create_case(agent.id).id)
    assess(agent, case, {need("settlement", "housing"): "urgent"})
    db.session.commit()
    runner = CliRunner()
    result = runner.invoke(cli, ["dashboard-aggregates"])
    assert result.exit_code == 0, result.output
    assert "conformes" in result.output
    db.session.execute(
        DashboardOpenNeed.__table__.delete().where(DashboardOpenNeed.case_id == case.id)
    )
    db.session.commit()
    result = runner.invoke(cli, ["dashboard-aggregates"])
    assert result.exit_code == 1
    assert "manquante" in result.output
    result = runner.invoke(cli, ["dashboard-aggregates", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert open_needs_of(case) == {"settlement"}
