"""foundation: members, activity log (append-only), processed events, job runs

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

_SQLITE_GUARDS = [
    "CREATE TRIGGER activity_events_no_update BEFORE UPDATE ON activity_events "
    "BEGIN SELECT RAISE(ABORT, 'activity_events is append-only'); END",
    "CREATE TRIGGER activity_events_no_delete BEFORE DELETE ON activity_events "
    "BEGIN SELECT RAISE(ABORT, 'activity_events is append-only'); END",
]
_PG_GUARDS = [
    "CREATE FUNCTION factorybot_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
    "CREATE TRIGGER activity_events_append_only BEFORE UPDATE OR DELETE ON activity_events "
    "FOR EACH ROW EXECUTE FUNCTION factorybot_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("slack_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tz", sa.String(64)),
        sa.Column("tz_refreshed_at", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "activity_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(32)),
        sa.Column("guild", sa.String(40)),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("figures", sa.JSON(), nullable=False),
    )
    op.create_index("ix_activity_kind_at", "activity_events", ["kind", "at"])
    op.create_index("ix_activity_guild_at", "activity_events", ["guild", "at"])
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_index("ix_processed_events_seen_at", "processed_events", ["seen_at"])
    op.create_table(
        "job_runs",
        sa.Column("job_id", sa.String(191), primary_key=True),
        sa.Column("last_run_at", TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_GUARDS, "postgresql": _PG_GUARDS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS activity_events_append_only ON activity_events")
        op.execute("DROP FUNCTION IF EXISTS factorybot_append_only()")
    op.drop_table("job_runs")
    op.drop_index("ix_processed_events_seen_at", "processed_events")
    op.drop_table("processed_events")
    op.drop_index("ix_activity_guild_at", "activity_events")
    op.drop_index("ix_activity_kind_at", "activity_events")
    op.drop_table("activity_events")
    op.drop_table("members")
