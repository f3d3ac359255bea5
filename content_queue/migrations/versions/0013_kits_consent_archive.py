"""issue 10 campaign kits, consent records, archive exports

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    UTC = content_queue.models.UTCDateTime
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("usual_posting_time", sa.String(length=5), nullable=True))
    op.create_table(
        "kit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("kit_id", sa.String(length=64), nullable=False),
        sa.Column("kit_name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("started_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id"),
    )
    op.create_table(
        "kit_posts",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("kit_runs.id"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("requires_consent", sa.Boolean(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("image_prompts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("person_name", sa.String(length=200), nullable=False),
        sa.Column("given_by", sa.String(length=200), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("covers_name", sa.Boolean(), nullable=False),
        sa.Column("covers_photo", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_post", "consents", ["post_id"])
    op.create_table(
        "target_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey("post_targets.id"), nullable=False),
        sa.Column("deleted_at", UTC(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_target_deletions_target", "target_deletions", ["target_id"])


def downgrade() -> None:
    op.drop_index("ix_target_deletions_target", table_name="target_deletions")
    op.drop_table("target_deletions")
    op.drop_index("ix_consents_post", table_name="consents")
    op.drop_table("consents")
    op.drop_table("kit_posts")
    op.drop_table("kit_runs")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("usual_posting_time")
