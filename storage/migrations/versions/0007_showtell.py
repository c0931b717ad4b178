"""showtell: series, sessions, talks, waitlist, kudos, reminder claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BOOKED = sa.text("status = 'booked'")
OPEN_ENTRY = sa.text("status IN ('waiting', 'offered')")


def upgrade() -> None:
    op.create_table(
        "showtell_series",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id"), nullable=False, unique=True),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("anchor_on", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(32), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "showtell_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("showtell_series.id"), nullable=False),
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id"), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agenda_channel", sa.String(32)),
        sa.Column("agenda_ts", sa.String(32)),
    )
    op.create_index("uq_showtell_sessions_day", "showtell_sessions", ["series_id", "held_on"], unique=True)
    op.create_index("ix_showtell_sessions_guild_id", "showtell_sessions", ["guild_id"])
    op.create_index("ix_showtell_sessions_starts_at", "showtell_sessions", ["starts_at"])
    op.create_table(
        "showtell_talks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("showtell_sessions.id"), nullable=False),
        sa.Column("presenter", sa.String(32), sa.ForeignKey("members.slack_id"), nullable=False),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("booked_at", TS, nullable=False),
        sa.Column("cancelled_at", TS),
        sa.Column("cancelled_by", sa.String(32)),
        sa.Column("link", sa.Text()),
        sa.Column("link_at", TS),
    )
    op.create_index("ix_showtell_talks_session_id", "showtell_talks", ["session_id"])
    op.create_index("ix_showtell_talks_presenter", "showtell_talks", ["presenter"])
    for name, column in (("uq_showtell_talks_slot", "slot"), ("uq_showtell_talks_presenter", "presenter")):
        op.create_index(name, "showtell_talks", ["session_id", column], unique=True,
                        sqlite_where=BOOKED, postgresql_where=BOOKED)
    op.create_table(
        "showtell_waitlist",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("showtell_sessions.id"), nullable=False),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), nullable=False),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("joined_at", TS, nullable=False),
        sa.Column("offered_at", TS),
        sa.Column("offer_expires_at", TS),
    )
    op.create_index("ix_showtell_waitlist_session_id", "showtell_waitlist", ["session_id"])
    op.create_index("ix_showtell_waitlist_offer_expires_at", "showtell_waitlist", ["offer_expires_at"])
    op.create_index("uq_showtell_waitlist_open", "showtell_waitlist", ["session_id", "member_id"], unique=True,
                    sqlite_where=OPEN_ENTRY, postgresql_where=OPEN_ENTRY)
    op.create_table(
        "showtell_kudos",
        sa.Column("talk_id", sa.Integer(), sa.ForeignKey("showtell_talks.id"), primary_key=True),
        sa.Column("member_id", sa.String(32), primary_key=True),
        sa.Column("given_at", TS, nullable=False),
    )
    op.create_table(
        "showtell_reminders",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("subject_id", sa.Integer(), primary_key=True),
        sa.Column("claimed_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("showtell_reminders")
    op.drop_table("showtell_kudos")
    op.drop_index("uq_showtell_waitlist_open", "showtell_waitlist")
    op.drop_index("ix_showtell_waitlist_offer_expires_at", "showtell_waitlist")
    op.drop_index("ix_showtell_waitlist_session_id", "showtell_waitlist")
    op.drop_table("showtell_waitlist")
    for name in ("uq_showtell_talks_presenter", "uq_showtell_talks_slot", "ix_showtell_talks_presenter",
                 "ix_showtell_talks_session_id"):
        op.drop_index(name, "showtell_talks")
    op.drop_table("showtell_talks")
    for name in ("ix_showtell_sessions_starts_at", "ix_showtell_sessions_guild_id", "uq_showtell_sessions_day"):
        op.drop_index(name, "showtell_sessions")
    op.drop_table("showtell_sessions")
    op.drop_table("showtell_series")
