"""service points: the address, phone and directions the slip and the printed plan give the
person (issue 17)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_points') as batch:
        batch.add_column(sa.Column('address', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('phone', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('directions', sa.Text(), nullable=True))
        batch.add_column(sa.Column('directions_en', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('service_points') as batch:
        batch.drop_column('directions_en')
        batch.drop_column('directions')
        batch.drop_column('phone')
        batch.drop_column('address')
