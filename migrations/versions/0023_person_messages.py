"""person messages: confirmations and reminders to the person by e-mail and SMS, how a case
may be reached, and disclosures to recipients other than an organisation (the SMS gateway)
(issue 20)

Revision ID: 0023
Revises: 0016
Create Date: 2026-12-06 13:02:20.957310

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_settings',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('phone_is_landline', sa.Boolean(), nullable=False),
    sa.Column('time_zone', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_settings_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_contact_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_contact_settings'))
    )
    op.create_table('person_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=3), nullable=False),
    sa.Column('fallback_from', sa.String(length=3), nullable=True),
    sa.Column('address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('provider_id', sa.String(length=100), nullable=True),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_person_messages_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_person_messages_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_person_messages_consent_id_consents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_person_messages_key'))
    )
    with op.batch_alter_table('person_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_messages_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index('ix_person_messages_case_created', ['case_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_messages_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_person_messages_status_next', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient', sa.String(length=120), nullable=True))
        batch_op.alter_column('referral_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade():
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('referral_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('recipient')

    with op.batch_alter_table('person_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_person_messages_status_next')
        batch_op.drop_index(batch_op.f('ix_person_messages_provider_id'))
        batch_op.drop_index('ix_person_messages_case_created')
        batch_op.drop_index(batch_op.f('ix_person_messages_appointment_id'))

    op.drop_table('person_messages')
    op.drop_table('contact_settings')
