"""Two tabs or two agents acting at once: unique indexes and conditional updates decide."""

from datetime import date

import pytest

from casework.auth.models import User
from casework.cases import operations
from casework.cases.models import Case, CaseTransfer, Consent
from casework.extensions import db


@pytest.fixture
def case_and_agent(ctx, make_user, make_case):
    agent = make_user(role="agent")
    record = make_case(agent)
    return db.session.get(Case, record.id), db.session.get(User, agent.id)


def test_a_consent_recorded_twice_at_once_is_kept_once(case_and_agent, monkeypatch):
    case, agent = case_and_agent
    operations.record_consent(agent, case, "contact_sms", date.today(), "verbal")
    # The second tab checked before the first one saved: only the unique index stands between.
    monkeypatch.setattr(operations, "current_consent", lambda *_: None)
    with pytest.raises(operations.CaseError):
        operations.record_consent(agent, case, "contact_sms", date.today(), "verbal")
    in_force = db.session.query(Consent).filter_by(
        case_id=case.id, purpose="contact_sms", withdrawn_on=None
    )
    assert in_force.count() == 1


def test_two_pending_transfers_cannot_coexist(case_and_agent, make_user, monkeypatch):
    case, agent = case_and_agent
    first = db.session.get(User, make_user(role="agent").id)
    second = db.session.get(User, make_user(role="agent").id)
    operations.request_transfer(agent, case, first, "Congé")
    monkeypatch.setattr(operations, "pending_transfer", lambda *_: None)
    with pytest.raises(operations.CaseError):
        operations.request_transfer(agent, case, second, "Congé")
    assert db.session.query(CaseTransfer).filter_by(case_id=case.id).count() == 1


def test_a_transfer_answered_twice_counts_once(case_and_agent, make_user):
    case, agent = case_and_agent
    receiver = db.session.get(User, make_user(role="agent").id)
    transfer = operations.request_transfer(agent, case, receiver, "Déménagement")
    operations.answer_transfer(receiver, transfer, accept=True)
    with pytest.raises(operations.CaseError):
        operations.answer_transfer(receiver, transfer, accept=False)
    assert db.session.get(CaseTransfer, transfer.id).status == "accepted"
    assert db.session.get(Case, case.id).agent_id == receiver.id


def test_two_tabs_starting_an_assessment_share_one_draft(case_and_agent, monkeypatch):
    from casework.assessments import operations as assessments

    case, agent = case_and_agent
    first = assessments.start(agent, case)
    real_latest = assessments.latest
    calls = iter([None])
    # The second tab looked before the first tab's draft existed.
    monkeypatch.setattr(assessments, "latest", lambda c: next(calls, None) or real_latest(c))
    second = assessments.start(agent, case)
    assert second.id == first.id
