"""Model deployments made through the bot, watches, and per-model leases.

MLflow stays the source of truth for models; the bot keeps only what MLflow does not:
who asked and who approved each alias move, the version it replaced (MLflow keeps no
alias history), the channels watching a model, and a lease per model so two
deployments of one model never interleave.

The lease is a row, not a held database lock: the MLflow call it guards can take
seconds, and no transaction should stay open across a network call.  Taking it is one
INSERT (or one UPDATE of an expired lease), so the database decides who wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, utcnow


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_ref: Mapped[str | None] = mapped_column(String(40), unique=True)  # the approval that asked for it
    kind: Mapped[str] = mapped_column(String(16), default="deploy")  # deploy, rollback
    model: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str] = mapped_column(String(32))
    alias: Mapped[str] = mapped_column(String(64))
    previous_version: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(32))
    approved_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    guild: Mapped[str | None] = mapped_column(String(40))
    notify: Mapped[dict[str, Any]] = mapped_column(default=dict)  # where to report: requester, thread
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class ModelWatch(Base):
    __tablename__ = "model_watches"
    __table_args__ = (UniqueConstraint("model", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(255), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelLease(Base):
    __tablename__ = "model_leases"

    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


# ---------------------------------------------------------------------- leases
def take_lease(session: Session, model: str, holder: str, *, seconds: int) -> bool:
    """True if ``holder`` now holds the model's lease (free, expired, or already its own)."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    try:
        with session.begin_nested():
            session.add(ModelLease(model=model, holder=holder, expires_at=expires))
        return True
    except IntegrityError:
        pass
    taken = session.execute(
        update(ModelLease)
        .where(ModelLease.model == model, (ModelLease.expires_at < now) | (ModelLease.holder == holder))
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)


def release_lease(session: Session, model: str, holder: str) -> None:
    session.execute(delete(ModelLease).where(ModelLease.model == model, ModelLease.holder == holder))


# ---------------------------------------------------------------------- deployments
def deployment_for_request(session: Session, request_ref: str) -> Deployment | None:
    return session.scalar(select(Deployment).where(Deployment.request_ref == request_ref))


def due_deployments(session: Session, now: datetime) -> list[int]:
    query = select(Deployment.id).where(Deployment.status == "pending", Deployment.next_attempt_at <= now)
    return list(session.scalars(query.order_by(Deployment.next_attempt_at)))


def deployment_history(session: Session, model: str, *, limit: int = 20) -> list[Deployment]:
    query = select(Deployment).where(Deployment.model == model).order_by(Deployment.id.desc()).limit(limit)
    return list(session.scalars(query))


def last_done(session: Session, model: str, alias: str | None = None) -> Deployment | None:
    query = select(Deployment).where(Deployment.model == model, Deployment.status == "done")
    if alias is not None:
        query = query.where(Deployment.alias == alias)
    return session.scalar(query.order_by(Deployment.done_at.desc(), Deployment.id.desc()).limit(1))


def last_replacing_deployment(session: Session, model: str, alias: str) -> Deployment | None:
    """The last deployment (not a rollback) that moved ``alias`` off a version: the one a rollback
    undoes.  A deployment that found the alias already in place, or not yet set, replaced nothing."""
    query = select(Deployment).where(
        Deployment.model == model, Deployment.alias == alias, Deployment.kind == "deploy",
        Deployment.status == "done", Deployment.previous_version.is_not(None),
    )
    return session.scalar(query.order_by(Deployment.done_at.desc(), Deployment.id.desc()).limit(1))


# ---------------------------------------------------------------------- watches
def add_watch(session: Session, model: str, channel_id: str, added_by: str) -> bool:
    """False if the channel already watches the model (the unique key decides)."""
    try:
        with session.begin_nested():
            session.add(ModelWatch(model=model, channel_id=channel_id, added_by=added_by))
        return True
    except IntegrityError:
        return False


def remove_watch(session: Session, model: str, channel_id: str) -> bool:
    result = session.execute(delete(ModelWatch).where(ModelWatch.model == model, ModelWatch.channel_id == channel_id))
    return bool(result.rowcount)


def watching_channels(session: Session, model: str) -> list[str]:
    query = select(ModelWatch.channel_id).where(ModelWatch.model == model).order_by(ModelWatch.id)
    return list(session.scalars(query))
