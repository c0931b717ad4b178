"""Typed SQLAlchemy 2 models: the base, UTC timestamps, and the tables every capability
shares (members, the activity log, processed events, job runs).  One table a noun; each
capability's own tables are in its module (``storage/approvals.py``, …)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Member(Base):
    """A Slack user the bot has seen."""

    __tablename__ = "members"

    slack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    tz: Mapped[str | None] = mapped_column(String(64))
    tz_refreshed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityEvent(Base):
    """Append-only: who did what, when, in which guild.  The weekly digest reads it back.

    The migration adds database triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "activity_events"
    __table_args__ = (
        Index("ix_activity_kind_at", "kind", "at"),
        Index("ix_activity_guild_at", "guild", "at"),
        Index("ix_activity_kind_subject", "kind", "subject"),  # the digest: was this request's SLA breached?
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(32))
    guild: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProcessedEvent(Base):
    """A Slack event id or webhook delivery id already handled: the key of de-duplication."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class JobRun(Base):
    """The last result of each scheduled job (APScheduler keeps only the next run)."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    last_run_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
