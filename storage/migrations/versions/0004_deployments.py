"""models: deployments made through the bot, model watches, per-model leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_ref", sa.String(40), unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("previous_version", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("approved_by", sa.JSON(), nullable=False),
        sa.Column("guild", sa.String(40)),
        sa.Column("notify", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS),
    )
    op.create_index("ix_deployments_model", "deployments", ["model"])
    op.create_index("ix_deployments_next_attempt_at", "deployments", ["next_attempt_at"])
    op.create_table(
        "model_watches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("added_by", sa.String(32), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.UniqueConstraint("model", "channel_id"),
    )
    op.create_index("ix_model_watches_model", "model_watches", ["model"])
    op.create_table(
        "model_leases",
        sa.Column("model", sa.String(255), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_leases")
    op.drop_index("ix_model_watches_model", "model_watches")
    op.drop_table("model_watches")
    op.drop_index("ix_deployments_next_attempt_at", "deployments")
    op.drop_index("ix_deployments_model", "deployments")
    op.drop_table("deployments")
