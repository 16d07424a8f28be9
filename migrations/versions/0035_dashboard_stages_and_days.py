"""the dashboard's aggregates keep more: each case's milestones with their local days and its
first appointment held or missed, each referral's organisation, the funnel's stages it reached and the days its organisation took to
answer (reports/aggregates.py); both tables are emptied and filled again here (issue 23)

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 19:30:00

"""
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


# The recounts of reports/aggregates.py (``casework dashboard-aggregates --rebuild``), written
# out so that this migration does not depend on the application's code: the SQL's rows, then
# what Python derives from each (the local day of a UTC moment; SQLite knows no time zone).
LOCAL = ZoneInfo("America/Toronto")
BATCH = 5000

MILESTONES = sa.text(
    "SELECT c.id, c.region_id, held.at, plans.at, ended.at, first_ended.id FROM cases c "
    "LEFT JOIN (SELECT case_id, min(starts_at) AS at FROM appointments "
    "WHERE status = 'done' GROUP BY case_id) held ON held.case_id = c.id "
    "LEFT JOIN (SELECT case_id, min(finalised_at) AS at FROM plans "
    "WHERE finalised_at IS NOT NULL GROUP BY case_id) plans ON plans.case_id = c.id "
    "LEFT JOIN (SELECT case_id, min(starts_at) AS at FROM appointments "
    "WHERE status IN ('done', 'no_show') GROUP BY case_id) ended ON ended.case_id = c.id "
    "LEFT JOIN (SELECT a.case_id, min(a.id) AS id FROM appointments a "
    "JOIN (SELECT case_id, min(starts_at) AS at FROM appointments "
    "WHERE status IN ('done', 'no_show') GROUP BY case_id) e "
    "ON e.case_id = a.case_id AND e.at = a.starts_at "
    "WHERE a.status IN ('done', 'no_show') GROUP BY a.case_id) first_ended "
    "ON first_ended.case_id = c.id "
    "WHERE held.at IS NOT NULL OR plans.at IS NOT NULL OR ended.at IS NOT NULL"
).columns(
    sa.column('case_id', sa.Integer()),
    sa.column('region_id', sa.Integer()),
    sa.column('first_held_at', sa.DateTime()),
    sa.column('first_plan_at', sa.DateTime()),
    sa.column('first_outcome_at', sa.DateTime()),
    sa.column('first_outcome_id', sa.Integer()),
)
COHORTS = sa.text(
    "SELECT e.referral_id, r.region_id, r.organisation_id, "
    "min(CASE WHEN e.to_status = 'submitted' THEN e.occurred_at END), "
    "min(CASE WHEN e.to_status = 'sent' THEN e.occurred_at END), "
    "min(CASE WHEN e.to_status IN ('accepted', 'declined') THEN e.occurred_at END), "
    "max(CASE WHEN e.to_status = 'accepted' THEN 1 ELSE 0 END), "
    "max(CASE WHEN e.to_status = 'declined' THEN 1 ELSE 0 END), "
    "max(CASE WHEN e.to_status = 'completed' THEN 1 ELSE 0 END) "
    "FROM referral_events e JOIN referrals r ON r.id = e.referral_id "
    "WHERE e.to_status IN ('submitted', 'sent', 'accepted', 'declined', 'completed') "
    "GROUP BY e.referral_id, r.region_id, r.organisation_id "
    "HAVING min(CASE WHEN e.to_status = 'submitted' THEN e.occurred_at END) IS NOT NULL"
).columns(
    sa.column('referral_id', sa.Integer()),
    sa.column('region_id', sa.Integer()),
    sa.column('organisation_id', sa.Integer()),
    sa.column('first_submitted_at', sa.DateTime()),
    sa.column('sent_at', sa.DateTime()),
    sa.column('answered_at', sa.DateTime()),
    sa.column('accepted', sa.Integer()),
    sa.column('declined', sa.Integer()),
    sa.column('completed', sa.Integer()),
)
milestones = sa.table(
    'dashboard_case_milestones',
    sa.column('case_id', sa.Integer()),
    sa.column('region_id', sa.Integer()),
    sa.column('first_held_at', sa.DateTime()),
    sa.column('first_plan_at', sa.DateTime()),
    sa.column('first_outcome_at', sa.DateTime()),
    sa.column('first_outcome_id', sa.Integer()),
    sa.column('first_held_on', sa.Date()),
    sa.column('first_plan_on', sa.Date()),
)
cohorts = sa.table(
    'dashboard_referral_cohorts',
    sa.column('referral_id', sa.Integer()),
    sa.column('region_id', sa.Integer()),
    sa.column('organisation_id', sa.Integer()),
    sa.column('first_submitted_at', sa.DateTime()),
    sa.column('reached_sent', sa.Boolean()),
    sa.column('reached_accepted', sa.Boolean()),
    sa.column('reached_declined', sa.Boolean()),
    sa.column('reached_completed', sa.Boolean()),
    sa.column('answer_days', sa.Double()),
)


