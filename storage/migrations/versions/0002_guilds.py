"""guilds: guilds, leads, memberships with history, profile tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "guilds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("archived_at", TS),
    )
    op.create_index(
        "uq_guilds_channel_active",
        "guilds",
        ["channel_id"],
        unique=True,
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "guild_leads",
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id"), primary_key=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), primary_key=True),
        sa.Column("added_by", sa.String(32), nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id"), nullable=False),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), nullable=False),
        sa.Column("joined_at", TS, nullable=False),
        sa.Column("left_at", TS),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_memberships_guild_id", "memberships", ["guild_id"])
    op.create_index("ix_memberships_member_id", "memberships", ["member_id"])
    op.create_index(
        "uq_memberships_open",
        "memberships",
        ["guild_id", "member_id"],
        unique=True,
        sqlite_where=sa.text("left_at IS NULL"),
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_table(
        "profile_tags",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.UniqueConstraint("member_id", "kind", "tag"),
    )
    op.create_index("ix_profile_tags_member_id", "profile_tags", ["member_id"])
    op.create_index("ix_profile_tags_tag", "profile_tags", ["tag"])


def downgrade() -> None:
    op.drop_table("profile_tags")
    op.drop_index("uq_memberships_open", "memberships")
    op.drop_table("memberships")
    op.drop_table("guild_leads")
    op.drop_index("uq_guilds_channel_active", "guilds")
    op.drop_table("guilds")
