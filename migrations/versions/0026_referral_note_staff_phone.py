"""referrals carry the agent's note (shared with the organisation); staff accounts a work phone
(the partner calls the referring agent) (issue 16)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals') as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('referrals') as batch_op:
        batch_op.drop_column('note')
