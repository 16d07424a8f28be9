"""The Objectif Intégration and values attestation rules use the household members' own age and
category (issue 19, point 3; plan, l. 898–902)."""

from datetime import date

from sqlalchemy import select

from casework.auth.models import User
from casework.cases import operations as cases
from casework.cases.models import Case
from casework.extensions import db
from casework.plans import operations as plans
from casework.plans.models import Plan
from tests.plans.test_plans import _complete_assessment


def _years_ago(years: int) -> date:
    today = date.today()
    return date(today.year - years, 1, 1) if today.month > 1 or today.day > 1 else today


def test_one_action_per_member_concerned_by_the_attestation(app, login, make_case):
    agent = login(role="agent")
    case = make_case(agent, immigration_category="economic")
    with app.app_context():
        user, row = db.session.get(User, agent.id), db.session.get(Case, case.id)
        cases.add_household_member(user, row, "spouse", "Fatou", "Diallo", _years_ago(40))
        cases.add_household_member(user, row, "child", "Awa", "Diallo", _years_ago(19))
        cases.add_household_member(user, row, "child", "Moussa", "Diallo", _years_ago(12))
        cases.add_household_member(
            user, row, "child", "Ibrahima", "Diallo", _years_ago(22), "student"
        )
        db.session.commit()
    _complete_assessment(
        app,
        case.id,
        agent.id,
        {
            ("immigration", "values_attestation"): "high",
            ("community", "objectif_integration"): "moderate",
        },
    )
    with app.app_context():
        plan, _created = plans.generate(
            db.session.get(User, agent.id), db.session.get(Case, case.id)
        )
        db.session.commit()
        labels = [action.label for action in plan.actions]
    named = [label for label in labels if "Diallo" in label]
    # The spouse (40) and Awa (19) in each rule; not Moussa (12), nor Ibrahima (a student).
    assert len(named) == 4
    assert sum("Fatou Diallo" in label for label in named) == 2
    assert sum("Awa Diallo" in label for label in named) == 2
    assert not any("Moussa" in label or "Ibrahima" in label for label in labels)
    assert any(label.startswith("Obtenir l'attestation des valeurs pour Fatou") for label in named)
    assert any(label.startswith("Inscrire aussi Awa Diallo") for label in named)
    with app.app_context():
        assert db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()


def test_a_member_action_must_name_the_member(tmp_path):
    """The rules file is data: a member action whose label cannot name the member is refused."""
    import pytest
    import yaml

    from casework.plans.rules import RulesError, load_rules
    from tests.plans.test_plans import SEED

    document = yaml.safe_load((SEED / "plan_rules.yaml").read_text(encoding="utf-8"))
    rule = next(r for r in document["rules"] if r.get("member_action"))
    rule["member_action"]["label"] = "Obtenir l'attestation pour le membre"
    (tmp_path / "plan_rules.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(RulesError):
        load_rules(tmp_path)
