"""issue 10 sensitive-information guard and agency footer

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa
import content_queue.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    UTC = content_queue.models.UTCDateTime
    with op.batch_alter_table("agencies") as batch:
        for name in ("guard_allowed_numbers", "guard_allowed_addresses", "guard_allowed_domains",
                     "guard_patterns", "footer_text"):
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch.add_column(sa.Column("footer_enabled", sa.Boolean(), nullable=False,
                                   server_default="1"))
    op.create_table(
        "guard_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_guard_overrides_post", "guard_overrides", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_guard_overrides_post", table_name="guard_overrides")
    op.drop_table("guard_overrides")
    with op.batch_alter_table("agencies") as batch:
        for name in ("footer_enabled", "footer_text", "guard_patterns", "guard_allowed_domains",
                     "guard_allowed_addresses", "guard_allowed_numbers"):
            batch.drop_column(name)
