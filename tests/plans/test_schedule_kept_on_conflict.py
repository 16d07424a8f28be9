"""A 409 keeps what was typed: the plan's schedule (due dates and assignees of a draft)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from tests import helpers
from tests.plans.test_plans import _generate, assessed_case  # noqa: F401


def test_a_stale_schedule_comes_back_with_what_was_typed(app, client, assessed_case):  # noqa: F811
    _, case = assessed_case
    _generate(client, case.id)
    url = f"/dossiers/{case.id}/plan"
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()
        first, second = plan.actions[0].id, plan.actions[1].id
    first_tab = helpers.form_fields(client.get(f"{url}/").text, "calendrier")
    second_tab = dict(first_tab)
    theirs = (date.today() + timedelta(days=45)).isoformat()
    first_tab[f"due_{first}"] = theirs
    assert client.post(f"{url}/echeances", data=first_tab).status_code == 302
    second_tab[f"assignee_{second}"] = (
        "person" if first_tab[f"assignee_{second}"] == "agent" else "agent"
    )
    response = client.post(f"{url}/echeances", data=second_tab)
    assert response.status_code == 409
    assert "pendant que vous la modifiiez" in response.text
    kept = helpers.form_fields(response.text, "calendrier")
    assert kept[f"assignee_{second}"] == second_tab[f"assignee_{second}"]
    assert kept[f"due_{first}"] == theirs
    with app.app_context():
        assert db.session.get(PlanAction, second).assignee != second_tab[f"assignee_{second}"]
    assert client.post(f"{url}/echeances", data=kept).status_code == 302
    with app.app_context():
        assert db.session.get(PlanAction, second).assignee == second_tab[f"assignee_{second}"]
        assert db.session.get(PlanAction, first).due_on.isoformat() == theirs
