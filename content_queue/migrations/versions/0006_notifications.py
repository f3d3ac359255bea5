"""notifications

Revision ID: 0006
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('group_key', sa.String(length=36), nullable=False),
    sa.Column('sends_webhook', sa.Boolean(), nullable=False),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('read_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('delivery_state', sa.String(length=16), nullable=False),
    sa.Column('delivery_attempts', sa.Integer(), nullable=False),
    sa.Column('delivery_error', sa.Text(), nullable=True),
    sa.Column('last_attempt_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('email_sent_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('webhook_sent_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('delivered_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], ),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['post_targets.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_delivery', ['delivery_state', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_notifications_event', ['agency_id', 'event', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index('ix_notifications_event')
        batch_op.drop_index('ix_notifications_delivery')

    op.drop_table('notifications')
