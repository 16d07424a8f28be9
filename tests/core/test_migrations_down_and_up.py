"""The latest migrations (0031 and after) go down to 0029 and up again to the head, on SQLite by
default and on the PostgreSQL database named by CASEWORK_MIGRATION_TEST_URL (a database of its
own: it is emptied), and the schema they leave is the models' own. Migrations before 0029 have
tests of their own."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine

from casework.extensions import db
from casework.setup import include_name

FLOOR = "0029"


def _differences_with_the_models(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
            )
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = create_engine(url)  # a connection of its own: the migrations commit on theirs
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_the_latest_migrations_go_down_and_up_again(migration_app):
    application, url = migration_app
    with application.app_context():
        script = ScriptDirectory.from_config(application.extensions["migrate"].migrate.get_config())
        head = script.get_current_head()
        upgrade()
        assert _revision(url) == head
        downgrade(revision=FLOOR)
        assert _revision(url) == FLOOR
        upgrade()
        assert _revision(url) == head
        assert _differences_with_the_models(url) == []
