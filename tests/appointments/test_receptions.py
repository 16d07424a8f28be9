"""Issue 18, point 7: the airport looks after government-assisted and privately sponsored
(parrainage collectif) refugees until they leave for their host city."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from casework.appointments.models import AirportBooking, AirportReception
from casework.core.audit import AuditEvent
from casework.core.time import local_today
from casework.extensions import db
from casework.reference.models import Region
from tests import helpers
from tests.appointments.factories import open_every_day
from tests.appointments.test_airport import book, first_slot, intake, search

RECEPTIONS = "/aeroport/accueils"


def region_id(app, code: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Region.id).where(Region.code == code)))


def reception(app, **overrides) -> dict:
    values = {
        "given_names": "Yusuf",
        "family_name": "Haddad",
        "immigration_category": "psr",
        "arrival_date": local_today().isoformat(),
        "destination_region_id": region_id(app, "05"),
        "destination_city": "Magog",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def receptions_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AirportReception))


def test_a_sponsored_refugee_is_welcomed_then_leaves_without_a_booking(app, client, login):
    login("airport", region="06")
    response = helpers.post_form(client, RECEPTIONS, reception(app))
    assert response.status_code == 302
    page = unescape(client.get(RECEPTIONS).get_data(as_text=True))
    assert "Yusuf Haddad" in page and "Partie pour Magog" in page
    assert "Personne réfugiée parrainée (parrainage collectif)" in page
    with app.app_context():
        welcomed = db.session.scalars(select(AirportReception)).one()
        assert welcomed.in_care and welcomed.host_city == "Magog"
        assert db.session.scalar(select(func.count()).select_from(AirportBooking)) == 0
        ident, version = welcomed.id, welcomed.version
    left = helpers.post_form(
        client, f"{RECEPTIONS}/{ident}/depart", {"version": str(version)}, token_from=RECEPTIONS
    )
    assert left.status_code == 302
    with app.app_context():
        gone = db.session.get(AirportReception, ident)
        assert gone.left_at is not None and not gone.in_care
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_type == "airport_reception")
            )
        )
        assert actions == {"airport_reception.welcomed", "airport_reception.left"}
    again = helpers.post_form(
        client,
        f"{RECEPTIONS}/{ident}/depart",
        {"version": str(version + 1)},
        token_from=RECEPTIONS,
    )
    assert again.status_code == 302  # refused, the message flashed; still left once
    assert "déjà partie" in unescape(client.get(RECEPTIONS).get_data(as_text=True))


def test_a_government_assisted_refugee_goes_to_a_host_city(app, client, login):
    login("airport", region="06")
    data = reception(
        app,
        immigration_category="gar",
        destination_region_id=region_id(app, "05"),
        host_city="Sherbrooke",
        destination_city=None,
    )
    assert helpers.post_form(client, RECEPTIONS, data).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AirportReception.host_city)).one() == "Sherbrooke"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"immigration_category": "economic"}, "seulement"),
        ({"destination_city": None}, "personnes garantes"),
        ({"immigration_category": "gar", "host_city": "Laval"}, "pas dans la région"),
        ({"immigration_category": "gar"}, "choisissez-la"),
        ({"arrival_date": (local_today() - timedelta(days=90)).isoformat()}, "arrivée"),
        ({"destination_region_id": "999999"}, "région de destination"),
        ({"given_names": ""}, "obligatoire"),
    ],
)
def test_bad_reception_is_refused_and_stores_nothing(app, client, login, overrides, message):
    login("airport", region="06")
    response = helpers.post_form(client, RECEPTIONS, reception(app, **overrides))
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert receptions_count(app) == 0


def test_only_the_airport_team_sees_the_receptions(app, client, login):
    login("agent", region="06")
    assert client.get(RECEPTIONS).status_code == 403


def test_the_console_books_a_sponsored_refugee_for_the_sponsors_city(app, client, login):
    with app.app_context():
        agent = helpers.create_user("agent", region="05")
        open_every_day(agent.id, point_code="DR-EST")
    login("airport", region="06")
    data = intake(
        app,
        immigration_category="psr",
        destination_region_id=region_id(app, "05"),
        destination_city="Magog",
    )
    slot = first_slot(search(client, data).get_data(as_text=True))
    assert book(client, data, slot).status_code == 302
    with app.app_context():
        booking = db.session.scalars(select(AirportBooking)).one()
        assert booking.is_refugee_arrival and booking.host_city == "Magog"
    refused = search(client, {**data, "destination_city": ""})
    assert "personnes garantes" in unescape(refused.get_data(as_text=True))
