"""cases: intake that can be followed (MIFI client number, schooling, profession of origin,
employment status at intake, permit and CAQ expiry) and household members as people (own
category, French level, needs) (issue 19)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 16:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

PERSON_COLUMNS = (
    ('mifi_client_number', sa.String(length=20)),
    ('education_level', sa.String(length=20)),
    ('field_of_study', sa.String(length=200)),
    ('origin_cnp', sa.String(length=5)),
    ('origin_cnp_version', sa.String(length=4)),
    ('employment_status', sa.String(length=30)),
    ('permit_expires_on', sa.Date()),
    ('caq_expires_on', sa.Date()),
)


def upgrade():
    with op.batch_alter_table('persons') as batch:
        for name, type_ in PERSON_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    # Unique where given: both engines let any number of rows leave it NULL.
    op.create_index(
        'uq_persons_mifi_client_number', 'persons', ['mifi_client_number'], unique=True
    )
    with op.batch_alter_table('household_members') as batch:
        batch.add_column(sa.Column('immigration_category', sa.String(length=30), nullable=True))
        batch.add_column(sa.Column('french_level_scale', sa.Integer(), nullable=True))
    op.create_table(
        'household_member_needs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['member_id'], ['household_members.id'],
            name=op.f('fk_household_member_needs_member_id_household_members'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['need_id'], ['needs.id'], name=op.f('fk_household_member_needs_need_id_needs')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_household_member_needs')),
        sa.UniqueConstraint(
            'member_id', 'need_id', name=op.f('uq_household_member_needs_member_id_need_id')
        ),
    )
    op.create_index(
        op.f('ix_household_member_needs_member_id'), 'household_member_needs', ['member_id']
    )


def downgrade():
    op.drop_index(op.f('ix_household_member_needs_member_id'), table_name='household_member_needs')
    op.drop_table('household_member_needs')
    with op.batch_alter_table('household_members') as batch:
        batch.drop_column('french_level_scale')
        batch.drop_column('immigration_category')
    op.drop_index('uq_persons_mifi_client_number', table_name='persons')
    with op.batch_alter_table('persons') as batch:
        for name, _type in reversed(PERSON_COLUMNS):
            batch.drop_column(name)
