"""The case page as the agent's hub (issue 16, point 1): the summary cards above the fold, the
next follow-up, the timeline's « À venir » and « Historique », its filter, the reminders named
and grouped by day, and a query count that does not grow with the file."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from casework.cases.models import Case, Interaction
from casework.core.time import utcnow
from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from casework.reference.models import Organisation
from casework.referrals.models import Referral, ReferralEvent
from casework.reminders.models import FollowUpRule, Reminder
from tests import helpers


@pytest.fixture
def agent(make_user):
    return make_user(role="agent")


@pytest.fixture
def case_id(agent, make_case) -> int:
    return make_case(agent).id


@pytest.fixture
def signed_in(client, agent):
    assert helpers.login(client, agent.username, agent.password).status_code == 302
    return agent


def _rule(code: str) -> FollowUpRule:
    return db.session.scalar(select(FollowUpRule).where(FollowUpRule.code == code))


def _plan_with_actions(case: Case, labels: list[str], due=None) -> list[PlanAction]:
    plan = Plan(case_id=case.id, number=1, status="final")
    for position, label in enumerate(labels):
        plan.actions.append(
            PlanAction(
                position=position,
                objective="S'installer",
                label=label,
                service="none",
                due_on=due,
                status="todo",
            )
        )
    db.session.add(plan)
    db.session.flush()
    return list(plan.actions)


def _reminder(case: Case, due_at: datetime, code: str, subject_type: str, subject_id: int, n=0):
    reminder = Reminder(
        key=f"{code}:{subject_type}:{subject_id}:{n}",
        rule_id=_rule(code).id,
        subject_type=subject_type,
        subject_id=subject_id,
        case_id=case.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        due_at=due_at,
        next_attempt_at=due_at,
        status="pending" if due_at > utcnow() else "sent",
    )
    db.session.add(reminder)
    return reminder


def _grow(app, case_id: int, count: int) -> None:
    """``count`` notes, referrals (with their event) and plan-action reminders on the case."""
    with app.app_context():
        case = db.session.get(Case, case_id)
        promis = db.session.scalar(select(Organisation).where(Organisation.code == "promis"))
        actions = _plan_with_actions(case, [f"Action {n}" for n in range(count)])
        now = utcnow()
        for n in range(count):
            db.session.add(
                Interaction(
                    case_id=case.id,
                    kind="note",
                    occurred_at=now - timedelta(hours=n + 1),
                    summary=f"Note {n}",
                    author_id=case.agent_id,
                )
            )
            referral = Referral(
                case_id=case.id,
                organisation_id=promis.id,
                agent_id=case.agent_id,
                region_id=case.region_id,
                purpose=f"But {n}",
                status="sent",
            )
            referral.events.append(ReferralEvent(actor_id=case.agent_id, to_status="sent"))
            db.session.add(referral)
            due = now + timedelta(days=n % 40 - 20, hours=1)
            _reminder(case, due, "plan_action_due", "plan_action", actions[n].id)
        db.session.commit()


def _page_queries(client, count_queries, case_id: int) -> int:
    with count_queries() as counter:
        assert client.get(f"/dossiers/{case_id}").status_code == 200
    return counter.count


def test_the_case_page_queries_do_not_grow_with_reminders_notes_and_referrals(
    app, client, signed_in, agent, make_case, count_queries
):
    small, large = make_case(agent).id, make_case(agent).id
    _grow(app, small, 10)
    _grow(app, large, 200)
    few = _page_queries(client, count_queries, small)
    many = _page_queries(client, count_queries, large)
    assert few == many, (few, many)
    page = client.get(f"/dossiers/{large}").text
    assert "Action 199" in page  # every plan action is named
    assert "Afficher tout l’historique" in page or "Afficher tout l'historique" in page


def test_the_next_follow_up_comes_from_the_reminders_when_the_case_has_no_date(
    app, client, signed_in, case_id
):
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.next_follow_up_on is None
        (action,) = _plan_with_actions(case, ["Inscription au cours de francisation"])
        _reminder(case, utcnow() + timedelta(days=3), "plan_action_due", "plan_action", action.id)
        db.session.commit()
    page = client.get(f"/dossiers/{case_id}").text
    card = page[
        page.index('id="hub-suivi"') : page.index("</section>", page.index('id="hub-suivi"'))
    ]
    assert "Inscription au cours de francisation" in card
    assert "dans 3 jours" in card
    assert "Aucun suivi prévu" not in card


def test_a_future_overdue_check_is_never_called_late_and_names_its_action(
    app, client, signed_in, case_id
):
    with app.app_context():
        case = db.session.get(Case, case_id)
        ahead, past = _plan_with_actions(case, ["Ouvrir un compte bancaire", "Obtenir la RAMQ"])
        _reminder(
            case, utcnow() + timedelta(days=9), "plan_action_overdue", "plan_action", ahead.id
        )
        _reminder(case, utcnow() - timedelta(days=2), "plan_action_overdue", "plan_action", past.id)
        db.session.commit()
    page = client.get(f"/dossiers/{case_id}").text
    upcoming = page[page.index('id="a-venir"') : page.index('id="historique"')]
    history = page[page.index('id="historique"') :]
    assert "Ouvrir un compte bancaire" in upcoming
    assert "en retard" not in upcoming.lower()
    assert "Action du plan en retard : Obtenir la RAMQ" in history
    assert "en retard" in history


def test_a_days_reminders_fold_into_one_line(app, client, signed_in, case_id):
    with app.app_context():
        case = db.session.get(Case, case_id)
        actions = _plan_with_actions(case, ["Première", "Deuxième", "Troisième"])
        due = utcnow() + timedelta(days=5)
        for action in actions:
            _reminder(case, due, "plan_action_due", "plan_action", action.id)
        db.session.commit()
    page = client.get(f"/dossiers/{case_id}").text
    upcoming = page[page.index('id="a-venir"') : page.index('id="historique"')]
    assert upcoming.count('<details class="timeline__group">') == 1
    assert "3 rappels" in upcoming
    for label in ("Première", "Deuxième", "Troisième"):
        assert label in upcoming


def test_the_timeline_filters_by_kind_without_javascript(app, client, signed_in, case_id):
    with app.app_context():
        helpers.consented_referral(db.session.get(Case, case_id).agent_id, case_id)
        db.session.add(
            Interaction(
                case_id=case_id,
                kind="phone",
                occurred_at=utcnow() - timedelta(days=1),
                summary="Appel au sujet du logement",
            )
        )
        db.session.commit()
    everything = client.get(f"/dossiers/{case_id}").text
    assert "Appel au sujet du logement" in everything and "Référence à PROMIS" in everything
    notes = client.get(f"/dossiers/{case_id}?type=note").text
    timeline = notes[notes.index('id="suivi"') :]
    assert "Appel au sujet du logement" in timeline
    assert "Référence à PROMIS : " not in timeline
    assert re.search(r'href="[^"]*type=note[^"]*"[^>]*aria-current="page"', timeline)
    # An unknown kind shows everything, never an error.
    assert "Référence à PROMIS" in client.get(f"/dossiers/{case_id}?type=%3Cx%3E").text


def test_the_summary_cards_show_what_is_in_progress(app, client, signed_in, case_id):
    with app.app_context():
        case = db.session.get(Case, case_id)
        helpers.consented_referral(case.agent_id, case_id, status="returned")
        _late, done = _plan_with_actions(
            case,
            ["Chercher un logement", "Inscrire les enfants"],
            due=utcnow().date() - timedelta(days=4),
        )
        done.status = "done"
        db.session.commit()
    page = client.get(f"/dossiers/{case_id}").text
    hub = page[page.index('class="hub"') : page.index('id="personne"')]
    assert "Actions faites : 1 sur 2" in hub
    assert "Chercher un logement" in hub  # the overdue action, named
    assert "PROMIS" in hub and "Retournée" in hub  # the referral and its state
    assert "Partager avec un organisme partenaire" in hub  # the consent in force
    for action in (
        "Ajouter une note",
        "Réserver un rendez-vous",
        "Orienter vers un organisme",
        "Enregistrer un consentement",
    ):
        assert action in page[: page.index('class="hub"')]
