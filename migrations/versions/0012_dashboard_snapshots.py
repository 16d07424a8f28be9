"""dashboard snapshots: a dashboard's figures per scope and period, computed by the scheduler
or by the first view, shown for a few minutes (issue 9)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sa.String(length=60), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshots')),
        sa.UniqueConstraint(
            'scope_key', 'period_start', 'period_end',
            name=op.f('uq_dashboard_snapshots_scope_key_period_start_period_end'),
        ),
    )


def downgrade():
    op.drop_table('dashboard_snapshots')
