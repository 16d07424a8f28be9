"""Expected arrivals (issue 22): posted through the API by the ministry's system with an
Idempotency-Key, listed on the airport console, turned into a case and a booking in one step,
purged by the retention job."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from casework.appointments.models import AirportBooking, ExpectedArrival
from casework.core.audit import AuditEvent
from casework.core.roles import Role
from casework.extensions import db
from tests import helpers
from tests.appointments.factories import open_every_day

URL = "/api/v1/arrivals"
SLOT = re.compile(r'name="slot" id="slot-\d+" value="([0-9-]+)"')


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def body(**overrides) -> dict:
    values = {
        "given_names": "Amina",
        "family_name": "Diallo",
        "date_of_birth": "1994-02-03",
        "flight_number": "AC 871",
        "flight_type": "international",
        "arrives_at": iso(datetime.now(UTC) + timedelta(hours=5)),
        "immigration_category": "economic",
        "destination_region": "06",
        "destination_city": "Montréal",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


@pytest.fixture
def ministry(issue_token, make_user):
    """The ministry's system: an airport account's token with the arrivals:write scope only."""
    return issue_token(user=make_user(role="airport"), scopes=("arrivals:write",))


def post(client, token, data, key="key-1", **headers):
    sent = {**token.headers, **headers}
    if key is not None:
        sent["Idempotency-Key"] = key
    return client.post(URL, json=data, headers=sent)


def arrivals_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ExpectedArrival))


# --- Who may post ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_allowed_or_refused(role, app, client, issue_token, make_user):
    token = issue_token(user=make_user(role=role), scopes=("arrivals:write",))
    response = post(client, token, body(), key=f"role-{role}")
    if role in ("airport", "admin"):
        assert response.status_code == 201, response.json
        assert response.json["status"] == "expected"
        assert response.json["arrives_at"].endswith("Z")
    else:
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"


def test_out_of_scope_tokens_are_refused(app, client, issue_token, make_user):
    partner = issue_token(organisation="promis", scopes=("arrivals:write",))
    assert post(client, partner, body()).status_code == 403
    without = issue_token(user=make_user(role="airport"), scopes=("reference:read",))
    response = post(client, without, body())
    assert response.status_code == 403 and "arrivals:write" in response.json["detail"]
    assert arrivals_count(app) == 0


def test_posting_is_audited_with_the_token(app, client, ministry):
    response = post(client, ministry, body())
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "arrival.announced")
        )
        assert event.target_id == str(response.json["id"])
        assert event.details["api_token"] == ministry.id


# --- Idempotency -----------------------------------------------------------------------------


def test_same_key_same_body_gives_the_same_answer_once(app, client, ministry):
    data = body()
    first = post(client, ministry, data, key="arrival-42")
    second = post(client, ministry, data, key="arrival-42")
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert arrivals_count(app) == 1


def test_same_key_other_body_is_refused(app, client, ministry):
    assert post(client, ministry, body(), key="arrival-43").status_code == 201
    response = post(client, ministry, body(family_name="Traoré"), key="arrival-43")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == "Idempotency-Key"
    assert arrivals_count(app) == 1


def test_the_same_person_under_a_new_key_is_not_recorded_twice(app, client, ministry):
    data = body()
    first = post(client, ministry, data, key="a")
    again = post(client, ministry, data, key="b")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert arrivals_count(app) == 1


def test_the_key_is_required_and_well_formed(app, client, ministry):
    missing = post(client, ministry, body(), key=None)
    assert missing.status_code == 400
    assert missing.json["errors"][0]["field"] == "Idempotency-Key"
    bad = post(client, ministry, body(), key="x" * 201)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "Idempotency-Key"
    assert arrivals_count(app) == 0


def test_keys_are_kept_in_the_database_with_an_expiry(app, client, ministry):
    from casework.api.models import ApiIdempotentAnswer
    from casework.api.web import IDEMPOTENCY_WINDOW

    post(client, ministry, body(), key="kept")
    with app.app_context():
        stored = db.session.scalar(
            select(ApiIdempotentAnswer).where(ApiIdempotentAnswer.key == "kept")
        )
        assert stored.status == 201 and stored.token_id == ministry.id
        stored.created_at -= IDEMPOTENCY_WINDOW + timedelta(minutes=1)
        db.session.commit()
    post(client, ministry, body(family_name="Autre"), key="other")  # sweeps expired keys
    with app.app_context():
        keys = set(db.session.scalars(select(ApiIdempotentAnswer.key)))
    assert "kept" not in keys and "other" in keys


# --- Bad input -------------------------------------------------------------------------------


def _field(response) -> list[str]:
    assert response.status_code == 400, response.json
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.text and response.json["reference"]
    return [item["field"] for item in response.json["errors"]]


def test_malformed_json(client, ministry):
    response = client.post(
        URL,
        data="{not json",
        content_type="application/json",
        headers={**ministry.headers, "Idempotency-Key": "m"},
    )
    assert _field(response)[0] in ("body", "")


def test_wrong_content_type(client, ministry):
    response = client.post(
        URL, data="given_names=A", headers={**ministry.headers, "Idempotency-Key": "c"}
    )
    assert _field(response) == ["Content-Type"]


def test_unknown_field_is_named(client, ministry):
    response = post(client, ministry, body(passport="X123"))
    assert _field(response) == ["passport"]
    assert response.json["errors"][0]["detail"] == "Champ inconnu."


def test_missing_field_is_named(client, ministry):
    assert _field(post(client, ministry, body(flight_number=None))) == ["flight_number"]


def test_time_without_zone_and_bad_values_are_named(client, ministry):
    fields = _field(
        post(
            client,
            ministry,
            body(arrives_at="2026-12-24T14:05:00", immigration_category="tourist"),
        )
    )
    assert set(fields) == {"arrives_at", "immigration_category"}


def test_field_messages_are_in_french(client, ministry):
    response = post(client, ministry, body(flight_number="vol 12", immigration_category="x"))
    details = {item["field"]: item["detail"] for item in response.json["errors"]}
    assert details == {
        "flight_number": "Format non conforme.",
        "immigration_category": "Choix non valide.",
    }


def test_an_arrival_long_past_or_far_ahead_is_refused(app, client, ministry):
    now = datetime.now(UTC)
    past = post(client, ministry, body(arrives_at=iso(now - timedelta(days=3))), key="p")
    assert _field(past) == ["arrives_at"]
    ahead = post(client, ministry, body(arrives_at=iso(now + timedelta(days=400))), key="f")
    assert _field(ahead) == ["arrives_at"]
    # a flight landed an hour ago (a late message) is still expected
    recent = post(client, ministry, body(arrives_at=iso(now - timedelta(hours=1))), key="r")
    assert recent.status_code == 201
    # another time zone is converted to UTC
    montreal = datetime.now(UTC).astimezone(ZoneInfo("America/Toronto")) + timedelta(days=1)
    zoned = post(client, ministry, body(arrives_at=iso(montreal), family_name="Z"), key="z")
    assert zoned.json["arrives_at"] == montreal.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_unknown_region_and_impossible_birth_date(client, ministry):
    fields = _field(
        post(client, ministry, body(destination_region="99", date_of_birth="2999-01-01"))
    )
    assert set(fields) == {"destination_region", "date_of_birth"}


def test_a_token_in_the_query_string_is_refused(client, ministry):
    response = client.post(
        f"{URL}?access_token={ministry.secret}", json=body(), headers={"Idempotency-Key": "q"}
    )
    assert _field(response) == ["access_token"]


def test_the_openapi_document_describes_it(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/arrivals"]["post"]
    assert {"201", "200", "400", "403", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"bearerAuth": ["arrivals:write"]}]
    key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert key["required"] is True
    schema = spec["components"]["schemas"]["ArrivalIn"]
    assert schema["additionalProperties"] is False
    assert {"given_names", "date_of_birth", "flight_number", "arrives_at"} <= set(
        schema["required"]
    )


# --- The console -----------------------------------------------------------------------------


def announce(app, hours: float, family_name: str = "Diallo", **overrides) -> int:
    from casework.appointments import arrivals

    fields = {
        **body(family_name=family_name),
        "arrives_at": (datetime.now(UTC) + timedelta(hours=hours)).replace(tzinfo=None),
        "date_of_birth": datetime(1994, 2, 3).date(),
        **overrides,
    }
    with app.app_context():
        arrival, _created = arrivals.announce(None, arrivals.ArrivalFields(**fields))
        db.session.commit()
        return arrival.id


def test_the_console_lists_them_upcoming_first_and_audits_the_read(app, client, login):
    counter = login("airport", region="06")
    empty = client.get("/aeroport/arrivees-attendues")
    assert empty.status_code == 200
    assert "Aucune arrivée attendue" in unescape(empty.get_data(as_text=True))
    announce(app, 30, "Lointain")
    announce(app, 2, "Bientot")
    announce(app, -40, "Passe")  # landed yesterday or so, not received: listed last
    html = client.get("/aeroport/arrivees-attendues").get_data(as_text=True)
    order = [html.index(name) for name in ("Bientot", "Lointain", "Passe")]
    assert order == sorted(order)
    assert "Ouvrir le dossier et réserver" in unescape(html)
    assert unescape(html).count("Arrivée un jour précédent, pas encore accueillie") == 1
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "arrivals.listed", AuditEvent.actor_id == counter.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert len(event.details["arrival_ids"]) == 3


def test_only_the_airport_team_sees_the_list(app, client, login):
    arrival_id = announce(app, 3)
    login("agent")
    assert client.get("/aeroport/arrivees-attendues").status_code == 403
    assert client.get(f"/aeroport/arrivees-attendues/{arrival_id}").status_code == 403


def test_the_list_is_paginated_in_bounded_queries(app, client, login, count_queries):
    login("airport", region="06")
    for index in range(30):
        announce(app, 1 + index, f"Personne{index:02d}")
    with count_queries() as counter:
        first = client.get("/aeroport/arrivees-attendues")
    html = first.get_data(as_text=True)
    assert html.count('class="card arrival"') == 25 and "Personne00" in html
    assert counter.count <= 20
    second = client.get("/aeroport/arrivees-attendues?page=2").get_data(as_text=True)
    assert second.count('class="card arrival"') == 5 and "Personne29" in second


def test_create_case_and_booking_from_an_arrival(app, client, login):
    with app.app_context():
        agent = helpers.create_user("agent", region="06")
        open_every_day(agent.id, point_code="DR-MTL")
    counter = login("airport", region="06")
    arrival_id = announce(app, 2)
    page = client.get(f"/aeroport/arrivees-attendues/{arrival_id}")
    assert page.status_code == 200
    fields = helpers.form_fields(page.get_data(as_text=True), "airport-console")
    assert fields["given_names"] == "Amina" and fields["family_name"] == "Diallo"
    assert fields["date_of_birth"] == "1994-02-03" and fields["arrival_id"] == str(arrival_id)
    data = {
        **{k: v for k, v in fields.items() if k not in ("csrf_token", "step")},
        "preferred_language": "fr",
        "phone": "514 555-0101",
        "contact_consent": "y",
        "mode": "in_person",
    }
    found = helpers.post_form(client, "/aeroport/", {**data, "step": "search"})
    assert found.status_code == 200, found.get_data(as_text=True)
    slot = SLOT.search(found.get_data(as_text=True)).group(1)
    booked = helpers.post_form(client, "/aeroport/", {**data, "step": "book", "slot": slot})
    assert booked.status_code == 302, booked.get_data(as_text=True)
    with app.app_context():
        arrival = db.session.get(ExpectedArrival, arrival_id)
        booking = db.session.get(AirportBooking, arrival.booking_id)
        assert arrival.status == "received" and arrival.received_by_id == counter.id
        assert arrival.case_id == booking.appointment.case_id
        assert booking.appointment.case.person.family_name == "Diallo"
        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == counter.id))
        )
        assert {"arrival.viewed", "arrival.received", "case.opened"} <= actions
    # received: off the list, and cannot be booked twice
    html = client.get("/aeroport/arrivees-attendues").get_data(as_text=True)
    assert f"/aeroport/arrivees-attendues/{arrival_id}" not in html
    again = client.get(f"/aeroport/arrivees-attendues/{arrival_id}")
    assert again.status_code == 302
    twice = helpers.post_form(client, "/aeroport/", {**data, "step": "book", "slot": slot})
    assert twice.status_code in (400, 409)


# --- Retention -------------------------------------------------------------------------------


def test_retention_purges_arrivals_past_the_period(app):
    from casework.reminders import tasks

    old = announce(app, -1)
    recent = announce(app, 3, "Recent")
    with app.app_context():
        later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=30, hours=2)
        counts = tasks.retention(now=later)
        assert counts["arrivals_expected"] == 1
        assert db.session.get(ExpectedArrival, old) is None
        assert db.session.get(ExpectedArrival, recent) is not None
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "retention.arrivals")
        ).details == {"arrivals_expected": 1}


@pytest.mark.parametrize("value", ["99999999999999999999", "-4", "abc", "999999"])
def test_a_forged_arrival_id_on_the_console_is_refused_cleanly(app, client, login, value):
    login("airport", region="06")
    response = helpers.post_form(
        client, "/aeroport/", {"given_names": "A", "arrival_id": value, "step": "search"}
    )
    assert response.status_code in (400, 404)


def test_the_demo_announces_its_expected_arrivals(app):
    from casework.appointments import arrivals
    from casework.core.time import local_today
    from casework.demo.appointments import CalendarTables, _expected_arrivals

    with app.app_context():
        assert _expected_arrivals(CalendarTables.read(), local_today()) == 5
        listed = [a.family_name for a in arrivals.listed(None, 1).items]
        assert listed[0] == "Benali" and listed[-1] == "Asante"  # yesterday's, not come: last
        db.session.rollback()
