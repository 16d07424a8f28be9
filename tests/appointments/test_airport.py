"""The airport console: quick intake, earliest slots, booking, slip and its bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from casework.appointments.models import AirportBooking, Appointment, AvailabilityWindow, SlotClaim
from casework.cases.models import Case, Consent, Person
from casework.core.audit import AuditEvent
from casework.core.time import local_today
from casework.extensions import db
from casework.reference.models import Region
from tests import helpers
from tests.appointments.factories import open_every_day

SLOT = re.compile(r'name="slot" id="slot-\d+" value="([0-9-]+)"')


@pytest.fixture
def agent(app):
    with app.app_context():
        record = helpers.create_user("agent", region="06")
        open_every_day(record.id, point_code="DR-MTL")
        return record


@pytest.fixture
def counter(login):
    return login("airport", region="06")


def _region_id(app, code: str = "06") -> int:
    with app.app_context():
        return db.session.scalar(select(Region.id).where(Region.code == code))


def intake(app, **overrides) -> dict:
    values = {
        "given_names": "Amina",
        "family_name": "Diallo",
        "date_of_birth": "1994-02-03",
        "arrival_date": local_today().isoformat(),
        "flight_type": "international",
        "immigration_category": "economic",
        "destination_region_id": str(_region_id(app)),
        "destination_city": "Montréal",
        "preferred_language": "fr",
        "phone": "514 555-0101",
        "contact_consent": "y",
        "mode": "in_person",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def search(client, data: dict):
    return helpers.post_form(client, "/aeroport/", {**data, "step": "search"})


def first_slot(html: str) -> str:
    match = SLOT.search(html)
    assert match, "no slot offered"
    return match.group(1)


def book(client, data: dict, slot: str):
    return helpers.post_form(client, "/aeroport/", {**data, "step": "book", "slot": slot})


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Person, Case, Appointment, AirportBooking)
        )


def test_console_shows_opening_hours_and_an_empty_day(client, counter):
    html = client.get("/aeroport/").get_data(as_text=True)
    assert "11 h 00 – minuit" in html and "7 h 00 – 23 h 00" in html
    assert not re.search(r"\b\d{1,2}:\d{2}\b", html)  # one time format: « 9 h 45 »
    assert "Aucune réservation aujourd'hui" in unescape(html)


def test_booking_creates_person_case_appointment_and_claims(app, client, agent, counter):
    data = intake(app)
    page = search(client, data)
    assert page.status_code == 200
    slot = first_slot(page.get_data(as_text=True))
    response = book(client, data, slot)
    assert response.status_code == 302, response.get_data(as_text=True)
    booking_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        booking = db.session.get(AirportBooking, booking_id)
        appointment = booking.appointment
        case = appointment.case
        assert (case.status, case.origin, case.agent_id) == ("new", "airport", agent.id)
        assert appointment.agent_id == agent.id and appointment.type.code == "first_interview"
        assert appointment.ends_at - appointment.starts_at == timedelta(minutes=90)
        claims = db.session.scalar(
            select(func.count()).where(SlotClaim.appointment_id == appointment.id)
        )
        assert claims == 6
        consents = db.session.scalars(select(Consent.purpose).where(Consent.case_id == case.id))
        assert set(consents) == {"contact_phone"}
        assert booking.booked_by_id == counter.id and booking.contact == "+15145550101"
        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == counter.id))
        )
        assert {"case.opened", "appointment.booked"} <= actions
    slip = client.get(f"/aeroport/reservations/{booking_id}")
    assert slip.status_code == 200 and "Amina Diallo" in slip.get_data(as_text=True)
    english = client.get(f"/aeroport/reservations/{booking_id}?langue=en").get_data(as_text=True)
    assert "Your first Accompagnement Québec appointment" in english
    console = client.get("/aeroport/").get_data(as_text=True)
    assert "Amina" in console  # today's bookings, under the staff member


def test_ics_file_is_valid_icalendar(app, client, agent, counter):
    data = intake(app)
    slot = first_slot(search(client, data).get_data(as_text=True))
    location = book(client, data, slot).headers["Location"]
    response = client.get(location + "/rendez-vous.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert re.search(r"DTSTART:\d{8}T\d{6}Z", body)
    assert "Amina" not in body  # the file names no one: it may sit in any calendar
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_refugee_arrival_is_flagged_with_host_city(app, client, agent, counter):
    data = intake(app, immigration_category="gar", destination_region_id=str(_region_id(app, "13")))
    missing = search(client, data)
    assert missing.status_code == 400
    assert "choisissez-la" in unescape(missing.get_data(as_text=True))
    laval = intake(
        app,
        immigration_category="gar",
        destination_region_id=str(_region_id(app, "13")),
        host_city="Laval",
    )
    with app.app_context():
        laval_agent = helpers.create_user("agent", region="13")
        open_every_day(laval_agent.id, point_code="ANT-LAVAL")
    slot = first_slot(search(client, laval).get_data(as_text=True))
    response = book(client, laval, slot)
    assert response.status_code == 302
    html = client.get("/aeroport/").get_data(as_text=True)
    assert "Laval" in html
    with app.app_context():
        booking = db.session.scalars(select(AirportBooking)).one()
        assert booking.is_refugee_arrival and booking.host_city == "Laval"
        assert booking.appointment.case.person.destination_city == "Laval"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"destination_region_id": "999999"}, "gion"),
        ({"arrival_date": (local_today() + timedelta(days=30)).isoformat()}, "arriv"),
        ({"arrival_date": (local_today() - timedelta(days=90)).isoformat()}, "arriv"),
        ({"contact_consent": None}, "consent"),
        ({"phone": None}, "courriel"),
        ({"flight_type": "charter"}, "vol"),
        ({"given_names": ""}, "obligatoire"),
    ],
)
def test_bad_intake_is_refused_and_creates_nothing(app, client, agent, counter, overrides, message):
    data = intake(app, **overrides)
    before = counts(app)
    for step in ("search", "book"):
        response = helpers.post_form(
            client, "/aeroport/", {**data, "step": step, "slot": "1-1-202701011200"}
        )
        assert response.status_code == 400
        assert message in unescape(response.get_data(as_text=True)).lower()
    assert counts(app) == before


def test_slot_taken_meanwhile_shows_next_free_slots(app, client, agent, counter):
    data = intake(app)
    slot = first_slot(search(client, data).get_data(as_text=True))
    assert book(client, data, slot).status_code == 302
    before = counts(app)
    again = book(client, intake(app, given_names="Karim", family_name="Benali"), slot)
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert "déjà pris. Choisissez l'un des prochains créneaux libres" in unescape(html)
    assert first_slot(html) != slot  # the next free ones are offered
    assert counts(app) == before


def test_past_and_outside_availability_are_refused(app, client, agent, counter):
    data = intake(app)
    slot = first_slot(search(client, data).get_data(as_text=True))
    agent_id, point, stamp = slot.split("-")
    past = f"{agent_id}-{point}-200001031500"
    night = f"{agent_id}-{point}-{stamp[:8]}0700"  # 2:00 or 3:00 in Montréal
    before = counts(app)
    for bad in (past, night, "garbage", f"{agent_id}-{point}-{stamp[:10]}07"):
        response = book(client, data, bad)
        assert response.status_code == 400, bad
    assert counts(app) == before


def test_duplicate_needs_an_explicit_check(app, client, agent, counter):
    with app.app_context():
        helpers.create_case(agent.id, given_names="Amina", family_name="Diallo")
    data = intake(app, date_of_birth="1988-05-17")
    page = search(client, data)
    html = page.get_data(as_text=True)
    assert "1 dossier existant ressemble à cette personne" in html
    slot = first_slot(html)
    before = counts(app)
    refused = book(client, data, slot)
    assert refused.status_code == 400 and counts(app) == before
    confirmed = book(client, {**data, "duplicates_checked": "y"}, slot)
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AirportBooking)).one().possible_duplicates == 1


def test_airport_staff_never_open_the_case_file(app, client, agent, counter):
    data = intake(app)
    slot = first_slot(search(client, data).get_data(as_text=True))
    book(client, data, slot)
    with app.app_context():
        appointment = db.session.scalars(select(Appointment)).one()
        case_id, appointment_id = appointment.case_id, appointment.id
    assert client.get(f"/dossiers/{case_id}").status_code == 403
    assert client.get(f"/rendez-vous/{appointment_id}").status_code == 403
    assert client.get("/rendez-vous/").status_code == 403


@pytest.mark.parametrize("role", ["agent", "advisor", "partner", "supervisor", "admin"])
def test_other_roles_cannot_use_the_console(client, login, role):
    login(role)
    assert client.get("/aeroport/").status_code == 403
    assert client.get("/aeroport/reservations/1").status_code == 403


def test_language_narrows_slots_only_when_an_interpreter_is_needed(app, client, agent, counter):
    english = intake(app, preferred_language="en")
    slot = first_slot(search(client, english).get_data(as_text=True))
    assert book(client, english, slot).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Appointment)).one().interpreter_language is None
    spanish = intake(app, given_names="Lucía", interpreter_needed="y", interpreter_language="es")
    page = search(client, spanish).get_data(as_text=True)
    assert SLOT.search(page) is None  # the agent has no Spanish interpreter, on site or remote
    with app.app_context():
        window = db.session.scalars(
            select(AvailabilityWindow).where(AvailabilityWindow.agent_id == agent.id)
        ).first()
        window.interpreter_languages = ["es"]
        db.session.commit()
    assert SLOT.search(search(client, spanish).get_data(as_text=True))


def test_the_only_slot_field_is_the_choice(app, client, agent, counter):
    """A browser sends every field of the form: a second, hidden « slot » would shadow the choice."""
    html = search(client, intake(app)).get_data(as_text=True)
    assert html.count('name="slot"') == len(SLOT.findall(html)) > 0


def test_console_queries_do_not_grow_with_todays_bookings(
    app, client, agent, counter, count_queries
):
    def book_someone(number: int) -> None:
        data = intake(
            app,
            given_names=f"Personne{number}",
            family_name=f"Arrivée{number}",
            duplicates_checked="y",
        )
        book(client, data, first_slot(search(client, data).get_data(as_text=True)))

    book_someone(1)
    with count_queries() as few:
        client.get("/aeroport/")
    for number in range(2, 6):
        book_someone(number)
    with count_queries() as many:
        page = client.get("/aeroport/").get_data(as_text=True)
    assert "Personne5" in page
    assert many.count == few.count


def test_a_slip_shows_what_the_counter_booked_and_only_to_its_author(
    app, client, agent, counter, make_user
):
    data = intake(app)
    location = book(client, data, first_slot(search(client, data).get_data(as_text=True))).headers[
        "Location"
    ]
    before = client.get(location).get_data(as_text=True)
    with app.app_context():
        appointment = db.session.scalars(select(Appointment)).one()
        booked_at = appointment.starts_at
        # The agent moves it and then cancels it: that is the case file's business, not the counter's.
        appointment.starts_at += timedelta(days=2)
        appointment.ends_at += timedelta(days=2)
        appointment.status = "cancelled"
        db.session.commit()
        booking = db.session.scalars(select(AirportBooking)).one()
        assert booking.starts_at == booked_at
    after = client.get(location).get_data(as_text=True)
    assert after == before
    assert "annulé" not in client.get("/aeroport/").get_data(as_text=True).lower()
    colleague, other = make_user(role="airport", region="06"), app.test_client()
    helpers.login(other, colleague.username, colleague.password)
    assert other.get(location).status_code == 403
    assert other.get(location + "/rendez-vous.ics").status_code == 403
    assert "Amina" in other.get("/aeroport/").get_data(as_text=True)  # today's list, unlinked


def _point_id(app, code: str) -> int:
    from casework.reference.models import ServicePoint

    with app.app_context():
        return db.session.scalar(select(ServicePoint.id).where(ServicePoint.code == code))


def test_the_search_lands_on_the_slots_with_the_first_one_focused(app, client, agent, counter):
    page = client.get("/aeroport/").text
    assert 'action="/aeroport/#creneaux"' in page
    html = search(client, intake(app)).text
    assert '<fieldset class="slot-picker" id="creneaux">' in html
    first = re.search(r'<input type="radio" name="slot" id="slot-1"[^>]*>', html).group(0)
    assert "autofocus" in first and "checked" in first
    assert 'id="given_names"' in html and "autofocus" not in html.split('id="creneaux"')[0]


def test_service_points_follow_the_destination_region(app, client, agent, counter):
    montreal, laval = _point_id(app, "DR-MTL"), _point_id(app, "ANT-LAVAL")
    page = client.get("/aeroport/").text
    select_html = page.split('id="service_point_id"')[1].split("</select>")[0]
    assert f'value="{montreal}"' in select_html and f'value="{laval}"' in select_html
    assert "js/airport.js" in page and 'id="service-point-options"' in page
    # After a search for Montréal (06), only Montréal's points are offered, without a script.
    html = search(client, intake(app)).text
    select_html = html.split('id="service_point_id"')[1].split("</select>")[0]
    assert f'value="{montreal}"' in select_html and f'value="{laval}"' not in select_html
    # A point of another region is refused with a message, and nothing is booked.
    before = counts(app)
    refused = search(client, intake(app, service_point_id=str(laval)))
    assert refused.status_code == 400
    assert "Choisissez un point de service de la région de destination" in unescape(refused.text)
    assert counts(app) == before


def test_the_slip_gives_the_address_phone_and_directions(app, client, agent, counter):
    data = intake(app)
    response = book(client, data, first_slot(search(client, data).text))
    slip = unescape(client.get(response.headers["Location"]).text)
    assert "285, rue Notre-Dame Ouest" in slip and "514 555-0101" in slip
    assert "Pour s'y rendre" in slip and "Métro Place-d'Armes" in slip
    assert "appelez le point de service au 514 555-0101" in slip
    assert not re.search(r"\b\d{1,2}:\d{2}\b", slip)
    english = unescape(client.get(response.headers["Location"] + "?langue=en").text)
    assert "How to get there" in english and "rue Saint-Urbain exit" in english
