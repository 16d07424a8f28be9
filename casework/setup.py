"""Bring a database to the current schema through the migrations."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade

from casework.core.db import refresh_statistics
from casework.extensions import db


def upgrade_schema() -> str:
    """Apply pending migrations and refresh the planner's statistics (new indexes need them);
    return the revision the database is at."""
    upgrade()
    refresh_statistics(db.session)
    db.session.commit()
    return current_revision() or "?"


def current_revision() -> str | None:
    return MigrationContext.configure(db.session.connection()).get_current_revision()


def migration_scripts() -> ScriptDirectory:
    """The migrations the application was configured with (``app.configure_db``)."""
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def head_revision() -> str:
    return migration_scripts().get_current_head() or "?"


def known_revision(revision: str) -> bool:
    """Whether this code's migrations know ``revision`` (a newer schema's is unknown)."""
    try:
        return migration_scripts().get_revision(revision) is not None
    except (CommandError, ResolutionError):
        return False


# Search structures the migrations create by hand (FTS5 on SQLite; on PostgreSQL the stored
# ``search_vector`` column and its GIN index, earlier an expression index); they have no model, so comparisons with the models must leave them out.
HAND_MADE_SEARCH_OBJECTS = (
    "case_search_fts",
    "ix_case_search_tsv",
    "ix_case_search_vector",
    "search_vector",
)


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    return not (name and name.startswith(HAND_MADE_SEARCH_OBJECTS))
