"""issue 8 compose: per-platform variants, account limits, templates, media library, import

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('social_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_characters', sa.Integer(), nullable=True))
    op.create_table('post_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'platform')
    )
    op.create_table('post_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency_id', 'name')
    )


def downgrade() -> None:
    op.drop_table('post_templates')
    op.drop_table('post_variants')
    with op.batch_alter_table('social_accounts', schema=None) as batch_op:
        batch_op.drop_column('max_characters')
