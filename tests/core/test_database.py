import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from casework.auth.models import User
from casework.extensions import db
from casework.setup import current_revision, include_name


def test_foreign_key_violation_raises(ctx):
    db.session.add(
        User(
            username="orphan",
            full_name="Orphan",
            role="agent",
            region_id=999_999,
            password_hash="x",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    connection = db.session.connection()
    assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    assert connection.execute(text("PRAGMA cache_size")).scalar() <= -65536  # KiB: 64 MB


def test_database_is_at_the_head_revision(app, ctx):
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert current_revision() == script.get_current_head()


def test_models_and_migrations_agree(ctx):
    context = MigrationContext.configure(
        db.session.connection(),
        opts={"compare_type": True, "render_as_batch": True, "include_name": include_name},
    )
    differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_have_a_single_head(app, ctx):
    migrate: Migrate = app.extensions["migrate"].migrate
    script = ScriptDirectory.from_config(migrate.get_config())
    assert len(script.get_heads()) == 1
