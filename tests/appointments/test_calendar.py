"""The agent's calendar: views, booking from a case, moving, cancelling, done and no-show."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework.appointments import operations
from casework.appointments.models import Appointment, SlotClaim
from casework.appointments.slots import SlotQuery, find_slots, to_local
from casework.auth.models import User
from casework.cases.models import Case
from casework.core.time import utcnow
from casework.extensions import db
from tests import helpers
from tests.appointments.factories import open_every_day

SLOT = re.compile(r'name="slot" id="slot-\d+" value="([0-9-]+)"')


@pytest.fixture
def agent(app, login):
    record = login("agent", region="06")
    with app.app_context():
        open_every_day(record.id)
    return record


def book_one(app, agent, **person) -> int:
    with app.app_context():
        case = helpers.create_case(agent.id, **person)
        slot = find_slots(
            SlotQuery(duration=timedelta(minutes=45), mode="in_person", agent_id=agent.id), 1
        )[0]
        appointment = operations.book_for_case(
            db.session.get(User, agent.id),
            db.session.get(Case, case.id),
            _ref(slot),
            "follow_up",
            "in_person",
        )
        db.session.commit()
        return appointment.id


def _ref(slot):
    from casework.appointments.slots import SlotRef

    return SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)


def claims_of(app, appointment_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(SlotClaim.appointment_id == appointment_id)
        )


def test_book_from_the_case_page(app, client, agent):
    with app.app_context():
        case = helpers.create_case(agent.id)
    page = client.get(f"/rendez-vous/dossier/{case.id}/reserver")
    assert page.status_code == 200
    found = helpers.post_form(
        client,
        f"/rendez-vous/dossier/{case.id}/reserver",
        {"type_code": "follow_up", "mode": "phone", "step": "search"},
    )
    slot = SLOT.search(found.get_data(as_text=True)).group(1)
    booked = helpers.post_form(
        client,
        f"/rendez-vous/dossier/{case.id}/reserver",
        {"type_code": "follow_up", "mode": "phone", "step": "book", "slot": slot},
    )
    assert booked.status_code == 302
    case_page = client.get(f"/dossiers/{case.id}").get_data(as_text=True)
    assert "Rencontre de suivi" in case_page
    with app.app_context():
        appointment = db.session.scalars(select(Appointment)).one()
        assert (appointment.mode, appointment.channel) == ("phone", "agent")
        assert claims_of(app, appointment.id) == 3


def test_day_and_week_views_list_the_appointment(app, client, agent):
    appointment_id = book_one(app, agent, given_names="Olena")
    with app.app_context():
        day = to_local(db.session.get(Appointment, appointment_id).starts_at).date()
    day_view = client.get(f"/rendez-vous/?date={day.isoformat()}")
    assert day_view.status_code == 200 and "Olena" in day_view.get_data(as_text=True)
    week = client.get(f"/rendez-vous/?vue=semaine&date={day.isoformat()}")
    assert "Olena" in week.get_data(as_text=True)
    other_week = client.get(
        f"/rendez-vous/?vue=semaine&date={(day + timedelta(days=14)).isoformat()}"
    )
    assert "Olena" not in other_week.get_data(as_text=True)
    bad = client.get("/rendez-vous/?date=2026-13-45")
    assert bad.status_code == 200  # a clear message, today's calendar


def test_home_lists_upcoming_appointments(app, client, agent):
    book_one(app, agent, given_names="Nadia")
    assert "Nadia" in client.get("/").get_data(as_text=True)


def test_reschedule_moves_claims(app, client, agent):
    appointment_id = book_one(app, agent)
    page = client.get(f"/rendez-vous/{appointment_id}/deplacer")
    with app.app_context():
        before = db.session.get(Appointment, appointment_id)
        old_start, version = before.starts_at, before.version
    slots = SLOT.findall(page.get_data(as_text=True))
    target = slots[3]
    moved = helpers.post_form(
        client,
        f"/rendez-vous/{appointment_id}/deplacer",
        {"slot": target, "step": "book", "version": version},
    )
    assert moved.status_code == 302
    with app.app_context():
        after = db.session.get(Appointment, appointment_id)
        assert after.starts_at != old_start
        assert after.starts_at.strftime("%Y%m%d%H%M") == target.split("-")[2]
        claim_starts = set(
            db.session.scalars(
                select(SlotClaim.starts_at).where(SlotClaim.appointment_id == appointment_id)
            )
        )
        assert min(claim_starts) == after.starts_at and len(claim_starts) == 3
    stale = helpers.post_form(
        client,
        f"/rendez-vous/{appointment_id}/deplacer",
        {"slot": slots[5], "step": "book", "version": version},
    )
    assert stale.status_code == 409


def test_reschedule_onto_a_taken_slot_changes_nothing(app, client, agent):
    first = book_one(app, agent)
    second = book_one(app, agent)
    with app.app_context():
        taken = db.session.get(Appointment, first)
        token = f"{agent.id}-{taken.service_point_id}-{taken.starts_at:%Y%m%d%H%M}"
        mine = db.session.get(Appointment, second)
        start, version = mine.starts_at, mine.version
    response = helpers.post_form(
        client,
        f"/rendez-vous/{second}/deplacer",
        {"slot": token, "step": "book", "version": version},
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Appointment, second).starts_at == start
    assert claims_of(app, second) == 3


def test_cancel_needs_a_reason_and_frees_the_time(app, client, agent):
    appointment_id = book_one(app, agent)
    path = f"/rendez-vous/{appointment_id}/annuler"
    no_reason = helpers.post_form(client, path, {"version": 1})
    assert no_reason.status_code == 400
    other = helpers.post_form(client, path, {"version": 1, "reason": "other"})
    assert other.status_code == 400
    assert claims_of(app, appointment_id) == 3
    done = helpers.post_form(client, path, {"version": 1, "reason": "person_request"})
    assert done.status_code == 302
    assert claims_of(app, appointment_id) == 0
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.status, appointment.cancel_reason) == ("cancelled", "person_request")
    again = helpers.post_form(client, path, {"version": 2, "reason": "person_request"})
    assert again.status_code == 409


def _start_in_the_past(app, appointment_id: int) -> None:
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.starts_at = utcnow() - timedelta(hours=2)
        appointment.ends_at = appointment.starts_at + timedelta(minutes=45)
        db.session.commit()


def test_outcome_only_once_started_and_only_once(app, client, agent):
    appointment_id = book_one(app, agent)
    path = f"/rendez-vous/{appointment_id}/resultat"
    early = helpers.post_form(
        client,
        path,
        {"outcome": "done", "version": 1},
        token_from=f"/rendez-vous/{appointment_id}",
    )
    assert early.status_code == 400 and "pas encore commencé" in early.text
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "booked"
    _start_in_the_past(app, appointment_id)
    with app.app_context():
        version = db.session.get(Appointment, appointment_id).version
    missed = helpers.post_form(
        client,
        path,
        {"outcome": "no_show", "version": version},
        token_from=f"/rendez-vous/{appointment_id}",
    )
    assert missed.status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == "no_show"
        # The no-show's marker became its follow-up call as soon as the change was committed.
        from casework.reminders.models import Reminder

        follow_up = db.session.scalar(
            select(Reminder)
            .where(Reminder.subject_type == "appointment", Reminder.subject_id == appointment_id)
            .order_by(Reminder.id.desc())
        )
        assert follow_up is not None and follow_up.rule.trigger == "no_show"
        version = appointment.version
    twice = helpers.post_form(
        client,
        path,
        {"outcome": "done", "version": version},
        token_from=f"/rendez-vous/{appointment_id}",
    )
    assert twice.status_code == 409
    bogus = helpers.post_form(
        client, path, {"outcome": "maybe", "version": version}, token_from="/"
    )
    assert bogus.status_code == 409  # no longer booked: nothing can change
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == "no_show"


def test_agent_sees_only_her_own_calendar(app, client, agent, make_user):
    colleague = make_user(role="agent", region="06")
    with app.app_context():
        open_every_day(colleague.id)
    theirs = book_one(app, colleague)
    assert client.get(f"/rendez-vous/?agent={colleague.id}").status_code == 403
    assert client.get(f"/rendez-vous/{theirs}").status_code == 403
    assert client.get(f"/rendez-vous/{theirs}/deplacer").status_code == 403
    assert client.get(f"/rendez-vous/disponibilites?agent={colleague.id}").status_code == 403
    assert client.get("/rendez-vous/99999999").status_code == 404


def test_supervisor_sees_the_region_only(app, client, login, make_user):
    local = make_user(role="agent", region="06")
    remote = make_user(role="agent", region="05")
    with app.app_context():
        open_every_day(local.id)
        open_every_day(remote.id, point_code="DR-EST")
    mine, theirs = book_one(app, local), book_one(app, remote)
    login("supervisor", region="06")
    assert client.get(f"/rendez-vous/?agent={local.id}").status_code == 200
    assert client.get(f"/rendez-vous/{mine}").status_code == 200
    assert client.get(f"/rendez-vous/?agent={remote.id}").status_code == 403
    assert client.get(f"/rendez-vous/{theirs}").status_code == 403


@pytest.mark.parametrize("role", ["advisor", "partner", "airport", "admin"])
def test_roles_without_a_calendar(client, login, role):
    login(role)
    assert client.get("/rendez-vous/").status_code == 403
    assert client.get("/rendez-vous/disponibilites").status_code == 403


def test_booking_in_the_past_is_refused(app, agent):
    from casework.appointments.slots import SlotRef

    with app.app_context():
        case = helpers.create_case(agent.id)
        before = db.session.scalar(select(func.count()).select_from(Appointment))
        past = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        user = db.session.get(User, agent.id)
        with pytest.raises(operations.SlotUnavailable):
            operations.book_for_case(
                user,
                db.session.get(Case, case.id),
                SlotRef(agent.id, user.service_point_id, past),
                "follow_up",
                "in_person",
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == before


def test_overlapping_appointments_cannot_both_claim(app, agent):
    """Two bookings a quarter hour apart overlap: the database refuses the second."""
    with app.app_context():
        user = db.session.get(User, agent.id)
        first_case = db.session.get(Case, helpers.create_case(agent.id).id)
        slot = find_slots(
            SlotQuery(duration=timedelta(minutes=90), mode="in_person", agent_id=agent.id), 1
        )[0]
        operations.book_for_case(user, first_case, _ref(slot), "first_interview", "in_person")
        db.session.commit()
        second_case = db.session.get(Case, helpers.create_case(agent.id).id)
        overlapping = Appointment(
            case=second_case,
            agent_id=agent.id,
            region_id=second_case.region_id,
            service_point_id=slot.service_point_id,
            type=operations.appointment_type("follow_up"),
            mode="in_person",
            starts_at=slot.starts_at + timedelta(minutes=30),
            ends_at=slot.starts_at + timedelta(minutes=75),
            channel="agent",
            booked_by_id=agent.id,
        )
        db.session.add(overlapping)
        query = SlotQuery(duration=timedelta(minutes=45), mode="in_person", agent_id=agent.id)
        with pytest.raises(operations.SlotUnavailable):
            operations._claim(overlapping, query)


def test_now_is_compared_in_utc(app):
    assert isinstance(utcnow(), datetime) and utcnow().tzinfo is None


def test_slot_pickers_carry_one_slot_field(app, client, agent):
    appointment_id = book_one(app, agent)
    with app.app_context():
        case_id = db.session.get(Appointment, appointment_id).case_id
    pages = [
        client.get(f"/rendez-vous/{appointment_id}/deplacer").text,
        helpers.post_form(
            client,
            f"/rendez-vous/dossier/{case_id}/reserver",
            {"type_code": "follow_up", "mode": "in_person", "step": "search"},
        ).text,
    ]
    for html in pages:
        assert html.count('name="slot"') == len(SLOT.findall(html)) > 0


def test_reminder_follows_the_appointment(app, client, agent):
    from casework.reminders.models import Reminder

    appointment_id = book_one(app, agent)

    def reminder_status() -> str | None:
        with app.app_context():
            return db.session.scalar(
                select(Reminder.status).where(
                    Reminder.subject_type == "appointment", Reminder.subject_id == appointment_id
                )
            )

    assert reminder_status() not in (None, "cancelled")
    cancelled = helpers.post_form(
        client, f"/rendez-vous/{appointment_id}/annuler", {"version": 1, "reason": "moved"}
    )
    assert cancelled.status_code == 302
    assert reminder_status() == "cancelled"


def test_a_token_cannot_widen_the_booking_to_another_agent(app, client, agent, make_user):
    """The slot comes from the browser: it may not name a colleague's time for my case."""
    colleague = make_user(role="agent", region="06")
    with app.app_context():
        open_every_day(colleague.id)
        case = helpers.create_case(agent.id)
        theirs = find_slots(
            SlotQuery(duration=timedelta(minutes=45), mode="in_person", agent_id=colleague.id), 1
        )[0]
    response = helpers.post_form(
        client,
        f"/rendez-vous/dossier/{case.id}/reserver",
        {"type_code": "follow_up", "mode": "in_person", "step": "book", "slot": theirs.token},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize("day", ["9999-12-01", "0001-01-01"])
def test_far_away_dates_are_refused_not_crashed(app, client, agent, day):
    appointment_id = book_one(app, agent)
    with app.app_context():
        case_id = db.session.get(Appointment, appointment_id).case_id
    booking = helpers.post_form(
        client,
        f"/rendez-vous/dossier/{case_id}/reserver",
        {"type_code": "follow_up", "mode": "in_person", "step": "search", "not_before": day},
    )
    moving = helpers.post_form(
        client,
        f"/rendez-vous/{appointment_id}/deplacer",
        {"step": "search", "not_before": day, "version": 1},
    )
    absence = helpers.post_form(
        client,
        "/rendez-vous/disponibilites/exceptions",
        {"exception-starts_on": day, "exception-ends_on": day, "exception-kind": "leave"},
        token_from="/rendez-vous/disponibilites",
    )
    for response in (booking, moving, absence):
        assert response.status_code == 400 and "Vérifiez cette date" in response.text


@pytest.mark.parametrize(
    "token", ["²-1-203001071400", "1-²-203001071400", "1-1-２０３００１０７１４００"]
)
def test_unicode_digits_in_a_token_are_refused(token):
    from casework.appointments.slots import SlotRef

    assert SlotRef.parse(token) is None


def test_a_transferred_case_takes_its_upcoming_appointments_along(app, client, agent, make_user):
    from casework.cases import operations as cases

    successor = make_user(role="agent", region="06")
    with app.app_context():
        open_every_day(successor.id)
    appointment_id = book_one(app, agent)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        case = appointment.case
        transfer = cases.request_transfer(
            db.session.get(User, agent.id), case, db.session.get(User, successor.id), "Départ"
        )
        db.session.commit()
        cases.answer_transfer(db.session.get(User, successor.id), transfer, accept=True)
        db.session.commit()
        moved = db.session.get(Appointment, appointment_id)
        assert moved.agent_id == successor.id
        owners = set(
            db.session.scalars(
                select(SlotClaim.agent_id).where(SlotClaim.appointment_id == appointment_id)
            )
        )
        assert owners == {successor.id}
    assert client.get(f"/rendez-vous/{appointment_id}").status_code == 403


def test_a_busy_successor_leaves_the_appointment_with_the_previous_agent(app, agent, make_user):
    from casework.appointments.slots import SlotRef
    from casework.cases import operations as cases

    successor = make_user(role="agent", region="06")
    with app.app_context():
        open_every_day(successor.id)
    appointment_id = book_one(app, agent)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        busy_case = db.session.get(Case, helpers.create_case(successor.id).id)
        operations.book_for_case(
            db.session.get(User, successor.id),
            busy_case,
            SlotRef(successor.id, appointment.service_point_id, appointment.starts_at),
            "follow_up",
            "in_person",
        )
        transfer = cases.request_transfer(
            db.session.get(User, agent.id),
            appointment.case,
            db.session.get(User, successor.id),
            "Départ",
        )
        db.session.commit()
        cases.answer_transfer(db.session.get(User, successor.id), transfer, accept=True)
        db.session.commit()
        assert db.session.get(Appointment, appointment_id).agent_id == agent.id


def test_upcoming_lists_a_meeting_in_progress_until_it_ends(app, agent):
    appointment_id = book_one(app, agent)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        during = appointment.starts_at + timedelta(minutes=30)
        after = appointment.ends_at + timedelta(minutes=1)
        before = appointment.starts_at - timedelta(days=3)
        assert [a.id for a in operations.upcoming(agent.id, now=before)] == [appointment_id]
        assert [a.id for a in operations.upcoming(agent.id, now=during)] == [appointment_id]
        assert operations.upcoming(agent.id, now=after) == []
