"""mentoring: programs, participants, enrolments, avoid lists, rounds, matches, check-ins

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mentoring_programs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("guild_id", sa.Integer(), sa.ForeignKey("guilds.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("cadence_days", sa.Integer(), nullable=False),
        sa.Column("checkin_days", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "mentoring_participants",
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paused_until", TS),
        sa.Column("ignored_intros", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "mentoring_enrollments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("mentoring_programs.id"), nullable=False),
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.UniqueConstraint("program_id", "member_id", "role"),
    )
    op.create_index("ix_mentoring_enrollments_program_id", "mentoring_enrollments", ["program_id"])
    op.create_index("ix_mentoring_enrollments_member_id", "mentoring_enrollments", ["member_id"])
    op.create_table(
        "mentoring_avoids",
        sa.Column("member_id", sa.String(32), sa.ForeignKey("members.slack_id"), primary_key=True),
        sa.Column("avoided_id", sa.String(32), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "mentoring_rounds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.Integer(), sa.ForeignKey("mentoring_programs.id"), nullable=False),
        sa.Column("round_on", sa.Date(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("ran_at", TS, nullable=False),
        sa.Column("started_by", sa.String(32)),
        sa.Column("unmatched", sa.JSON(), nullable=False),
        sa.UniqueConstraint("program_id", "round_on"),
    )
    op.create_index("ix_mentoring_rounds_program_id", "mentoring_rounds", ["program_id"])
    op.create_table(
        "mentoring_matches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("mentoring_rounds.id"), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("mentor_id", sa.String(32)),
        sa.Column("fit", sa.Float(), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("conversation_id", sa.String(32)),
        sa.Column("introduced_at", TS),
        sa.Column("checkin_due_at", TS, nullable=False),
        sa.Column("checkin_sent_at", TS),
        sa.Column("settled_at", TS),
    )
    op.create_index("ix_mentoring_matches_round_id", "mentoring_matches", ["round_id"])
    op.create_index("ix_mentoring_matches_checkin_due_at", "mentoring_matches", ["checkin_due_at"])
    op.create_table(
        "mentoring_checkins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("match_id", sa.Integer(), sa.ForeignKey("mentoring_matches.id"), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.UniqueConstraint("match_id", "member_id"),
    )
    op.create_index("ix_mentoring_checkins_match_id", "mentoring_checkins", ["match_id"])


def downgrade() -> None:
    op.drop_index("ix_mentoring_checkins_match_id", "mentoring_checkins")
    op.drop_table("mentoring_checkins")
    op.drop_index("ix_mentoring_matches_checkin_due_at", "mentoring_matches")
    op.drop_index("ix_mentoring_matches_round_id", "mentoring_matches")
    op.drop_table("mentoring_matches")
    op.drop_index("ix_mentoring_rounds_program_id", "mentoring_rounds")
    op.drop_table("mentoring_rounds")
    op.drop_table("mentoring_avoids")
    op.drop_index("ix_mentoring_enrollments_member_id", "mentoring_enrollments")
    op.drop_index("ix_mentoring_enrollments_program_id", "mentoring_enrollments")
    op.drop_table("mentoring_enrollments")
    op.drop_table("mentoring_participants")
    op.drop_table("mentoring_programs")
