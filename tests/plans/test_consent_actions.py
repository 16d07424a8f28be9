"""Issue 18, point 8: the actions the rules do « avec le consentement de la personne » (profile
sent to the regional advisor of another region) are done only with that consent in force."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from casework.extensions import db
from tests import helpers


def test_the_rules_that_say_with_consent_name_the_purpose(app, ctx):
    from casework.plans.operations import rules

    book = rules()
    consented = [
        (rule.need, action.consent)
        for rule in book.rules.values()
        for action in rule.actions
        if "avec le consentement" in action.label
    ]
    assert consented and all(purpose == "transfer_region" for _, purpose in consented)


def test_the_advisor_is_informed_only_with_consent(app, ctx):
    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.plans import operations as plans
    from casework.plans.operations import PlanError
    from casework.reference.models import Domain, Need

    agent = helpers.create_user("agent", region="06")
    record = helpers.create_case(agent.id)
    user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
    need = db.session.scalar(
        select(Need).join(Domain).where(Domain.code == "settlement", Need.code == "regionalisation")
    )
    draft = assessments.start(user, case)
    assessments.save(
        user,
        draft,
        assessments.AssessmentValues(
            interview_date=date.today(), interview_mode="phone", levels={need.id: "high"}
        ),
        draft.version,
        complete=True,
    )
    plan, _ = plans.generate(user, case)
    db.session.flush()
    plans.finalise(user, case, plan, plan.version)
    action = next(a for a in plan.actions if a.consent_purpose == "transfer_region")
    with pytest.raises(PlanError, match=r"consent"):
        plans.set_action_status(user, case, plan, action.id, "done", None)
    assert action.status == "todo"
    plans.set_action_status(user, case, plan, action.id, "in_progress", None)  # no disclosure yet
    helpers.give_consent(agent.id, case.id, "transfer_region")
    plans.set_action_status(user, case, plan, action.id, "done", None)
    assert action.status == "done"


def test_a_transfer_within_the_region_needs_no_such_consent(app, ctx):
    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case

    agent = helpers.create_user("agent", region="06")
    colleague = helpers.create_user("agent", region="06")
    elsewhere = helpers.create_user("agent", region="17")
    record = helpers.create_case(agent.id)
    user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
    with pytest.raises(cases.CaseError):
        cases.request_transfer(user, case, db.session.get(User, elsewhere.id), "Déménagement")
    assert cases.pending_transfer(case) is None
    assert cases.request_transfer(user, case, db.session.get(User, colleague.id), "Congé")


def test_a_consent_withdrawn_before_the_answer_stops_the_transfer(app, ctx):
    """The consent to another region is checked when the receiver accepts as well: withdrawn
    since the request, the case stays where it is (the receiver may still decline)."""
    from casework.auth.models import User
    from casework.cases import operations as cases
    from casework.cases.models import Case, CaseTransfer, Consent

    agent = helpers.create_user("agent", region="06")
    receiver = helpers.create_user("agent", region="17")
    record = helpers.create_case(agent.id)
    user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
    region_before = case.region_id
    helpers.give_consent(agent.id, case.id, "transfer_region")
    transfer = cases.request_transfer(user, case, db.session.get(User, receiver.id), "Déménagement")
    consent = db.session.scalars(select(Consent).where(Consent.case_id == case.id)).one()
    cases.withdraw_consent(user, case, consent.id)
    with pytest.raises(cases.CaseError, match="une autre région"):
        cases.answer_transfer(db.session.get(User, receiver.id), transfer, accept=True)
    assert db.session.get(CaseTransfer, transfer.id).status == "pending"
    assert (case.agent_id, case.region_id) == (agent.id, region_before)
    cases.answer_transfer(db.session.get(User, receiver.id), transfer, accept=False)
    assert db.session.get(CaseTransfer, transfer.id).status == "declined"
