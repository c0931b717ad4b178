"""The repository functions every capability shares: the activity log, event
de-duplication and the jobs' last runs.  Each capability's own tables and queries are in
its module beside this one (``storage/approvals.py``, ``storage/guilds.py``, …)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ActivityEvent, JobRun, ProcessedEvent, utcnow


def record_activity(
    session: Session,
    *,
    kind: str,
    actor: str | None = None,
    guild: str | None = None,
    subject: str | None = None,
    figures: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ActivityEvent:
    """Append one event to the activity log (never updated, never deleted)."""
    event = ActivityEvent(
        kind=kind, actor=actor, guild=guild, subject=subject, figures=figures or {}, at=at or utcnow()
    )
    session.add(event)
    return event


def activity_between(
    session: Session, start: datetime, end: datetime, *, kind: str | None = None, guild: str | None = None
) -> list[ActivityEvent]:
    query = select(ActivityEvent).where(ActivityEvent.at >= start, ActivityEvent.at < end)
    if kind is not None:
        query = query.where(ActivityEvent.kind == kind)
    if guild is not None:
        query = query.where(ActivityEvent.guild == guild)
    return list(session.scalars(query.order_by(ActivityEvent.at, ActivityEvent.id)))


def claim_once(session: Session, key: str) -> bool:
    """True the first time ``key`` is seen, False after: de-duplication guarded by the primary key."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(key=key))
    except IntegrityError:
        return False
    return True


def forget_processed_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.seen_at < cutoff))
    return int(result.rowcount or 0)


def save_job_run(session: Session, job_id: str, *, at: datetime, outcome: str, detail: str = "") -> None:
    run = session.get(JobRun, job_id)
    if run is None:
        session.add(JobRun(job_id=job_id, last_run_at=at, outcome=outcome, detail=detail[:2000]))
    else:
        run.last_run_at, run.outcome, run.detail = at, outcome, detail[:2000]


def job_runs(session: Session) -> dict[str, JobRun]:
    return {run.job_id: run for run in session.scalars(select(JobRun))}
