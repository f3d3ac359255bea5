"""issue 8 approvals: comments, review links, versions, approval rules

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pio_posts_need_approval', sa.Boolean(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column('second_person_required', sa.Boolean(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by_name', sa.String(length=200), nullable=True))
    op.create_table('review_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_review_links_post', 'review_links', ['post_id'], unique=False)
    op.create_table('post_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('review_link_id', sa.Integer(), nullable=True),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['review_link_id'], ['review_links.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_post_comments_post', 'post_comments', ['post_id', 'created_at'],
                    unique=False)
    op.create_table('post_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('scheduled_at', content_queue.models.UTCDateTime(), nullable=True),
    sa.Column('changed', sa.JSON(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', content_queue.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], ),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'number')
    )


def downgrade() -> None:
    op.drop_table('post_versions')
    op.drop_index('ix_post_comments_post', table_name='post_comments')
    op.drop_table('post_comments')
    op.drop_index('ix_review_links_post', table_name='review_links')
    op.drop_table('review_links')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('approved_by_name')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('second_person_required')
        batch_op.drop_column('pio_posts_need_approval')
