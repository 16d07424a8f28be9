"""the action plan indicators' aggregates: the situation that stands for each case at each
follow-up milestone (residence, employment), and when each referral first left its draft;
kept by the application with each change (reports/aggregates.py) and filled here from the data
(issue 23); indexes for the pilot's interviews and appointments and the persons served

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 08:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


# The same recounts as reports/aggregates.py (``casework dashboard-aggregates --rebuild``),
# written out so that this migration does not depend on the application's code.
FILL = (
    "INSERT INTO indicator_situations (case_id, domain, milestone, situation_id, observed_on, "
    "settled_region_id, in_montreal_cmm, in_iles, employment_status) "
    "SELECT s.case_id, s.domain, s.milestone, s.id, s.observed_on, s.region_id, "
    "s.in_montreal_cmm, "
    "CASE WHEN g.code = '11' AND (lower(coalesce(s.municipality, '')) LIKE '%madeleine%' "
    "OR lower(coalesce(s.municipality, '')) LIKE 'grosse%le') THEN TRUE ELSE FALSE END, "
    "s.employment_status FROM ("
    "SELECT *, row_number() OVER (PARTITION BY case_id, domain, milestone "
    "ORDER BY observed_on DESC, id DESC) AS rank FROM follow_up_situations "
    "WHERE domain IN ('residence', 'employment') AND milestone IS NOT NULL) s "
    "LEFT JOIN regions g ON g.id = s.region_id WHERE s.rank = 1",
    "INSERT INTO indicator_referrals (referral_id, case_id, organisation_id, kind, "
    "first_left_at) "
    "SELECT e.referral_id, r.case_id, r.organisation_id, r.kind, min(e.occurred_at) "
    "FROM referral_events e JOIN referrals r ON r.id = e.referral_id "
    "WHERE e.to_status IN ('submitted', 'sent') "
    "GROUP BY e.referral_id, r.case_id, r.organisation_id, r.kind",
)


def upgrade():
    op.create_table('indicator_situations',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('milestone', sa.SmallInteger(), nullable=False),
    sa.Column('situation_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('settled_region_id', sa.Integer(), nullable=True),
    sa.Column('in_montreal_cmm', sa.Boolean(), nullable=True),
    sa.Column('in_iles', sa.Boolean(), nullable=False),
    sa.Column('employment_status', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_indicator_situations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['settled_region_id'], ['regions.id'], name=op.f('fk_indicator_situations_settled_region_id_regions')),
    sa.ForeignKeyConstraint(['situation_id'], ['follow_up_situations.id'], name=op.f('fk_indicator_situations_situation_id_follow_up_situations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'domain', 'milestone', name=op.f('pk_indicator_situations'))
    )
    with op.batch_alter_table('indicator_situations', schema=None) as batch_op:
        # A milestone's period read from the index alone, whatever the indicator asks of the row.
        batch_op.create_index('ix_indicator_situations_period', ['domain', 'milestone', 'observed_on', 'settled_region_id', 'in_montreal_cmm', 'in_iles', 'employment_status', 'case_id'], unique=False)

    op.create_table('indicator_referrals',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('first_left_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_indicator_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_indicator_referrals_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_indicator_referrals_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_indicator_referrals'))
    )
    with op.batch_alter_table('indicator_referrals', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_referrals_kind', ['kind', 'first_left_at', 'case_id', 'referral_id'], unique=False)
        batch_op.create_index('ix_indicator_referrals_organisation', ['organisation_id', 'first_left_at', 'case_id', 'referral_id'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        # The persons served in a period read from the index alone (case_id added).
        batch_op.drop_index('ix_appointments_status_starts')
        batch_op.create_index('ix_appointments_status_starts', ['status', 'starts_at', 'case_id'], unique=False)
        batch_op.create_index('ix_appointments_pilot_status_starts', ['interpretation_pilot', 'status', 'starts_at', 'case_id'], unique=False)
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_pilot_interview', ['interpretation_pilot', 'interview_date', 'case_id'], unique=False)

    for statement in FILL:
        op.execute(statement)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ANALYZE indicator_situations")
        op.execute("ANALYZE indicator_referrals")


def downgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_pilot_interview')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_pilot_status_starts')
        batch_op.drop_index('ix_appointments_status_starts')
        batch_op.create_index('ix_appointments_status_starts', ['status', 'starts_at'], unique=False)
    with op.batch_alter_table('indicator_referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_referrals_organisation')
        batch_op.drop_index('ix_indicator_referrals_kind')
    op.drop_table('indicator_referrals')
    with op.batch_alter_table('indicator_situations', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_situations_period')
    op.drop_table('indicator_situations')
