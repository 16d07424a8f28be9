"""household members carry a version: an edit made in two tabs is refused (409) rather than the
second silently replacing the first

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('household_members') as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default=sa.text('1'))
        )


def downgrade():
    with op.batch_alter_table('household_members') as batch_op:
        batch_op.drop_column('version')
