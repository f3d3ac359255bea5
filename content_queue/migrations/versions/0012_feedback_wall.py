"""issue 9 feedback wall: sentiment, flags, hide/highlight, emergencies

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_duty_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_duty_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('emergency_instructions', sa.Text(), nullable=True))
    with op.batch_alter_table('community_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('sentiment', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('emergency', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('hidden', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('highlighted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('highlighted_at', content_queue.models.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('deleted_on_platform_at',
                                      content_queue.models.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_community_replies_agency_id', 'agencies',
                                    ['agency_id'], ['id'])
        batch_op.create_index('ix_community_replies_agency_created',
                              ['agency_id', 'created_at'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_to', sa.String(length=254), nullable=True))
    # Replies stored before this step belong to their post's agency.
    op.execute("UPDATE community_replies SET agency_id = (SELECT posts.agency_id FROM posts "
               "JOIN post_targets ON post_targets.post_id = posts.id "
               "WHERE post_targets.id = community_replies.target_id)")


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('email_to')
    with op.batch_alter_table('community_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_community_replies_agency_created')
        batch_op.drop_constraint('fk_community_replies_agency_id', type_='foreignkey')
        for column in ('deleted_on_platform_at', 'highlighted_at', 'highlighted',
                       'hidden_reason', 'hidden', 'emergency', 'flags', 'sentiment', 'url', 'agency_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        for column in ('emergency_instructions', 'on_duty_email', 'on_duty_user_id'):
            batch_op.drop_column(column)
