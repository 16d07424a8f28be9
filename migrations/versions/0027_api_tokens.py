"""api: tokens for machine clients, their per-minute rate windows, idempotent answers (issue 22)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('rate_limit', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_api_tokens_organisation_id_organisations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['users.id'],
            name=op.f('fk_api_tokens_created_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_table(
        'api_rate_windows',
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['token_id'], ['api_tokens.id'],
            name=op.f('fk_api_rate_windows_token_id_api_tokens'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('token_id', 'window_start', name=op.f('pk_api_rate_windows')),
    )
    op.create_table(
        'api_idempotent_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['token_id'], ['api_tokens.id'],
            name=op.f('fk_api_idempotent_answers_token_id_api_tokens'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_answers')),
        sa.UniqueConstraint(
            'token_id', 'key', name=op.f('uq_api_idempotent_answers_token_id_key')
        ),
    )
    with op.batch_alter_table('api_idempotent_answers', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_api_idempotent_answers_created_at'), ['created_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('api_idempotent_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotent_answers_created_at'))
    op.drop_table('api_idempotent_answers')
    op.drop_table('api_rate_windows')
    op.drop_table('api_tokens')
