"""performance indexes

Revision ID: 0007
Revises: 0006

``posts.first_scheduled_at`` (the earliest target time, kept by the verbs) lets the queue be
listed off an index instead of sorting every post by a correlated ``min()``; ``published_at``
and ``(status, post_id)`` indexes serve the dashboard's "recently published" and the queue's
status filter.
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("first_scheduled_at", content_queue.models.UTCDateTime(),
                                   nullable=True))
    op.execute(
        "UPDATE posts SET first_scheduled_at = "
        "(SELECT min(post_targets.scheduled_at) FROM post_targets "
        "WHERE post_targets.post_id = posts.id)"
    )
    op.create_index("ix_posts_agency_first_scheduled", "posts",
                    ["agency_id", "first_scheduled_at", "id"])
    op.create_index("ix_post_targets_status_published", "post_targets",
                    ["status", "published_at"])
    op.create_index("ix_post_targets_status_scheduled", "post_targets",
                    ["status", "scheduled_at"])
    op.create_index("ix_post_targets_status_post", "post_targets", ["status", "post_id"])


def downgrade() -> None:
    op.drop_index("ix_post_targets_status_post", table_name="post_targets")
    op.drop_index("ix_post_targets_status_scheduled", table_name="post_targets")
    op.drop_index("ix_post_targets_status_published", table_name="post_targets")
    op.drop_index("ix_posts_agency_first_scheduled", table_name="posts")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("first_scheduled_at")