def local_day(moment):
    return moment.replace(tzinfo=UTC).astimezone(LOCAL).date() if moment else None


def milestone_row(row):
    case_id, region_id, held_at, plan_at, outcome_at, outcome_id = row
    return {
        'case_id': case_id,
        'region_id': region_id,
        'first_held_at': held_at,
        'first_plan_at': plan_at,
        'first_outcome_at': outcome_at,
        'first_outcome_id': outcome_id,
        'first_held_on': local_day(held_at),
        'first_plan_on': local_day(plan_at),
    }


def cohort_row(row):
    referral_id, region_id, organisation_id, submitted, sent, answered, accepted, declined, completed = row
    return {
        'referral_id': referral_id,
        'region_id': region_id,
        'organisation_id': organisation_id,
        'first_submitted_at': submitted,
        'reached_sent': sent is not None,
        'reached_accepted': bool(accepted),
        'reached_declined': bool(declined),
        'reached_completed': bool(completed),
        'answer_days': (answered - sent).total_seconds() / 86400 if sent and answered else None,
    }


def fill(table, statement, to_row):
    connection = op.get_bind()
    for rows in connection.execute(statement).partitions(BATCH):
        connection.execute(table.insert(), [to_row(row) for row in rows])


def upgrade():
    op.execute("DELETE FROM dashboard_case_milestones")
    op.execute("DELETE FROM dashboard_referral_cohorts")
    with op.batch_alter_table('dashboard_case_milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_outcome_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_outcome_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_held_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('first_plan_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_dashboard_case_milestones_first_outcome_at'), ['first_outcome_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_dashboard_case_milestones_first_outcome_id_appointments'), 'appointments', ['first_outcome_id'], ['id'], ondelete='SET NULL')
        # A region's period read from the index alone, for each measure.
        batch_op.create_index('ix_dashboard_case_milestones_region_held', ['region_id', 'first_held_at', 'first_held_on', 'case_id'], unique=False)
        batch_op.create_index('ix_dashboard_case_milestones_region_plan', ['region_id', 'first_plan_at', 'first_plan_on', 'first_held_on', 'case_id'], unique=False)
        batch_op.create_index('ix_dashboard_case_milestones_region_outcome', ['region_id', 'first_outcome_at', 'first_outcome_id'], unique=False)
    with op.batch_alter_table('dashboard_referral_cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('reached_sent', sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column('reached_accepted', sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column('reached_declined', sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column('reached_completed', sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column('answer_days', sa.Double(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dashboard_referral_cohorts_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])
        batch_op.create_index('ix_dashboard_referral_cohorts_funnel', ['region_id', 'first_submitted_at', 'organisation_id', 'reached_sent', 'reached_accepted', 'reached_declined', 'reached_completed', 'answer_days'], unique=False)
    fill(milestones, MILESTONES, milestone_row)
    fill(cohorts, COHORTS, cohort_row)
    if op.get_bind().dialect.name == 'postgresql':
        # Both tables were emptied and filled again: the planner's statistics of them are new.
        op.execute("ANALYZE dashboard_case_milestones")
        op.execute("ANALYZE dashboard_referral_cohorts")


def downgrade():
    # The rows left are those of 0033's tables: each case's and referral's first moments.
    with op.batch_alter_table('dashboard_referral_cohorts', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_referral_cohorts_funnel')
        batch_op.drop_constraint(batch_op.f('fk_dashboard_referral_cohorts_organisation_id_organisations'), type_='foreignkey')
        for column in ('answer_days', 'reached_completed', 'reached_declined', 'reached_accepted', 'reached_sent', 'organisation_id'):
            batch_op.drop_column(column)
    # Cases whose only milestone was an appointment missed had no row in 0033.
    op.execute(
        "DELETE FROM dashboard_case_milestones "
        "WHERE first_held_at IS NULL AND first_plan_at IS NULL"
    )
    with op.batch_alter_table('dashboard_case_milestones', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dashboard_case_milestones_first_outcome_id_appointments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_dashboard_case_milestones_first_outcome_at'))
        for index in ('region_outcome', 'region_plan', 'region_held'):
            batch_op.drop_index(f'ix_dashboard_case_milestones_{index}')
        for column in ('first_plan_on', 'first_held_on', 'first_outcome_id', 'first_outcome_at'):
            batch_op.drop_column(column)
