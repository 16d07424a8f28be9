"""Bring a database to the current schema through the migrations."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask_migrate import upgrade

from casework.extensions import db


def upgrade_schema() -> str:
    """Apply pending migrations; return the revision the database is at."""
    upgrade()
    return current_revision() or "?"


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
