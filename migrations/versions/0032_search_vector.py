"""PostgreSQL's case search reads a stored, indexed tsvector column instead of computing
to_tsvector row by row (issue 23); nothing changes on SQLite

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 16:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


# A column PostgreSQL computes itself on every insert and update of the document, in the same
# statement: it cannot be out of step, whoever writes the row (the application, the bench
# generator's COPY, a restore). The words are folded by the application before they are stored.
SEARCH_VECTOR = (
    "ALTER TABLE case_search ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED"
)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(SEARCH_VECTOR)
        op.execute('CREATE INDEX ix_case_search_vector ON case_search USING gin (search_vector)')
        op.execute('DROP INDEX IF EXISTS ix_case_search_tsv')
        op.execute('ANALYZE case_search')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_case_search_tsv ON case_search "
            "USING gin (to_tsvector('simple', document))"
        )
        op.execute('DROP INDEX IF EXISTS ix_case_search_vector')
        op.execute('ALTER TABLE case_search DROP COLUMN search_vector')
