"""digest schedules (a guild's own weekly digest slot, or off); an index for the per-guild figures

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_schedules",
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id"), primary_key=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("off", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The digest counts an event without a guild for the guilds its author was in at the time.
    op.create_index("ix_memberships_member_span", "memberships", ["member_id", "joined_at", "left_at", "guild_id"])


def downgrade() -> None:
    op.drop_index("ix_memberships_member_span", "memberships")
    op.drop_table("digest_schedules")
