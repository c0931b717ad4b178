"""Member rows: the Slack users the bot has seen, with their cached time zone.

Members are created on first contact by whichever capability meets them first, so the
insert must tolerate a concurrent twin: ``INSERT … ON CONFLICT DO NOTHING`` on both
SQLite and PostgreSQL instead of read-then-write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Member, utcnow


def insert_ignoring_conflicts(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``, silently skipping those that violate a unique key; returns how many were new."""
    return len(insert_new(session, model, rows))


def insert_new(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> list[Any]:
    """Insert ``rows``, skipping those that violate a unique key; the primary keys of the new ones.

    Told by RETURNING: the driver's rowcount of an INSERT is -1 on PostgreSQL (psycopg 3)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(rows).on_conflict_do_nothing().returning(*model.__table__.primary_key.columns)
    return list(session.execute(statement).all())


def ensure_member(session: Session, slack_id: str, *, name: str = "") -> None:
    """Make sure a ``members`` row exists (foreign keys point at it); never overwrites."""
    ensure_members(session, [slack_id], name=name)


def ensure_members(session: Session, slack_ids: list[str], *, name: str = "") -> None:
    rows = [{"slack_id": sid, "name": name, "created_at": utcnow()} for sid in dict.fromkeys(slack_ids)]
    insert_ignoring_conflicts(session, Member, rows)


def get_member(session: Session, slack_id: str) -> Member | None:
    return session.get(Member, slack_id, populate_existing=True)


def save_directory_entry(session: Session, slack_id: str, *, name: str, tz: str | None, at: datetime) -> None:
    """Store what Slack's directory said about a member, and when (the cache's age)."""
    ensure_member(session, slack_id, name=name)
    session.execute(
        update(Member).where(Member.slack_id == slack_id).values(name=name, tz=tz, tz_refreshed_at=at)
    )
