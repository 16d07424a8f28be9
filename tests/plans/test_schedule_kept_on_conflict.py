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


def _plan_ids(app, case_id):
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case_id)).one()
        return [action.id for action in plan.actions]


def test_actions_added_and_removed_meanwhile_keep_the_dates_typed(app, client, assessed_case):  # noqa: F811
    """Two tabs: the schedule is loaded, the other tab adds one action and removes another,
    then the first tab is saved: the plan comes back (409) with the actions as they are now,
    the dates typed kept for those still there, and a summary of what changed, focused."""
    _, case = assessed_case
    _generate(client, case.id)
    url = f"/dossiers/{case.id}/plan"
    first, second, third = _plan_ids(app, case.id)[:3]
    first_tab = helpers.form_fields(client.get(f"{url}/").text, "calendrier")
    # The other tab: one action added, the second removed.
    other = helpers.form_fields(client.get(f"{url}/").text, "calendrier")
    added = helpers.post_form(
        client,
        f"{url}/actions",
        {
            "version": other["version"],
            "objective": "Réseau",
            "label": "Appeler la cousine à Laval",
            "service": "none",
            "assignee": "person",
        },
        token_from=f"{url}/",
    )
    assert added.status_code == 302
    confirm = helpers.form_fields(client.get(f"{url}/actions/{second}/retirer").text)
    assert client.post(f"{url}/actions/{second}/retirer", data=confirm).status_code == 302
    new = next(i for i in _plan_ids(app, case.id) if i not in (first, second, third))
    # The first tab types dates for three actions, one of them gone meanwhile.
    mine = {
        first: (date.today() + timedelta(days=20)).isoformat(),
        second: (date.today() + timedelta(days=21)).isoformat(),
        third: (date.today() + timedelta(days=22)).isoformat(),
    }
    for action_id, typed in mine.items():
        first_tab[f"due_{action_id}"] = typed
    response = client.post(f"{url}/echeances", data=first_tab)
    assert response.status_code == 409
    assert "data-error-summary" in response.text and "autofocus" in response.text
    assert "Appeler la cousine à Laval" in response.text.split('id="calendrier"')[0]
    assert "1 action ajoutée" in response.text
    assert "1 action retirée" in response.text
    kept = helpers.form_fields(response.text, "calendrier")
    assert f"due_{second}" not in kept
    assert kept[f"due_{first}"] == mine[first]
    assert kept[f"due_{third}"] == mine[third]
    assert f"due_{new}" in kept
    with app.app_context():
        assert db.session.get(PlanAction, first).due_on is None or (
            db.session.get(PlanAction, first).due_on.isoformat() != mine[first]
        )
    # One click applies the dates on top of the plan as it is now.
    assert client.post(f"{url}/echeances", data=kept).status_code == 302
    with app.app_context():
        assert db.session.get(PlanAction, first).due_on.isoformat() == mine[first]
        assert db.session.get(PlanAction, third).due_on.isoformat() == mine[third]
        assert db.session.get(PlanAction, new) is not None
