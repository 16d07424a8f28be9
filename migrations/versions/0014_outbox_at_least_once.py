"""the e-mail outbox sends at least once: a Message-ID given when queued, a lifetime instead of
a number of attempts, no « sending » mark; the scheduler's heartbeat counts failures and
durations (issue 14)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:00:00

"""
import hashlib

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

LIFETIME_HOURS = 48


def upgrade():
    with op.batch_alter_table('outbound_emails') as batch:
        batch.add_column(sa.Column('message_id', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
    connection = op.get_bind()
    # E-mails not sent yet keep the Message-ID they were (or would have been) sent with: it was
    # derived from the key. Sent ones only need a value.
    unsent = connection.execute(
        sa.text("SELECT id, key FROM outbound_emails WHERE status <> 'sent'")
    ).all()
    for email_id, key in unsent:
        connection.execute(
            sa.text("UPDATE outbound_emails SET message_id = :mid WHERE id = :id"),
            {"mid": f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@casework>", "id": email_id},
        )
    if connection.dialect.name == 'postgresql':
        later = f"created_at + interval '{LIFETIME_HOURS} hours'"
    else:
        later = f"datetime(created_at, '+{LIFETIME_HOURS} hours')"
    connection.execute(sa.text(f"UPDATE outbound_emails SET expires_at = {later}"))
    connection.execute(
        sa.text(
            "UPDATE outbound_emails SET message_id = '<sent-' || id || '@casework>' "
            "WHERE message_id IS NULL"
        )
    )
    with op.batch_alter_table('outbound_emails') as batch:
        batch.alter_column('message_id', existing_type=sa.String(length=200), nullable=False)
        batch.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
        batch.drop_column('sending_at')
    with op.batch_alter_table('scheduler_heartbeats') as batch:
        batch.add_column(
            sa.Column('failures', sa.Integer(), nullable=False, server_default='0')
        )
        batch.add_column(sa.Column('duration_seconds', sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table('scheduler_heartbeats') as batch:
        batch.drop_column('duration_seconds')
        batch.drop_column('failures')
    with op.batch_alter_table('outbound_emails') as batch:
        batch.add_column(sa.Column('sending_at', sa.DateTime(), nullable=True))
        batch.drop_column('failed_at')
        batch.drop_column('expires_at')
        batch.drop_column('message_id')
