"""Migration 0039 (issue 23) goes up, down and up again, on SQLite by default and on the
PostgreSQL database named by CASEWORK_MIGRATION_TEST_URL (a database of its own: it is emptied).
What it fills agrees with the application's recount (reports/aggregates.py)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from casework.extensions import db
from casework.reports import aggregates
from casework.reports.models import IndicatorReferral, IndicatorSituation
from tests import helpers
from tests.reports.factories import add_activity
from tests.reports.test_indicators import follow_up, residence

pytestmark = pytest.mark.no_transaction


def _rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_0039_fills_downgrades_and_upgrades_again(migration_app):
    from casework.reference.seed import load_reference_data

    application, url = migration_app
    with application.app_context():
        upgrade()
        load_reference_data(application.config["SEED_DIR"])
        agent = helpers.create_user("agent", region="06")
        cases = [helpers.create_case(agent.id).id for _ in range(3)]
        for case_id in cases[:2]:
            add_activity(case_id)
        employed = {"employment_status": "employed_in_field"}
        # Two follow-ups at 6 months: the later one stands. One on the islands at 12 months.
        follow_up(agent.id, cases[0], 6, residence=residence("04", "Shawinigan"))
        follow_up(agent.id, cases[0], 6, residence=residence("06", "Laval"), employment=employed)
        follow_up(agent.id, cases[1], 12, residence=residence("11", "Grosse-Île"))
        follow_up(agent.id, cases[2], 3, housing={"housing_status": "stable"})
        expected = {
            model: set(map(tuple, db.session.execute(select(*model.__table__.columns))))
            for model in (IndicatorSituation, IndicatorReferral)
        }
        assert len(expected[IndicatorSituation]) == 3
        assert len(expected[IndicatorReferral]) == 2
        db.session.remove()

        downgrade(revision="0038")
        assert not {"indicator_situations", "indicator_referrals"} & helpers.table_names(url)
        db.session.remove()

        upgrade(revision="0039")
        for model, rows in expected.items():
            assert set(map(tuple, db.session.execute(select(*model.__table__.columns)))) == rows
        assert aggregates.differences() == []
        islands = db.session.scalars(
            select(IndicatorSituation).where(IndicatorSituation.milestone == 12)
        ).one()
        assert islands.in_iles is True
        db.session.remove()

        downgrade(revision="0038")
        upgrade()
        assert (_rows(IndicatorSituation), _rows(IndicatorReferral)) == (3, 2)
