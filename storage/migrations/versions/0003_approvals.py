"""approvals: requests, decisions, audit trail (append-only), message refs, SLA ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The same guards as activity_events (0001); PostgreSQL reuses 0001's factorybot_append_only().
_SQLITE_GUARDS = [
    "CREATE TRIGGER approval_audit_events_no_update BEFORE UPDATE ON approval_audit_events "
    "BEGIN SELECT RAISE(ABORT, 'approval_audit_events is append-only'); END",
    "CREATE TRIGGER approval_audit_events_no_delete BEFORE DELETE ON approval_audit_events "
    "BEGIN SELECT RAISE(ABORT, 'approval_audit_events is append-only'); END",
]
_PG_GUARDS = [
    "CREATE TRIGGER approval_audit_events_append_only BEFORE UPDATE OR DELETE ON approval_audit_events "
    "FOR EACH ROW EXECUTE FUNCTION factorybot_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("type_id", sa.String(40), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("guild", sa.String(40)),
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("matched_rule", sa.String(80)),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("remind_at", TS),
        sa.Column("escalate_at", TS),
        sa.Column("expires_at", TS),
        sa.Column("decided_at", TS),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("execution_status", sa.String(16), nullable=False),
        sa.Column("execution_detail", sa.Text(), nullable=False),
        sa.Column("executed_at", TS),
    )
    op.create_index("ix_approval_requests_requester", "approval_requests", ["requester"])
    op.create_index("ix_approval_requests_guild", "approval_requests", ["guild"])
    op.create_index("ix_approval_requests_status_created", "approval_requests", ["status", "created_at"])

    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"), nullable=False),
        sa.Column("approver", sa.String(32), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.UniqueConstraint("request_id", "approver", name="uq_approval_decisions_request_approver"),
    )
    op.create_index("ix_approval_decisions_request_id", "approval_decisions", ["request_id"])

    op.create_table(
        "approval_audit_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(32)),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_approval_audit_events_request_id", "approval_audit_events", ["request_id"])
    op.create_index("ix_approval_audit_events_at", "approval_audit_events", ["at"])

    op.create_table(
        "approval_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("posted_at", TS, nullable=False),
        sa.UniqueConstraint("request_id", "role", "recipient", name="uq_approval_messages_recipient"),
    )
    op.create_index("ix_approval_messages_request_id", "approval_messages", ["request_id"])

    op.create_table(
        "approval_sla_marks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("approval_requests.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.UniqueConstraint("request_id", "kind", "step", name="uq_approval_sla_marks_step"),
    )
    op.create_index("ix_approval_sla_marks_request_id", "approval_sla_marks", ["request_id"])

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_GUARDS, "postgresql": _PG_GUARDS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS approval_audit_events_append_only ON approval_audit_events")
    op.drop_index("ix_approval_sla_marks_request_id", "approval_sla_marks")
    op.drop_table("approval_sla_marks")
    op.drop_index("ix_approval_messages_request_id", "approval_messages")
    op.drop_table("approval_messages")
    op.drop_index("ix_approval_audit_events_at", "approval_audit_events")
    op.drop_index("ix_approval_audit_events_request_id", "approval_audit_events")
    op.drop_table("approval_audit_events")
    op.drop_index("ix_approval_decisions_request_id", "approval_decisions")
    op.drop_table("approval_decisions")
    op.drop_index("ix_approval_requests_status_created", "approval_requests")
    op.drop_index("ix_approval_requests_guild", "approval_requests")
    op.drop_index("ix_approval_requests_requester", "approval_requests")
    op.drop_table("approval_requests")
