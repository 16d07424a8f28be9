"""Referral outcomes that close the loop (issue 19, point 4): the partner's « completed » says
what happened; a follow-up confirms or corrects it, and the history keeps every word."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.auth.models import User
from casework.cases.models import Case
from casework.core.time import local_today
from casework.extensions import db
from casework.followups import operations
from casework.followups.models import DOMAINS
from casework.followups.operations import FollowUpError, FollowUpValues, OutcomeCheck
from casework.reference.models import Organisation
from casework.referrals import operations as referrals
from casework.referrals import outcomes
from casework.referrals.models import Referral, ReferralEvent, ReferralOutcome
from tests import helpers


@pytest.fixture
def accepted(app, make_user, make_case):
    """A francisation referral accepted by Francisation Québec, and its partner user."""
    agent = make_user(role="agent", region="06")
    partner = make_user(role="partner", organisation="francisation_quebec")
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
        return agent, partner, case, referral.id


def _history(referral_id):
    return db.session.scalars(
        select(ReferralOutcome)
        .where(ReferralOutcome.referral_id == referral_id)
        .order_by(ReferralOutcome.id)
    ).all()


def test_completion_records_the_enrolment_and_a_follow_up_corrects_it(app, accepted):
    agent_record, partner_record, case_record, referral_id = accepted
    with app.test_request_context():
        partner = db.session.get(User, partner_record.id)
        referral = db.session.get(Referral, referral_id)
        assert outcomes.family_of(referral) == "francisation"
        referrals.move(
            partner,
            referral,
            "completed",
            None,
            referral.version,
            outcome=outcomes.OutcomeValues(
                kind="enrolled", occurred_on=local_today(), course_format="online"
            ),
        )
        db.session.commit()
        agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
        # Confirmed: the same enrolment.
        operations.record(
            agent,
            case,
            FollowUpValues(
                held_on=local_today(),
                outcome_checks=[OutcomeCheck(referral_id, outcomes.OutcomeValues(kind="enrolled"))],
            ),
        )
        # Corrected: in fact part time.
        operations.record(
            agent,
            case,
            FollowUpValues(
                held_on=local_today(),
                outcome_checks=[
                    OutcomeCheck(
                        referral_id,
                        outcomes.OutcomeValues(kind="enrolled", course_format="part_time"),
                    )
                ],
            ),
        )
        db.session.commit()
        rows = _history(referral_id)
    assert [(r.source, r.verdict, r.course_format) for r in rows] == [
        ("partner", "reported", "online"),
        ("follow_up", "confirmed", "online"),
        ("follow_up", "corrected", "part_time"),
    ]
    assert rows[1].follow_up_id is not None and rows[2].follow_up_id != rows[1].follow_up_id


def test_a_completion_without_its_format_is_refused_and_the_referral_stays(app, accepted):
    _agent, partner_record, _case, referral_id = accepted
    with app.test_request_context():
        partner = db.session.get(User, partner_record.id)
        referral = db.session.get(Referral, referral_id)
        with pytest.raises(outcomes.OutcomeError):
            referrals.move(
                partner,
                referral,
                "completed",
                None,
                referral.version,
                outcome=outcomes.OutcomeValues(kind="enrolled"),
            )
        db.session.rollback()
        assert db.session.get(Referral, referral_id).status == "accepted"
        assert _history(referral_id) == []


def test_the_partner_page_records_the_outcome(app, accepted):
    _agent, partner_record, _case, referral_id = accepted
    browser = helpers.signed_in(app, partner_record)
    page = browser.get(f"/references/{referral_id}")
    assert page.status_code == 200
    assert "Ce que la référence a donné" in page.text
    with app.test_request_context():
        from flask import url_for

        path = url_for("referrals.move", referral_id=referral_id, to_status="completed")
        version = db.session.get(Referral, referral_id).version
    response = helpers.post_form(
        browser,
        path,
        {
            "version": str(version),
            "outcome_kind": "enrolled",
            "outcome_occurred_on": local_today().isoformat(),
            "outcome_course_format": "full_time",
        },
        token_from=f"/references/{referral_id}",
    )
    assert response.status_code == 302
    with app.app_context():
        rows = _history(referral_id)
        assert [(r.kind, r.course_format, r.verdict) for r in rows] == [
            ("enrolled", "full_time", "reported")
        ]
        assert db.session.get(Referral, referral_id).status == "completed"


def test_a_follow_up_outcome_dated_in_the_future_stores_nothing(app, accepted):
    agent_record, _partner_record, case_record, referral_id = accepted
    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        referral.status = "completed"
        db.session.commit()
        agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
        with pytest.raises(FollowUpError) as refused:
            operations.record(
                agent,
                case,
                FollowUpValues(
                    held_on=local_today(),
                    outcome_checks=[
                        OutcomeCheck(
                            referral_id,
                            outcomes.OutcomeValues(
                                kind="enrolled",
                                course_format="online",
                                occurred_on=local_today() + timedelta(days=5),
                            ),
                        )
                    ],
                ),
            )
        assert refused.value.field == f"out_{referral_id}_enrolled_on"
        assert operations.history(case.id) == []
        assert _history(referral_id) == []


def test_a_follow_up_closes_the_follow_up_due_reminders(app, make_user, make_case):
    from casework.reminders.models import FollowUpRule, Reminder

    agent_record = make_user(role="agent", region="06")
    case_record = make_case(agent_record)
    with app.test_request_context():
        rule = db.session.scalar(
            select(FollowUpRule).where(FollowUpRule.code == "assessment_follow_up_3m")
        )
        case = db.session.get(Case, case_record.id)
        from casework.core.time import utcnow

        due = Reminder(
            key=f"test-follow-up-{case.id}",
            rule_id=rule.id,
            subject_type="assessment",
            subject_id=1,
            case_id=case.id,
            agent_id=agent_record.id,
            region_id=case.region_id,
            due_at=utcnow() - timedelta(days=1),
            next_attempt_at=utcnow() - timedelta(days=1),
            status="sent",
        )
        db.session.add(due)
        db.session.commit()
        from casework.reminders import subjects

        link = subjects.describe([due])[due.id].url
        assert link.startswith(f"/dossiers/{case.id}/suivis/nouveau?rappel={due.id}")
    browser = helpers.signed_in(app, agent_record)
    fields = helpers.form_fields(browser.get(link).text)
    fields.update(housing_status="stable")
    response = browser.post(link, data=fields)
    assert response.status_code == 302, response.text
    with app.app_context():
        reminder = db.session.get(Reminder, due.id)
        assert reminder.status == "done"
        assert operations.last_follow_up(case_record.id).reminder_id == due.id


@pytest.fixture
def requalification(app, make_user, make_case):
    """A requalification referral (Encadré 8) completed by MTESS with « training started »."""
    agent = make_user(role="agent", region="06")
    partner = make_user(role="partner", organisation="mtess")
    case = make_case(agent)
    with app.test_request_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.code == "mtess"))
        referral = Referral(
            case_id=case.id,
            organisation_id=organisation.id,
            agent_id=agent.id,
            region_id=db.session.get(Case, case.id).region_id,
            kind="requalification",
            purpose="Requalification : préposé aux bénéficiaires",
            status="accepted",
        )
        referral.events.append(ReferralEvent(actor_id=agent.id, to_status="accepted"))
        db.session.add(referral)
        db.session.flush()
        referrals.move(
            db.session.get(User, partner.id),
            referral,
            "completed",
            None,
            referral.version,
            outcome=outcomes.OutcomeValues(
                kind="training_started", occurred_on=local_today() - timedelta(days=200)
            ),
        )
        db.session.commit()
        return agent, partner, case, referral.id


def _later(browser, referral_id, **typed):
    return helpers.post_form(
        browser,
        f"/references/{referral_id}/resultat",
        {f"outcome_{name}": value for name, value in typed.items()},
        token_from=f"/references/{referral_id}",
    )


def test_the_partner_adds_later_outcomes_to_a_completed_referral(app, requalification):
    from casework.core.audit import AuditEvent

    _agent, partner, _case, referral_id = requalification
    browser = helpers.signed_in(app, partner)
    page = browser.get(f"/references/{referral_id}")
    assert "Signaler ce que la référence a donné depuis" in page.text
    finished_on = local_today() - timedelta(days=10)
    answer = _later(browser, referral_id, kind="training_finished", occurred_on=str(finished_on))
    assert answer.status_code == 302, answer.text
    answer = _later(
        browser,
        referral_id,
        kind="job_obtained",
        occurred_on=local_today().isoformat(),
        cnp="3012",
        cnp_version="2016",
    )
    assert answer.status_code == 302
    with app.app_context():
        rows = _history(referral_id)
        assert [(r.kind, r.occurred_on, r.cnp, r.source, r.verdict) for r in rows] == [
            ("training_started", local_today() - timedelta(days=200), None, "partner", "reported"),
            ("training_finished", finished_on, None, "partner", "reported"),
            ("job_obtained", local_today(), "3012", "partner", "reported"),
        ]
        audited = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "referral.outcome_reported")
        ).all()
        assert len(audited) == 3
    shown = browser.get(f"/references/{referral_id}")
    assert "Formation terminée" in shown.text and "Emploi obtenu" in shown.text


@pytest.mark.parametrize(
    "typed, message",
    [
        ({"kind": "job_obtained", "cnp": "99999", "cnp_version": "2021"}, "professions"),
        ({"kind": "job_obtained"}, "Indiquez le code CNP"),
        ({"kind": "training_finished", "occurred_on": "2999-01-01"}, "dans le futur"),
        ({"kind": "enrolled"}, "Choix non valide"),
        ({"kind": ""}, "Choisissez ce que la référence a donné"),
    ],
)
def test_a_later_outcome_is_checked_as_at_completion(app, requalification, typed, message):
    _agent, partner, _case, referral_id = requalification
    browser = helpers.signed_in(app, partner)
    answer = _later(browser, referral_id, **typed)
    assert answer.status_code == 302
    page = browser.get(answer.headers["Location"])
    assert message in page.text.replace("&#39;", "'"), page.text
    with app.app_context():
        assert [r.kind for r in _history(referral_id)] == ["training_started"]


def test_only_the_partner_adds_to_a_completed_referral(app, accepted, requalification):
    agent, _partner, _case, referral_id = requalification
    # The case's agent: the follow-up is their way to confirm or correct, not this form.
    browser = helpers.signed_in(app, agent)
    answer = _later(browser, referral_id, kind="training_finished")
    assert answer.status_code == 409
    # A referral not completed yet: the outcome comes with the completion.
    _a, francisation_partner, _c, accepted_id = accepted
    browser = helpers.signed_in(app, francisation_partner)
    answer = _later(browser, accepted_id, kind="enrolled", course_format="online")
    assert answer.status_code == 409
    with app.app_context():
        assert [r.kind for r in _history(referral_id)] == ["training_started"]
        assert _history(accepted_id) == []
        assert db.session.get(Referral, accepted_id).status == "accepted"


def test_a_follow_up_records_the_job_a_requalification_led_to(app, requalification):
    """The follow-up form asks a requalification's job with its CNP, as an employment's."""
    agent, _partner, case, referral_id = requalification
    browser = helpers.signed_in(app, agent)
    path = f"/dossiers/{case.id}/suivis/nouveau"
    page = browser.get(path)
    fields = helpers.form_fields(page.text)
    assert f"out_{referral_id}_cnp" in fields and f"out_{referral_id}_job_obtained" in fields
    for domain in DOMAINS:
        fields[f"skip_{domain}"] = "y"  # the outcome only
    fields.update(
        {
            f"out_{referral_id}_job_obtained": "yes",
            f"out_{referral_id}_job_obtained_on": local_today().isoformat(),
            f"out_{referral_id}_cnp": "31301",
            f"out_{referral_id}_cnp_version": "2021",
        }
    )
    answer = browser.post(path, data=fields)
    assert answer.status_code == 302, answer.text
    with app.app_context():
        rows = _history(referral_id)
        assert [(r.kind, r.cnp, r.source, r.verdict) for r in rows] == [
            ("training_started", None, "partner", "reported"),
            ("job_obtained", "31301", "follow_up", "corrected"),
        ]


def test_the_partner_sees_what_it_reported_not_what_a_follow_up_found(app, client, login, accepted):
    agent_record, partner_record, case_record, referral_id = accepted
    with app.test_request_context():
        partner = db.session.get(User, partner_record.id)
        referral = db.session.get(Referral, referral_id)
        referrals.move(
            partner,
            referral,
            "completed",
            None,
            referral.version,
            outcome=outcomes.OutcomeValues(
                kind="enrolled", occurred_on=local_today(), course_format="online"
            ),
        )
        db.session.commit()
        agent, case = db.session.get(User, agent_record.id), db.session.get(Case, case_record.id)
        operations.record(
            agent,
            case,
            FollowUpValues(
                held_on=local_today(),
                outcome_checks=[
                    OutcomeCheck(
                        referral_id, outcomes.OutcomeValues(kind="enrolled", happened=False)
                    )
                ],
            ),
        )
        db.session.commit()
        from flask import url_for

        path = url_for("referrals.show", referral_id=referral_id)
    login(user=partner_record)
    page = client.get(path)
    assert page.status_code == 200
    assert "lors d’un suivi" not in page.text.replace("'", "’")
    assert "corrigé" not in page.text
    agent_browser = app.test_client()
    assert (
        helpers.login(agent_browser, agent_record.username, agent_record.password).status_code
        == 302
    )
    assert "corrigé" in agent_browser.get(path).text
