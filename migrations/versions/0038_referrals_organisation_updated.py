"""a partner organisation's referrals in the order of their changes: the API's synchronisation
walks them in page order instead of sorting all of them (issue 23)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 05:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    # GET /api/v1/referrals for a partner: its referrals, oldest change first, 100 at a time.
    # ix_referrals_organisation_status gave them unordered: 3,800 referrals of one organisation
    # were read with their case and person and sorted to return 100 (11 ms at 200,000 cases).
    op.create_index(
        'ix_referrals_organisation_updated', 'referrals', ['organisation_id', 'updated_at', 'id']
    )


def downgrade():
    op.drop_index('ix_referrals_organisation_updated', table_name='referrals')
