"""the agent's home at province scale: referrals by agent and status, cases by agent and
follow-up date (issue 9)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


INDEXES = [
    ('ix_referrals_agent_status', 'referrals', ['agent_id', 'status']),
    ('ix_cases_agent_follow_up', 'cases', ['agent_id', 'next_follow_up_on']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
