"""the supervisor dashboard's aggregates: open needs per case and domain, each case's first
appointment held and first plan finalised, each referral's first submission; kept by the
application with each change (reports/aggregates.py) and filled here from the data (issue 23)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 16:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


# The same recounts as reports/aggregates.py (``casework dashboard-aggregates --rebuild``),
# written out so that this migration does not depend on the application's code.
FILL = (
    "INSERT INTO dashboard_open_needs (case_id, domain_id, region_id) "
    "SELECT c.id, n.domain_id, c.region_id FROM cases c "
    "JOIN (SELECT case_id, max(number) AS number FROM assessments GROUP BY case_id) latest "
    "ON latest.case_id = c.id "
    "JOIN assessments a ON a.case_id = c.id AND a.number = latest.number "
    "JOIN assessed_needs an ON an.assessment_id = a.id "
    "JOIN needs n ON n.id = an.need_id "
    "WHERE c.status != 'closed' AND an.level IN ('low', 'moderate', 'high', 'urgent') "
    "GROUP BY c.id, n.domain_id, c.region_id",
    "INSERT INTO dashboard_case_milestones (case_id, region_id, first_held_at, first_plan_at) "
    "SELECT c.id, c.region_id, held.at, plans.at FROM cases c "
    "LEFT JOIN (SELECT case_id, min(starts_at) AS at FROM appointments "
    "WHERE status = 'done' GROUP BY case_id) held ON held.case_id = c.id "
    "LEFT JOIN (SELECT case_id, min(finalised_at) AS at FROM plans "
    "WHERE finalised_at IS NOT NULL GROUP BY case_id) plans ON plans.case_id = c.id "
    "WHERE held.at IS NOT NULL OR plans.at IS NOT NULL",
    "INSERT INTO dashboard_referral_cohorts (referral_id, region_id, first_submitted_at) "
    "SELECT e.referral_id, r.region_id, min(e.occurred_at) FROM referral_events e "
    "JOIN referrals r ON r.id = e.referral_id "
    "WHERE e.to_status = 'submitted' GROUP BY e.referral_id, r.region_id",
)


def upgrade():
    op.create_table('dashboard_open_needs',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dashboard_open_needs_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_dashboard_open_needs_domain_id_domains')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dashboard_open_needs_region_id_regions')),
    sa.PrimaryKeyConstraint('case_id', 'domain_id', name=op.f('pk_dashboard_open_needs'))
    )
    with op.batch_alter_table('dashboard_open_needs', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_open_needs_region_domain', ['region_id', 'domain_id'], unique=False)

    op.create_table('dashboard_case_milestones',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('first_held_at', sa.DateTime(), nullable=True),
    sa.Column('first_plan_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dashboard_case_milestones_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dashboard_case_milestones_region_id_regions')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_dashboard_case_milestones'))
    )
    with op.batch_alter_table('dashboard_case_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_case_milestones_first_held_at'), ['first_held_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dashboard_case_milestones_first_plan_at'), ['first_plan_at'], unique=False)

    op.create_table('dashboard_referral_cohorts',
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('first_submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_dashboard_referral_cohorts_referral_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dashboard_referral_cohorts_region_id_regions')),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_dashboard_referral_cohorts'))
    )
    with op.batch_alter_table('dashboard_referral_cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_referral_cohorts_first_submitted_at'), ['first_submitted_at'], unique=False)

    for statement in FILL:
        op.execute(statement)
    # The dashboard's caseload by agent (active cases per agent, follow-ups overdue) counted
    # from this index alone, without reading a region's cases.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_region_status_agent_follow_up', ['region_id', 'status', 'agent_id', 'next_follow_up_on'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_region_status_agent_follow_up')
    for table in ('dashboard_referral_cohorts', 'dashboard_case_milestones', 'dashboard_open_needs'):
        op.drop_table(table)
