"""dashboard at province scale: indexes that find a period's submitted referrals, held
appointments and finalised plans without reading their whole history (issue 9)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 11:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


INDEXES = [
    ('ix_referral_events_status_occurred', 'referral_events', ['to_status', 'occurred_at']),
    ('ix_appointments_status_starts', 'appointments', ['status', 'starts_at']),
    ('ix_plans_finalised_at', 'plans', ['finalised_at']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
