"""issue 11 per-agency SMTP and webhook settings, per-user e-mail choices

Revision ID: 0017
Revises: 0016
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("smtp_host", sa.String(length=253), nullable=True))
        batch.add_column(sa.Column("smtp_port", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("smtp_username", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("smtp_password_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("smtp_from", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("smtp_starttls", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("webhook_secret_encrypted", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_muted_events", sa.Text(), nullable=True))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("email_muted", sa.Boolean(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("email_muted")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_muted_events")
    with op.batch_alter_table("agencies") as batch:
        for name in ("webhook_secret_encrypted", "webhook_url", "smtp_starttls", "smtp_from",
                     "smtp_password_encrypted", "smtp_username", "smtp_port", "smtp_host"):
            batch.drop_column(name)
