"""Issue 18, point 3: the remote-interpretation pilot (Centre-du-Québec, Estrie, Mauricie):
its regions are in the seed, and assessments and appointments there can be marked as made under
it — nowhere else."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from casework.appointments.models import Appointment
from casework.extensions import db
from tests import helpers
from tests.appointments.factories import open_every_day
from tests.appointments.test_calendar import _start_in_the_past, book_one


def test_the_pilot_regions_are_the_cited_ones(ctx):
    from casework.reference.models import Region

    pilot = db.session.scalars(select(Region.code).where(Region.interpretation_pilot)).all()
    assert sorted(pilot) == ["04", "05", "17"]


@pytest.mark.parametrize(("region", "allowed"), [("17", True), ("06", False)])
def test_an_appointment_held_under_the_pilot(app, client, login, region, allowed):
    from casework.reference.models import ServicePoint

    agent = login("agent", region=region)
    with app.app_context():
        point = db.session.scalars(
            select(ServicePoint.code)
            .join(ServicePoint.region)
            .where(ServicePoint.region.has(code=region))
            .order_by(ServicePoint.code)
        ).first()
        open_every_day(agent.id, point_code=point)
    appointment_id = book_one(app, agent)
    _start_in_the_past(app, appointment_id)
    page = client.get(f"/rendez-vous/{appointment_id}").text
    assert ("projet-pilote" in page) is allowed
    with app.app_context():
        version = db.session.get(Appointment, appointment_id).version
    response = helpers.post_form(
        client,
        f"/rendez-vous/{appointment_id}/resultat",
        {"outcome": "done", "version": version, "interpretation_pilot": "y"},
        token_from=f"/rendez-vous/{appointment_id}",
    )
    assert response.status_code == (302 if allowed else 400)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.interpretation_pilot is allowed
        assert appointment.status == ("done" if allowed else "booked")


@pytest.mark.parametrize(("region", "allowed"), [("04", True), ("12", False)])
def test_an_assessment_made_under_the_pilot(app, ctx, region, allowed):
    from casework.assessments import operations as assessments
    from casework.assessments.operations import AssessmentError
    from casework.auth.models import User
    from casework.cases.models import Case

    agent = helpers.create_user("agent", region=region)
    record = helpers.create_case(agent.id)
    user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
    draft = assessments.start(user, case)
    values = assessments.AssessmentValues(
        interview_date=date.today(), interview_mode="in_person", interpretation_pilot=True
    )
    if allowed:
        assessments.save(user, draft, values, draft.version)
        assert draft.interpretation_pilot
    else:
        with pytest.raises(AssessmentError):
            assessments.save(user, draft, values, draft.version)
        assert not draft.interpretation_pilot


@pytest.mark.parametrize(("region", "shown"), [("05", True), ("06", False)])
def test_the_assessment_form_offers_the_mark_in_the_pilot_s_regions_only(
    app, client, login, region, shown
):
    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case

    agent = login("agent", region=region)
    with app.app_context():
        record = helpers.create_case(agent.id)
        assessments.start(db.session.get(User, agent.id), db.session.get(Case, record.id))
        db.session.commit()
    page = client.get(f"/dossiers/{record.id}/evaluation/modifier").text
    assert ("projet-pilote" in page) is shown
