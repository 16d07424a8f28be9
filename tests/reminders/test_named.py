"""Reminders say what and who (issue 16, point 3): each line of the reminders list names the
person (when the reader may read the case), the action it is about with a link to it, and the
due time in words; no line appears twice; the list stays bounded in queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.cases.models import Case
from casework.core.time import utcnow
from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from casework.reminders.models import FollowUpRule, Reminder
from tests import helpers


@pytest.fixture
def agent(make_user):
    return make_user(role="agent")


@pytest.fixture
def case_id(agent, make_case) -> int:
    return make_case(agent, given_names="Aïcha", family_name="Benali").id


def _action_reminders(
    app, case_id: int, labels_and_days: list[tuple[str, int]], code="plan_action_due"
):
    with app.app_context():
        case = db.session.get(Case, case_id)
        rule = db.session.scalar(select(FollowUpRule).where(FollowUpRule.code == code))
        plan = Plan(case_id=case.id, number=1, status="final")
        for position, (label, _days) in enumerate(labels_and_days):
            plan.actions.append(
                PlanAction(position=position, objective="S'installer", label=label, service="none")
            )
        db.session.add(plan)
        db.session.flush()
        ids = []
        for action, (_label, days) in zip(plan.actions, labels_and_days, strict=True):
            due = utcnow() + timedelta(days=days, minutes=5)
            reminder = Reminder(
                key=f"{code}:plan_action:{action.id}",
                rule_id=rule.id,
                subject_type="plan_action",
                subject_id=action.id,
                case_id=case.id,
                agent_id=case.agent_id,
                region_id=case.region_id,
                due_at=due,
                next_attempt_at=due,
                status="pending" if days >= 0 else "sent",
            )
            db.session.add(reminder)
            db.session.flush()
            ids.append(reminder.id)
        db.session.commit()
        return ids, [a.id for a in plan.actions]


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]
    ]


def test_each_line_names_the_person_and_the_action_and_says_when(app, client, agent, case_id):
    _ids, action_ids = _action_reminders(
        app, case_id, [("Ouvrir un compte bancaire", 3), ("Obtenir la carte RAMQ", -2)]
    )
    helpers.login(client, agent.username, agent.password)
    upcoming = client.get("/rappels/?tab=upcoming").text
    assert "Aïcha Benali" in upcoming
    assert "Ouvrir un compte bancaire" in upcoming
    assert "dans 3 jours" in upcoming
    assert f"#action-{action_ids[0]}" in upcoming  # the link to the action on the plan
    overdue = client.get("/rappels/?tab=overdue").text
    assert "Obtenir la carte RAMQ" in overdue and "en retard de 2 jours" in overdue
    assert "Aïcha Benali" in overdue


def test_a_future_overdue_check_is_not_called_late_in_the_list(app, client, agent, case_id):
    _action_reminders(app, case_id, [("Inscrire les enfants", 6)], code="plan_action_overdue")
    helpers.login(client, agent.username, agent.password)
    rows = _rows(client.get("/rappels/?tab=upcoming").text)
    assert len(rows) == 1
    assert "Inscrire les enfants" in rows[0]
    assert "en retard" not in rows[0].lower()


def test_no_line_appears_twice_and_queries_stay_bounded(app, client, agent, case_id, count_queries):
    labels = [(f"Action numéro {n}", 2) for n in range(30)]
    _action_reminders(app, case_id, labels)
    helpers.login(client, agent.username, agent.password)
    with count_queries() as counter:
        html = client.get("/rappels/?tab=upcoming").text
    rows = _rows(html)
    assert len(rows) == 25  # one page
    assert len(set(rows)) == len(rows)
    assert counter.count <= 16


def test_the_person_is_named_only_to_who_may_read_the_case(app, client, agent, case_id, make_user):
    """A supervisor of the region sees the name; an agent handed a reminder of a case outside
    their caseload sees the case number only, and no link into the file."""
    ids, _actions = _action_reminders(app, case_id, [("Chercher un logement", 4)])
    supervisor = make_user(role="supervisor")
    helpers.login(client, supervisor.username, supervisor.password)
    assert "Aïcha Benali" in client.get("/rappels/?tab=upcoming").text
    colleague = make_user(role="agent")
    with app.app_context():
        db.session.get(Reminder, ids[0]).agent_id = colleague.id
        number = db.session.get(Case, case_id).number
        db.session.commit()
    page = helpers.signed_in(app, colleague).get("/rappels/?tab=upcoming").text
    assert "Chercher un logement" in page and number in page
    assert "Aïcha Benali" not in page
    assert f'/dossiers/{case_id}"' not in page
