"""Migration 0035 (issue 23) goes up, down and up again, on SQLite by default and on the
PostgreSQL database named by CASEWORK_MIGRATION_TEST_URL (a database of its own: it is emptied).
What it fills agrees with the application's recount (reports/aggregates.py); going down keeps
0033's rows."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, inspect, select

from casework.extensions import db
from casework.reports import aggregates
from casework.reports.models import DashboardCaseMilestones, DashboardReferralCohort
from tests import helpers
from tests.reports.factories import add_activity

pytestmark = pytest.mark.no_transaction


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_0035_fills_downgrades_and_upgrades_again(migration_app):
    from casework.reference.seed import load_reference_data

    application, url = migration_app
    with application.app_context():
        upgrade()
        load_reference_data(application.config["SEED_DIR"])
        agent = helpers.create_user("agent", region="06")
        for _ in range(2):
            add_activity(helpers.create_case(agent.id).id)
        db.session.remove()

        downgrade(revision="0034")
        assert "answer_days" not in _columns(url, "dashboard_referral_cohorts")
        assert "first_held_on" not in _columns(url, "dashboard_case_milestones")
        db.session.remove()

        upgrade(revision="0035")
        assert (_rows(DashboardCaseMilestones), _rows(DashboardReferralCohort)) == (2, 2)
        assert aggregates.differences(aggregates.DASHBOARD) == []
        cohort = db.session.scalars(select(DashboardReferralCohort)).first()
        assert (cohort.reached_sent, cohort.reached_accepted, cohort.answer_days) == (
            True,
            True,
            2.0,
        )
        db.session.remove()
