"""the reference data's revision: a value changed whenever regions, service points or host
cities change, read with the session so that every worker's lists learn of it (issue 23)

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 23:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'reference_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_revision')),
    )
    # One row, always there: raising it is an UPDATE, never an insert two workers could race.
    op.bulk_insert(table, [{'id': 1, 'value': 1}])


def downgrade():
    op.drop_table('reference_revision')
