"""attachments: documents of a case (stored outside the database, by a random key) and what
was shared with a partner's referral (issue 21)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PENDING = sa.text("scan_status = 'pending'")


def upgrade():
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('document_type', sa.String(length=20), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('scan_status', sa.String(length=20), nullable=False),
        sa.Column('scanned_at', sa.DateTime(), nullable=True),
        sa.Column('scan_attempts', sa.Integer(), nullable=False),
        sa.Column('next_scan_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_by_id', sa.Integer(), nullable=True),
        sa.Column('deletion_reason', sa.String(length=30), nullable=True),
        sa.Column('file_removed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_attachments_case_id_cases'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['deleted_by_id'], ['users.id'],
            name=op.f('fk_attachments_deleted_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['uploaded_by_id'], ['users.id'],
            name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key')),
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(
            'ix_attachments_case_uploaded', ['case_id', 'uploaded_at'], unique=False
        )
        batch_op.create_index(
            'ix_attachments_pending_scan', ['next_scan_at'], unique=False,
            sqlite_where=PENDING, postgresql_where=PENDING,
        )
    op.create_table(
        'attachment_shares',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('disclosure_id', sa.Integer(), nullable=True),
        sa.Column('shared_by_id', sa.Integer(), nullable=True),
        sa.Column('shared_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['attachment_id'], ['attachments.id'],
            name=op.f('fk_attachment_shares_attachment_id_attachments'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['disclosure_id'], ['disclosures.id'],
            name=op.f('fk_attachment_shares_disclosure_id_disclosures'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['referral_id'], ['referrals.id'],
            name=op.f('fk_attachment_shares_referral_id_referrals'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['shared_by_id'], ['users.id'],
            name=op.f('fk_attachment_shares_shared_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_shares')),
        sa.UniqueConstraint(
            'attachment_id', 'referral_id',
            name=op.f('uq_attachment_shares_attachment_id_referral_id'),
        ),
    )
    with op.batch_alter_table('attachment_shares', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_attachment_shares_referral_id'), ['referral_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('attachment_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_shares_referral_id'))
    op.drop_table('attachment_shares')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_pending_scan')
        batch_op.drop_index('ix_attachments_case_uploaded')
    op.drop_table('attachments')
