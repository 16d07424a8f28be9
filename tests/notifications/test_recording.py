"""Each workflow event becomes one notification for the right people, recorded by the
operation that causes it (through its domain event), once — even when the event is replayed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casework.appointments import operations as appointments
from casework.appointments.slots import SlotQuery, SlotRef, find_slots
from casework.cases import operations as cases
from casework.core.events import emit
from casework.core.time import local_today
from casework.extensions import db
from casework.referrals.events import ReferralStatusChanged
from casework.referrals.models import ReferralEvent
from casework.reminders import tasks
from casework.reminders.models import Notification
from tests import helpers
from tests.appointments.factories import open_every_day
from tests.notifications.conftest import (
    case_of,
    move,
    notifications_of,
    referral_in,
    return_referral,
    user,
)
from tests.reminders.conftest import NOW, add_reminder, rule


@pytest.fixture
def ctx_people(ctx, people):
    return people


def test_a_returned_referral_tells_its_agent_once_with_the_comment(ctx_people):
    people = ctx_people
    referral = return_referral(people, "Précisez le besoin de logement.")
    [notification] = notifications_of(people.agent)
    assert notification.kind == "referral_returned"
    assert (notification.subject_type, notification.subject_id) == ("referral", referral.id)
    assert notification.case_id == people.case.id
    assert notification.details["comment"] == "Précisez le besoin de logement."
    assert notification.details["number"] == people.case.number
    # The advisor who returned it, the partner and the supervisor hear nothing of it.
    for other in (people.advisor, people.partner, people.supervisor):
        assert notifications_of(other) == []


@pytest.mark.parametrize(
    ("start", "steps", "kind"),
    [
        ("submitted", [("advisor", "approved", None, None)], "referral_approved"),
        ("sent", [("partner", "accepted", None, None)], "referral_accepted"),
        ("sent", [("partner", "declined", "Plus de places.", None)], "referral_declined"),
        ("accepted", [("partner", "completed", None, None)], "referral_completed"),
        (
            "accepted",
            [("partner", "not_completed", None, "unreachable")],
            "referral_not_completed",
        ),
    ],
)
def test_each_decision_on_a_referral_tells_its_agent(ctx_people, start, steps, kind):
    people = ctx_people
    referral = referral_in(people, start)
    for role, to, comment, reason in steps:
        move(getattr(people, role), referral, to, comment, reason)
    assert [n.kind for n in notifications_of(people.agent)] == [kind]
    assert notifications_of(people.advisor) == notifications_of(people.partner) == []


def test_the_agents_own_steps_tell_nobody(ctx_people):
    people = ctx_people
    referral = referral_in(people, "draft")
    move(people.agent, referral, "submitted")
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_replayed_event_is_still_one_notification(ctx_people):
    people = ctx_people
    referral = return_referral(people)
    transition = db.session.scalar(
        select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.to_status == "returned"
        )
    )
    event = ReferralStatusChanged(
        case_id=referral.case_id,
        referral_id=referral.id,
        previous="submitted",
        status="returned",
        transition_id=transition.id,
    )
    assert emit(event) == [0]  # recorded already: nothing more
    emit(event)
    db.session.commit()
    assert len(notifications_of(people.agent)) == 1


def test_a_second_return_of_the_same_referral_is_a_second_notification(ctx_people):
    people = ctx_people
    referral = return_referral(people, "Premier retour.")
    move(people.agent, referral, "submitted")
    move(people.advisor, referral, "returned", "Second retour.")
    comments = [n.details["comment"] for n in notifications_of(people.agent)]
    assert comments == ["Premier retour.", "Second retour."]


def test_the_database_refuses_a_second_row_for_one_event_and_recipient(ctx_people):
    people = ctx_people
    return_referral(people)
    [notification] = notifications_of(people.agent)
    twin = Notification(
        key=notification.key, user_id=notification.user_id, kind="referral_returned"
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_transfer_offered_then_answered_tells_each_side(ctx, make_user, people):
    receiver = make_user(role="agent", region="03")
    case = case_of(people)
    # Another region: the person consents to their file moving there (issue 18).
    helpers.give_consent(people.agent.id, case.id, "transfer_region")
    transfer = cases.request_transfer(user(people.agent), case, user(receiver), "Déménagement")
    db.session.commit()
    [offered] = notifications_of(receiver)
    assert (offered.kind, offered.subject_type) == ("transfer_offered", "transfer")
    assert notifications_of(people.agent) == []
    cases.answer_transfer(user(receiver), transfer, accept=True)
    db.session.commit()
    [accepted] = notifications_of(people.agent)
    assert (accepted.kind, accepted.subject_type, accepted.subject_id) == (
        "transfer_accepted",
        "case",
        case.id,
    )
    assert len(notifications_of(receiver)) == 1  # their own answer is not news to them


def test_a_refused_transfer_tells_the_agent_and_the_supervisor_who_asked(ctx, make_user, people):
    receiver = make_user(role="agent")
    case = case_of(people)
    transfer = cases.request_transfer(user(people.supervisor), case, user(receiver), "Charge")
    db.session.commit()
    cases.answer_transfer(user(receiver), transfer, accept=False)
    db.session.commit()
    assert [n.kind for n in notifications_of(people.agent)] == ["transfer_declined"]
    assert [n.kind for n in notifications_of(people.supervisor)] == ["transfer_declined"]
    assert notifications_of(people.supervisor)[0].details["actor"] == user(receiver).full_name


def _airport_intake(region_id: int):
    return appointments.AirportIntake(
        given_names="Amina",
        family_name="Diallo",
        date_of_birth=None,
        arrival_date=local_today(),
        flight_type="international",
        immigration_category="economic",
        destination_region_id=region_id,
        destination_city=None,
        preferred_language="fr",
        interpreter_needed=False,
        interpreter_language=None,
        phone="514 555-0199",
        email=None,
        contact_consent=True,
    )


def _first_slot(agent_id: int, minutes: int) -> SlotRef:
    slot = find_slots(
        SlotQuery(duration=timedelta(minutes=minutes), mode="in_person", agent_id=agent_id), 1
    )[0]
    return SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)


def test_an_airport_booking_tells_the_agent_in_whose_calendar_it_lands(ctx, make_user):
    agent = make_user(role="agent", region="06")
    staff = make_user(role="airport", region="06")
    open_every_day(agent.id)
    db.session.commit()
    booking = appointments.book_from_airport(
        user(staff), _airport_intake(agent.region_id), _first_slot(agent.id, 90), "in_person"
    )
    db.session.commit()
    [notification] = notifications_of(agent)
    assert notification.kind == "airport_booking"
    assert (notification.subject_type, notification.subject_id) == (
        "appointment",
        booking.appointment_id,
    )
    assert notifications_of(staff) == []


def test_an_agents_own_booking_is_no_notification(ctx, people):
    open_every_day(people.agent.id)
    db.session.commit()
    appointments.book_for_case(
        user(people.agent),
        case_of(people),
        _first_slot(people.agent.id, 45),
        "follow_up",
        "in_person",
    )
    db.session.commit()
    assert notifications_of(people.agent) == []


def test_an_escalated_reminder_tells_the_regions_supervisors_once(ctx, make_user, people):
    elsewhere = make_user(role="supervisor", region="03")
    case = case_of(people)
    case.status = "active"
    reminder = add_reminder(case, NOW, code="no_contact_60d")
    tasks.dispatch(NOW, with_email=False)
    days = rule("no_contact_60d").escalate_after_days
    assert tasks.escalate(NOW + timedelta(days=days)) == {"notified": 1, "escalated": 1}
    assert tasks.escalate(NOW + timedelta(days=days + 1)) == {}
    [told] = notifications_of(people.supervisor, "escalation")
    assert (told.reminder_id, told.subject_type, told.subject_id) == (
        reminder.id,
        "reminder",
        reminder.id,
    )
    assert notifications_of(elsewhere) == []


def test_an_anonymised_case_leaves_no_comment_in_notifications(ctx_people):
    from casework.notifications.operations import erase_details

    people = ctx_people
    return_referral(people, "Mme Diallo a déménagé.")
    assert erase_details((people.case.id,)) == {"notifications": 1}
    [notification] = notifications_of(people.agent)
    db.session.refresh(notification)
    assert notification.details is None
