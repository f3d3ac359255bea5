"""incident pauses and posting budgets

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('account_ids', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('resume_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('resumed_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('resumed_by_id', sa.Integer(), nullable=True),
    sa.Column('held_mode', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['resumed_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pauses', schema=None) as batch_op:
        batch_op.create_index('ix_pauses_agency_active', ['agency_id', 'resumed_at'], unique=False)
    # The posting budget counts each account's recent claims.
    with op.batch_alter_table('post_targets', schema=None) as batch_op:
        batch_op.create_index('ix_post_targets_account_claimed', ['account_id', 'claimed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('post_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_post_targets_account_claimed')
    with op.batch_alter_table('pauses', schema=None) as batch_op:
        batch_op.drop_index('ix_pauses_agency_active')
    op.drop_table('pauses')
