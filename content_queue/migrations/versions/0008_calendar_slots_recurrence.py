"""issue 8 calendar, ICS feed, posting slots, recurring posts

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'post_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=500), nullable=False),
        sa.Column('local_start', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'posting_slots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('time', sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
        sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'weekday', 'time'),
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_secret', sa.String(length=64), nullable=True))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_posts_series_id', 'post_series', ['series_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_posts_series_id', type_='foreignkey')
        batch_op.drop_column('series_id')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('ics_secret')
    op.drop_table('posting_slots')
    op.drop_table('post_series')
