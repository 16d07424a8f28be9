"""expected arrivals: persons the ministry's systems announce at the airport (issue 22)

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-06 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'expected_arrivals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('given_names', sa.String(length=200), nullable=False),
        sa.Column('family_name', sa.String(length=200), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=False),
        sa.Column('flight_number', sa.String(length=10), nullable=False),
        sa.Column('flight_type', sa.String(length=20), nullable=False),
        sa.Column('arrives_at', sa.DateTime(), nullable=False),
        sa.Column('immigration_category', sa.String(length=30), nullable=False),
        sa.Column('destination_region_id', sa.Integer(), nullable=False),
        sa.Column('destination_city', sa.String(length=120), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=True),
        sa.Column('received_by_id', sa.Integer(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['destination_region_id'], ['regions.id'],
            name=op.f('fk_expected_arrivals_destination_region_id_regions'),
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'],
            name=op.f('fk_expected_arrivals_created_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['received_by_id'], ['users.id'],
            name=op.f('fk_expected_arrivals_received_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'],
            name=op.f('fk_expected_arrivals_case_id_cases'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['airport_bookings.id'],
            name=op.f('fk_expected_arrivals_booking_id_airport_bookings'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expected_arrivals')),
    )
    op.create_index(
        'ix_expected_arrivals_status_arrives_at', 'expected_arrivals', ['status', 'arrives_at']
    )
    op.create_index(
        op.f('ix_expected_arrivals_case_id'), 'expected_arrivals', ['case_id']
    )


def downgrade():
    op.drop_index(op.f('ix_expected_arrivals_case_id'), table_name='expected_arrivals')
    op.drop_index('ix_expected_arrivals_status_arrives_at', table_name='expected_arrivals')
    op.drop_table('expected_arrivals')
