"""workflow notifications (issue 16): what a notification opens and says, its e-mail state,
and each user's e-mail preference per kind

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06 13:01:16.206423

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_preferences_user_id_kind'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('details', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=20), nullable=True))
        batch_op.alter_column('kind',
               existing_type=sa.VARCHAR(length=20),
               type_=sa.String(length=40),
               existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_notifications_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notifications_email_user', ['email', 'user_id'], unique=False)
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_case_id_cases'), 'cases', ['case_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_case_id_cases'), type_='foreignkey')
        batch_op.drop_index('ix_notifications_user_created')
        batch_op.drop_index('ix_notifications_email_user')
        batch_op.drop_index(batch_op.f('ix_notifications_case_id'))
        batch_op.alter_column('kind',
               existing_type=sa.String(length=40),
               type_=sa.VARCHAR(length=20),
               existing_nullable=False)
        batch_op.drop_column('email')
        batch_op.drop_column('details')
        batch_op.drop_column('case_id')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')

    op.drop_table('notification_preferences')
