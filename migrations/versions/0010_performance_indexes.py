"""performance at province scale: indexes that serve the caseload's default order and the
advisor queue's, per scope (issue 9)

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-28 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
# No 0009 in this branch: renumber at merge if another revision takes 0009.
down_revision = '0008'
branch_labels = None
depends_on = None


INDEXES = [
    # The caseload, newest first: an agent's cases, and a region's for supervisors and advisors.
    ('ix_cases_agent_opened', 'cases', ['agent_id', 'opened_at', 'id']),
    ('ix_cases_region_opened', 'cases', ['region_id', 'opened_at', 'id']),
    # The referral queue, most recently changed first, per region, status and agent.
    ('ix_referrals_region_status_updated', 'referrals', ['region_id', 'status', 'updated_at', 'id']),
    ('ix_referrals_region_updated', 'referrals', ['region_id', 'updated_at', 'id']),
    ('ix_referrals_agent_updated', 'referrals', ['agent_id', 'updated_at', 'id']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
