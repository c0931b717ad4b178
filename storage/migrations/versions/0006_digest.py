"""digest: the ledger of flywheel digests posted, one per (channel, ISO week); an activity index by subject

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("posted_at", TS),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.UniqueConstraint("channel_id", "week", name="uq_digest_posts_channel_week"),
    )
    # "Decided within SLA" asks, per decision, whether its request had an SLA breach.
    op.create_index("ix_activity_kind_subject", "activity_events", ["kind", "subject"])


def downgrade() -> None:
    op.drop_index("ix_activity_kind_subject", "activity_events")
    op.drop_table("digest_posts")
