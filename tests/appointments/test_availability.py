"""Weekly availability, absences and appointment types, through the UI."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casework.appointments.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityWindow,
)
from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers
from tests.appointments.factories import service_point

PATH = "/rendez-vous/disponibilites"


def window_data(app, **overrides) -> dict:
    with app.app_context():
        point_id = service_point("DR-MTL").id
    values = {
        "window-weekday": "1",
        "window-starts_at": "08:30",
        "window-ends_at": "12:00",
        "window-service_point_id": str(point_id),
        "window-modes": ["in_person", "video"],
        "window-interpreter_languages": ["es"],
        "window-remote_interpretation": "y",
    }
    values.update(overrides)
    return values


def add_window(client, data, agent_id=None):
    suffix = f"?agent={agent_id}" if agent_id else ""
    return helpers.post_form(client, f"{PATH}/periodes{suffix}", data, token_from=PATH + suffix)


def test_agent_adds_and_removes_a_weekly_period(app, client, login):
    agent = login("agent", region="06")
    assert "Aucune disponibilité hebdomadaire" in client.get(PATH).text
    assert add_window(client, window_data(app)).status_code == 302
    with app.app_context():
        window = db.session.scalars(select(AvailabilityWindow)).one()
        assert (window.agent_id, window.weekday, window.modes) == (
            agent.id,
            1,
            ["in_person", "video"],
        )
        assert window.remote_interpretation and window.interpreter_languages == ["es"]
        window_id = window.id
    page = client.get(PATH).text
    assert "8 h 30 – 12 h 00" in page and "Mardi" in page
    confirm = client.get(f"{PATH}/periodes/{window_id}/supprimer")
    assert confirm.status_code == 200 and "Retirer cette plage" in confirm.text
    assert helpers.post_form(client, f"{PATH}/periodes/{window_id}/supprimer").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AvailabilityWindow)).first() is None
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"availability.added", "availability.removed"} <= actions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"window-ends_at": "08:00"}, "La fin doit venir après le début"),
        ({"window-starts_at": "08:10"}, "quarts d"),
        ({"window-modes": []}, "au moins une modalité"),
        ({"window-service_point_id": "999999"}, "une des options de la liste"),
        ({"window-weekday": "9"}, "une des options de la liste"),
        ({"window-starts_at": ""}, "obligatoire"),
    ],
)
def test_bad_periods_are_refused(app, client, login, overrides, message):
    login("agent", region="06")
    response = add_window(client, window_data(app, **overrides))
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalars(select(AvailabilityWindow)).first() is None


def test_overlapping_period_is_refused(app, client, login):
    login("agent", region="06")
    assert add_window(client, window_data(app)).status_code == 302
    again = add_window(
        client, window_data(app, **{"window-starts_at": "11:00", "window-ends_at": "13:00"})
    )
    assert again.status_code == 400 and "chevauche" in again.text
    afternoon = add_window(
        client, window_data(app, **{"window-starts_at": "13:00", "window-ends_at": "16:30"})
    )
    assert afternoon.status_code == 302


def test_service_point_of_another_region_is_refused(app, client, login):
    login("agent", region="06")
    with app.app_context():
        elsewhere = service_point("DR-EST").id
    response = add_window(client, window_data(app, **{"window-service_point_id": str(elsewhere)}))
    assert response.status_code == 400


def test_absence_warns_about_booked_appointments(app, client, login):
    login("agent", region="06")
    start = date.today() + timedelta(days=3)
    data = {
        "exception-starts_on": start.isoformat(),
        "exception-ends_on": (start + timedelta(days=4)).isoformat(),
        "exception-kind": "leave",
        "exception-note": "Vacances",
    }
    response = helpers.post_form(client, f"{PATH}/exceptions", data, token_from=PATH)
    assert response.status_code == 302
    assert "Vacances" in client.get(PATH).text
    backwards = {**data, "exception-ends_on": (start - timedelta(days=1)).isoformat()}
    refused = helpers.post_form(client, f"{PATH}/exceptions", backwards, token_from=PATH)
    assert refused.status_code == 400
    with app.app_context():
        exception_id = db.session.scalars(select(AvailabilityException.id)).one()
    assert (
        helpers.post_form(client, f"{PATH}/exceptions/{exception_id}/supprimer").status_code == 302
    )


def test_supervisor_manages_agents_of_the_region_only(app, client, login, make_user):
    local = make_user(role="agent", region="06")
    remote = make_user(role="agent", region="05")
    login("supervisor", region="06")
    assert client.get(f"{PATH}?agent={local.id}").status_code == 200
    assert add_window(client, window_data(app), agent_id=local.id).status_code == 302
    assert client.get(f"{PATH}?agent={remote.id}").status_code == 403
    assert add_window(client, window_data(app), agent_id=remote.id).status_code == 403
    with app.app_context():
        assert db.session.scalars(select(AvailabilityWindow.agent_id)).all() == [local.id]


def test_agent_cannot_touch_a_colleagues_window(app, client, login, make_user):
    colleague = make_user(role="agent", region="06")
    with app.app_context():
        from tests.appointments.factories import open_every_day

        window_id = open_every_day(colleague.id)[0].id
    login("agent", region="06")
    assert client.get(f"{PATH}/periodes/{window_id}/supprimer").status_code == 403
    assert (
        helpers.post_form(
            client, f"{PATH}/periodes/{window_id}/supprimer", token_from=PATH
        ).status_code
        == 403
    )


def test_admin_changes_a_duration(app, client, login):
    login("admin")
    page = client.get("/rendez-vous/types")
    assert page.status_code == 200 and "Première entrevue" in page.text
    with app.app_context():
        kind = db.session.scalar(select(AppointmentType).where(AppointmentType.code == "follow_up"))
        kind_id, version, before = kind.id, kind.version, kind.duration_minutes
    prefix = f"type{kind_id}-"
    bad = helpers.post_form(
        client,
        "/rendez-vous/types",
        {"type_id": kind_id, prefix + "duration_minutes": "50", prefix + "version": version},
    )
    assert bad.status_code == 400 and "multiple de 15" in bad.text
    good = helpers.post_form(
        client,
        "/rendez-vous/types",
        {"type_id": kind_id, prefix + "duration_minutes": "60", prefix + "version": version},
    )
    assert good.status_code == 302
    stale = helpers.post_form(
        client,
        "/rendez-vous/types",
        {"type_id": kind_id, prefix + "duration_minutes": "30", prefix + "version": version},
    )
    assert stale.status_code == 409
    with app.app_context():
        kind = db.session.get(AppointmentType, kind_id)
        assert kind.duration_minutes == 60 and before == 45


def test_types_page_is_for_admins(client, login):
    login("agent")
    assert client.get("/rendez-vous/types").status_code == 403


def test_pages_run_a_bounded_number_of_queries(app, client, login, count_queries):
    from tests.appointments.test_calendar import book_one

    agent = login("agent", region="06")
    with app.app_context():
        from tests.appointments.factories import open_every_day

        open_every_day(agent.id)
    first = book_one(app, agent)
    with app.app_context():
        from casework.appointments.models import Appointment
        from casework.appointments.slots import to_local

        day = to_local(db.session.get(Appointment, first).starts_at).date().isoformat()
    with count_queries() as few:
        client.get(f"/rendez-vous/?vue=semaine&date={day}")
    for _ in range(6):
        book_one(app, agent)
    with count_queries() as many:
        client.get(f"/rendez-vous/?vue=semaine&date={day}")
    assert many.count == few.count
