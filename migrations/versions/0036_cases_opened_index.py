"""the caseload of several regions, newest first: cases by opening time, so that a directorate's
four regions are walked in page order instead of sorting their 120,000 cases (issue 23)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 19:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    # A supervisor reads a directorate's regions (« region_id IN (…) »): the per-region index
    # (ix_cases_region_opened) cannot give them in one order, so the newest 25 were a sort of
    # every case of the regions (135 ms at 200,000 cases on SQLite).
    op.create_index('ix_cases_opened', 'cases', ['opened_at', 'id'])


def downgrade():
    op.drop_index('ix_cases_opened', table_name='cases')
