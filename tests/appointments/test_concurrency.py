"""Two counters book the same slot at the same instant: exactly one booking wins.

Runs with real commits on a fresh database of the engine under test (SQLite file, or a
PostgreSQL database created for the test), with threads that each hold their own session.
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from casework.core.time import local_today
from tests import helpers
from tests.appointments.factories import open_every_day

pytestmark = pytest.mark.no_transaction
COUNTERS = 8


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    base = os.environ.get("CASEWORK_TEST_DATABASE_URL")
    name = f"casework_race_{uuid.uuid4().hex[:8]}"
    if base:
        admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    from casework.app import create_app
    from casework.extensions import db
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade_schema()
        load_reference_data(app.config["SEED_DIR"])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if base:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _intake(number: int, region_id: int):
    from casework.appointments.operations import AirportIntake

    return AirportIntake(
        given_names=f"Personne{number}",
        family_name=f"Course{number}",
        date_of_birth=None,
        arrival_date=local_today(),
        flight_type="international",
        immigration_category="economic",
        destination_region_id=region_id,
        destination_city=None,
        preferred_language="fr",
        interpreter_needed=False,
        interpreter_language=None,
        phone=f"514 555-01{number:02d}",
        email=None,
        contact_consent=True,
    )


def test_exactly_one_of_simultaneous_bookings_wins(fresh_app):
    from casework.appointments import operations
    from casework.appointments.models import AirportBooking, Appointment, SlotClaim
    from casework.appointments.slots import SlotQuery, SlotRef, find_slots
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.extensions import db

    with fresh_app.app_context():
        agent = helpers.create_user("agent", region="06")
        staff = helpers.create_user("airport", region="06")
        open_every_day(agent.id)
        slot = find_slots(
            SlotQuery(duration=timedelta(minutes=90), mode="in_person", agent_id=agent.id), 1
        )[0]
        ref = SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at)
        region_id = agent.region_id
    barrier = threading.Barrier(COUNTERS)
    outcomes: list[str] = []

    def counter(number: int) -> None:
        with fresh_app.app_context():
            intake = _intake(number, region_id)
            # Nothing touches the database before the barrier: on SQLite every transaction
            # takes the write lock, and a thread holding it at the barrier would stall the rest.
            barrier.wait(timeout=60)
            try:
                actor = db.session.get(User, staff.id)
                operations.book_from_airport(actor, intake, ref, "in_person")
                db.session.commit()
                outcomes.append("booked")
            except operations.SlotUnavailable:
                db.session.rollback()
                outcomes.append("taken")
            except Exception as error:
                db.session.rollback()
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(COUNTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["taken"] * (COUNTERS - 1), outcomes
    with fresh_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
        assert db.session.scalar(select(func.count()).select_from(AirportBooking)) == 1
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1  # losers left nothing
        assert db.session.scalar(select(func.count()).select_from(SlotClaim)) == 6
