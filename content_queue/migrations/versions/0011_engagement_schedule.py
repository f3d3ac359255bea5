"""issue 9 engagement: poll schedule and dashboard

Revision ID: 0011
Revises: 0010

``engagement_polls``: one row per published target saying when its engagement is next polled
(the +1 h, +24 h, +7 d, +30 d schedule) and how its last polls went. Rows are made by the poll
itself for targets published recently, so targets published before this migration join in.
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('engagement_polls',
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('published_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('next_poll_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('polls_done', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], ),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['post_targets.id'], ),
    sa.PrimaryKeyConstraint('target_id')
    )
    op.create_index('ix_engagement_polls_account_due', 'engagement_polls',
                    ['account_id', 'next_poll_at'])
    op.create_index('ix_engagement_polls_due', 'engagement_polls', ['next_poll_at'])


def downgrade() -> None:
    op.drop_index('ix_engagement_polls_due', table_name='engagement_polls')
    op.drop_index('ix_engagement_polls_account_due', table_name='engagement_polls')
    op.drop_table('engagement_polls')
