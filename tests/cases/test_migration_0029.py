"""Migration 0029 (issue 19) goes up, down and up again, on SQLite by default and on the
PostgreSQL database named by CASEWORK_MIGRATION_TEST_URL (a database of its own: it is emptied).
The unique index on the MIFI client number lets any number of persons go without one."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tests import helpers

PERSON = (
    "INSERT INTO persons (given_names, family_name, immigration_category, citizenships,"
    " languages_spoken, interpreter_needed, name_key, family_phonetic, given_phonetic,"
    " created_at, updated_at, version, mifi_client_number)"
    " VALUES ('A', 'B', 'economic', '[]', '[]', false, 'a b', 'B', 'A',"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, :number)"
)


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_0029_upgrades_downgrades_and_upgrades_again(migration_app):
    application, url = migration_app
    with application.app_context():
        upgrade(revision="0029")
        assert {"mifi_client_number", "permit_expires_on", "caq_expires_on"} <= _columns(
            url, "persons"
        )
        assert {"immigration_category", "french_level_scale"} <= _columns(url, "household_members")
        engine = create_engine(url)
        with engine.begin() as connection:
            for number in (None, None, "Q1"):
                connection.execute(text(PERSON), {"number": number})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(PERSON), {"number": "Q1"})
        engine.dispose()
        downgrade(revision="0027")
        assert "mifi_client_number" not in _columns(url, "persons")
        assert "household_member_needs" not in helpers.table_names(url)
        upgrade(revision="0029")
        assert "household_member_needs" in helpers.table_names(url)
