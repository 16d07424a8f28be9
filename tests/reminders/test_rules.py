"""Follow-up rules: when a reminder falls, the seed file, and what each trigger creates, moves and
cancels."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from casework.appointments.models import Appointment, AppointmentType
from casework.assessments.models import Assessment
from casework.cases import operations as cases
from casework.cases.models import Consent
from casework.core.time import utcnow
from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from casework.reference.models import Organisation
from casework.referrals.models import Referral, ReferralEvent
from casework.reminders import operations
from casework.reminders.models import FollowUpRule
from casework.reminders.rules import add_business_days, add_months, falls_at, load_follow_up_rules
from tests.reminders.conftest import NOW, reminders_of, rule


def test_business_days_skip_weekends():
    friday = date(2026, 6, 12)
    assert add_business_days(friday, 1) == date(2026, 6, 15)
    assert add_business_days(friday, 10) == date(2026, 6, 26)
    assert add_business_days(date(2026, 6, 15), -1) == date(2026, 6, 12)


def test_months_keep_the_day_or_take_the_last_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 7), 14),  # the Saturday before spring forward: EST, UTC-5
        (date(2026, 3, 8), 13),  # spring forward day: EDT, UTC-4
        (date(2026, 10, 31), 13),  # the Saturday before fall back: EDT
        (date(2026, 11, 1), 14),  # fall back day: EST
    ],
)
def test_nine_in_the_morning_stays_nine_across_dst(day, utc_hour):
    assert falls_at(day, 0, "days", time(9, 0)) == datetime.combine(day, time(utc_hour, 0))


def test_a_reload_of_the_seed_never_overwrites_what_an_admin_set(ctx, app, tmp_path):
    edited = rule("no_contact_60d")
    edited.offset, edited.enabled, edited.escalate_after_days = 45, False, None
    db.session.flush()
    total, changed = load_follow_up_rules(app.config["SEED_DIR"])
    assert total >= 9
    assert changed == 0
    assert (edited.offset, edited.enabled, edited.escalate_after_days) == (45, False, None)


def test_the_seed_has_the_rules_the_issue_asks_for(ctx):
    codes = set(db.session.scalars(select(FollowUpRule.code)))
    assert {
        "appointment_upcoming",
        "referral_unanswered",
        "plan_action_due",
        "plan_action_overdue",
        "no_show_follow_up",
        "assessment_follow_up_3m",
        "assessment_follow_up_6m",
        "no_contact_60d",
        "consent_expiring",
    } <= codes
    assert rule("referral_unanswered").unit == "business_days"
    assert rule("consent_expiring").validity_days == 365


# --- Triggers ------------------------------------------------------------------------------------


def _appointment(case, agent, starts_at, status="booked", **extra) -> Appointment:
    kind = db.session.scalar(select(AppointmentType).limit(1))
    appointment = Appointment(
        case_id=case.id,
        agent_id=agent.id,
        region_id=case.region_id,
        service_point_id=case.service_point_id,
        type_id=kind.id,
        mode="in_person",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=45),
        status=status,
        channel="agent",
        booked_by_id=agent.id,
        **extra,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def test_appointment_tomorrow_then_moved_then_cancelled(case, agent):
    appointment = _appointment(case, agent, datetime(2026, 6, 18, 14, 0))  # Thu 10:00 local
    operations.materialise(NOW)
    (reminder,) = reminders_of(case, "appointment_upcoming")
    assert reminder.due_at == datetime(2026, 6, 17, 13, 0)  # Wednesday 09:00 local
    appointment.starts_at = datetime(2026, 6, 22, 14, 0)
    db.session.flush()
    assert operations.materialise(NOW)["moved"] == 1
    (reminder,) = reminders_of(case, "appointment_upcoming")
    assert reminder.due_at == datetime(2026, 6, 19, 13, 0)  # Monday's is announced on Friday
    appointment.status = "cancelled"
    db.session.flush()
    operations.materialise(NOW)
    assert [r.status for r in reminders_of(case, "appointment_upcoming")] == ["cancelled"]


def test_referral_without_answer_after_ten_business_days(case, agent):
    organisation = db.session.scalar(select(Organisation).limit(1))
    referral = Referral(
        case_id=case.id,
        organisation_id=organisation.id,
        agent_id=agent.id,
        region_id=case.region_id,
        status="sent",
        purpose="Soutien à l'installation",
    )
    referral.events.append(
        ReferralEvent(
            to_status="sent", from_status="approved", occurred_at=datetime(2026, 6, 1, 15)
        )
    )
    db.session.add(referral)
    db.session.flush()
    operations.materialise(NOW)
    (reminder,) = reminders_of(case, "referral_unanswered")
    assert reminder.due_at == datetime(2026, 6, 15, 13, 0)  # Monday 1 June + 10 business days
    assert operations.unanswered_referrals([referral.id], NOW) == {referral.id}
    referral.status = "accepted"
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "referral_unanswered")[0].status == "cancelled"
    assert operations.unanswered_referrals([referral.id], NOW) == set()


def test_plan_action_due_and_overdue_follow_its_date_and_stop_when_done(case):
    plan = Plan(case_id=case.id, number=1, status="final")
    action = PlanAction(
        objective="Français", label="Inscription en francisation", due_on=date(2026, 6, 20)
    )
    plan.actions.append(action)
    db.session.add(plan)
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "plan_action_due")[0].due_at == datetime(2026, 6, 20, 13, 0)
    assert reminders_of(case, "plan_action_overdue")[0].due_at == datetime(2026, 6, 27, 13, 0)
    action.due_on = date(2026, 6, 25)
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "plan_action_due")[0].due_at == datetime(2026, 6, 25, 13, 0)
    action.status = "done"
    db.session.flush()
    counts = operations.materialise(NOW)
    assert counts["cancelled"] == 2
    # A newer final version replaces the plan followed up: its actions take over.
    plan2 = Plan(case_id=case.id, number=2, status="final")
    plan2.actions.append(PlanAction(objective="x", label="y", due_on=date(2026, 6, 30)))
    db.session.add(plan2)
    db.session.flush()
    operations.materialise(NOW)
    open_ones = [r for r in reminders_of(case, "plan_action_due") if r.status == "pending"]
    assert [r.subject_id for r in open_ones] == [plan2.actions[0].id]


def test_no_show_becomes_a_call_two_days_later_and_the_flag_is_taken_up(case, agent):
    missed = _appointment(
        case,
        agent,
        datetime(2026, 6, 12, 14, 0),
        status="no_show",
        follow_up_needed=True,
        outcome_at=datetime(2026, 6, 12, 15, 0),
    )
    operations.materialise(NOW)
    (reminder,) = reminders_of(case, "no_show_follow_up")
    assert reminder.due_at == datetime(2026, 6, 14, 13, 0)
    db.session.refresh(missed)
    assert missed.follow_up_needed is False
    operations.materialise(NOW)  # the flag is cleared, the reminder stays
    assert reminders_of(case, "no_show_follow_up")[0].status == "pending"


def test_assessment_follow_ups_at_three_and_six_months(case, app):
    db.session.add(
        Assessment(
            case_id=case.id, number=1, status="completed", completed_at=datetime(2026, 5, 20, 18)
        )
    )
    db.session.flush()
    app.config["REMINDER_HORIZON_DAYS"] = 400
    try:
        operations.materialise(NOW)
    finally:
        app.config["REMINDER_HORIZON_DAYS"] = 45
    assert reminders_of(case, "assessment_follow_up_3m")[0].due_at == datetime(2026, 8, 20, 13)
    assert reminders_of(case, "assessment_follow_up_6m")[0].due_at == datetime(2026, 11, 20, 14)


def test_reminders_beyond_the_horizon_wait_to_be_created(case):
    db.session.add(
        Assessment(
            case_id=case.id, number=1, status="completed", completed_at=datetime(2026, 5, 20, 18)
        )
    )
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "assessment_follow_up_3m") == []
    operations.materialise(datetime(2026, 7, 15, 13))
    assert len(reminders_of(case, "assessment_follow_up_3m")) == 1


def test_no_contact_for_sixty_days_restarts_with_each_contact(case, agent):
    operations.materialise(datetime(2026, 2, 20, 13))
    (first,) = reminders_of(case, "no_contact_60d")
    assert first.due_at == datetime(2026, 3, 6, 14, 0)  # opened 5 January + 60 days
    cases.add_interaction(
        agent,
        case,
        cases.InteractionFields(
            kind="phone", occurred_at=datetime(2026, 2, 10, 10), summary="Appel"
        ),
    )
    operations.materialise(datetime(2026, 2, 20, 13))
    statuses = {r.key.rsplit(":", 1)[1]: r.status for r in reminders_of(case, "no_contact_60d")}
    assert statuses == {"2026-01-05": "cancelled"}  # the next one falls beyond the horizon
    operations.materialise(datetime(2026, 3, 1, 13))
    statuses = {r.key.rsplit(":", 1)[1]: r.status for r in reminders_of(case, "no_contact_60d")}
    assert statuses == {"2026-01-05": "cancelled", "2026-02-10": "pending"}


def test_consent_about_to_expire_is_cancelled_when_withdrawn(case, agent, app):
    consent = Consent(
        case_id=case.id, purpose="share_partner", given_on=date(2025, 7, 1), method="signed"
    )
    db.session.add(consent)
    db.session.flush()
    operations.materialise(NOW)
    (reminder,) = reminders_of(case, "consent_expiring")
    assert reminder.due_at == datetime(2026, 6, 1, 13)  # 365 days later, minus 30
    consent.withdrawn_on = date(2026, 6, 10)
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "consent_expiring")[0].status == "cancelled"


def test_closing_the_case_cancels_and_reopening_brings_them_back(case, agent):
    _appointment(case, agent, datetime(2026, 6, 18, 14, 0))
    operations.materialise(NOW)
    case.status = "closed"
    db.session.flush()
    operations.refresh_case(case.id, NOW)
    assert {r.status for r in reminders_of(case)} == {"cancelled"}
    case.status = "active"
    db.session.flush()
    assert operations.refresh_case(case.id, NOW)["reopened"] >= 1
    assert reminders_of(case, "appointment_upcoming")[0].status == "pending"


def test_a_disabled_rule_creates_nothing_and_cancels_what_it_made(case, agent):
    _appointment(case, agent, datetime(2026, 6, 18, 14, 0))
    operations.materialise(NOW)
    rule("appointment_upcoming").enabled = False
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "appointment_upcoming")[0].status == "cancelled"


def test_materialise_twice_changes_nothing_the_second_time(case, agent):
    _appointment(case, agent, datetime(2026, 6, 18, 14, 0))
    operations.materialise(NOW)
    before = [(r.id, r.version) for r in reminders_of(case)]
    assert operations.materialise(NOW) == {"created": 0}
    assert [(r.id, r.version) for r in reminders_of(case)] == before


def test_a_transferred_case_takes_its_reminders_unless_a_supervisor_reassigned_them(
    case, agent, make_user
):
    from casework.auth.models import User

    _appointment(case, agent, datetime(2026, 6, 18, 14, 0))
    db.session.add(
        Consent(
            case_id=case.id, purpose="share_partner", given_on=date(2025, 7, 1), method="signed"
        )
    )
    db.session.flush()
    operations.materialise(NOW)
    consent_reminder = reminders_of(case, "consent_expiring")[0]
    colleague = db.session.get(User, make_user(role="agent").id)
    consent_reminder.reassigned_by_id = colleague.id
    consent_reminder.agent_id = colleague.id
    newcomer = db.session.get(User, make_user(role="agent").id)
    case.agent_id = newcomer.id
    db.session.flush()
    operations.materialise(NOW)
    assert reminders_of(case, "consent_expiring")[0].agent_id == colleague.id
    # The appointment's own agent keeps the day-before reminder; the case's agent takes the rest.
    assert reminders_of(case, "appointment_upcoming")[0].agent_id == agent.id


def test_operations_refresh_a_cases_reminders_at_once(case, agent):
    """Closing a case, or following up a plan action, does not wait for the next run."""
    from casework.plans import operations as plans

    plan = Plan(case_id=case.id, number=1, status="final")
    plan.actions.append(PlanAction(objective="x", label="y", due_on=date.today()))
    db.session.add(plan)
    db.session.flush()
    operations.materialise()
    assert {r.status for r in reminders_of(case, "plan_action_due")} == {"pending"}
    plans.set_action_status(agent, case, plan, plan.actions[0].id, "done", None)
    db.session.commit()  # the view's one commit
    assert {r.status for r in reminders_of(case, "plan_action_due")} == {"cancelled"}
    _appointment(case, agent, utcnow() + timedelta(days=3))
    operations.materialise()
    cases.update_case(agent, case, "closed", "normal", None, case.version, "moved", "Parti.")
    db.session.commit()
    assert {r.status for r in reminders_of(case)} == {"cancelled"}


def test_a_rolled_back_change_refreshes_nothing(case, agent):
    _appointment(case, agent, utcnow() + timedelta(days=3))
    operations.materialise()
    db.session.commit()
    cases.update_case(agent, case, "closed", "normal", None, case.version, "moved", "Parti.")
    db.session.rollback()
    db.session.commit()
    assert {r.status for r in reminders_of(case)} == {"pending"}
