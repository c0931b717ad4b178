"""Approval tables and their repository functions.

* ``approval_requests`` — one row a request; its state changes only under a row lock
  (:func:`lock_request`), so exactly one transaction moves it out of ``pending``.
* ``approval_decisions`` — UNIQUE (request_id, approver): a double click cannot decide twice.
* ``approval_audit_events`` — append-only (database triggers refuse UPDATE and DELETE).
* ``approval_messages`` — the Slack messages sent about a request (channel, ts), so each
  decision can update them in place.
* ``approval_sla_marks`` — UNIQUE (request_id, kind, step): the SLA job's ledger, so a
  reminder, an escalation or a delivery retry is claimed once however often it runs.

How one final transition is guaranteed on each backend:

* PostgreSQL: ``SELECT … FOR UPDATE`` on the request row; a second transaction waits for
  the first to commit, then reads the row as the first left it.
* SQLite: ``FOR UPDATE`` does not exist and Python's sqlite3 module only starts a
  transaction at the first write, so two readers could both see ``pending``.
  :func:`lock_request` therefore opens the transaction with ``BEGIN IMMEDIATE``, which
  takes the database's single write lock before reading (others wait on
  ``busy_timeout``); the read inside it is the latest committed state.

A new request has no row to lock yet, so two identical filings at once could both find no
pending twin and both insert; :func:`lock_filing` makes them take turns (the same
``BEGIN IMMEDIATE`` on SQLite, an advisory lock on what is asked for on PostgreSQL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.guilds import Guild
from storage.models import Base, utcnow

PENDING, APPROVED, REJECTED, CANCELLED, EXPIRED = "pending", "approved", "rejected", "cancelled", "expired"
STATUSES = (PENDING, APPROVED, REJECTED, CANCELLED, EXPIRED)
PUBLIC_PREFIX = "AR-"


class ApprovalRequest(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (Index("ix_approval_requests_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    type_id: Mapped[str] = mapped_column(String(40))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    justification: Mapped[str] = mapped_column(Text, default="")
    requester: Mapped[str] = mapped_column(String(32), index=True)
    guild: Mapped[str | None] = mapped_column(String(40), index=True)
    tier: Mapped[str] = mapped_column(String(8))
    matched_rule: Mapped[str | None] = mapped_column(String(80))
    route: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the tier's requirements, frozen at filing
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    source: Mapped[str] = mapped_column(String(16), default="modal")  # modal, command
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(32))  # a user ID, "policy" or "sla"
    decision_reason: Mapped[str | None] = mapped_column(Text)
    execution_status: Mapped[str] = mapped_column(String(16), default="none")  # none, pending, running, done…
    execution_detail: Mapped[str] = mapped_column(Text, default="")
    executed_at: Mapped[datetime | None]

    @property
    def public_id(self) -> str:
        return f"{PUBLIC_PREFIX}{self.id}"


class ApprovalDecision(Base):
    __tablename__ = "approval_decisions"
    __table_args__ = (UniqueConstraint("request_id", "approver", name="uq_approval_decisions_request_approver"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    approver: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(8))  # approve, reject
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalAuditEvent(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "approval_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(32))  # a user ID, "policy", "sla", "deployments"
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApprovalMessage(Base):
    __tablename__ = "approval_messages"
    __table_args__ = (UniqueConstraint("request_id", "role", "recipient", name="uq_approval_messages_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # approver, requester, channel
    recipient: Mapped[str] = mapped_column(String(32))  # user ID, or the channel ID for role "channel"
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalSlaMark(Base):
    __tablename__ = "approval_sla_marks"
    __table_args__ = (UniqueConstraint("request_id", "kind", "step", name="uq_approval_sla_marks_step"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # deliver, remind, escalate
    step: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


# -- requests ---------------------------------------------------------------------------


def parse_public_id(text: str) -> int | None:
    """``AR-42``, ``ar-42``, ``#42`` or ``42`` -> 42; anything else -> None."""
    raw = text.strip().upper().removeprefix(PUBLIC_PREFIX).lstrip("#")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):  # "²".isdigit() is true too
        return None
    return int(raw) if 0 < int(raw) < 2**31 else None


def add_request(session: Session, **values: Any) -> ApprovalRequest:
    request = ApprovalRequest(**values)
    session.add(request)
    session.flush()  # the id is the public id
    return request


def get_request(session: Session, request_id: int) -> ApprovalRequest | None:
    return session.get(ApprovalRequest, request_id)


def lock_request(session: Session, request_id: int) -> ApprovalRequest | None:
    """The request, locked until the unit of work ends: call it first in a unit of work that
    changes a request (see the module docstring for how each backend does it)."""
    _begin_immediate(session)
    query = (
        select(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one_or_none()


def lock_filing(session: Session, key: str) -> None:
    """Hold filings of the same thing one at a time until the unit of work ends, so the look for a
    pending twin (:func:`pending_twin`) and the insert after it are one step: call it first.
    SQLite takes its single write lock (``BEGIN IMMEDIATE``); PostgreSQL a transaction-scoped
    advisory lock on ``key``, so only filings of the same thing wait for each other."""
    if _begin_immediate(session):
        return
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(number)))


def pending_twin(
    session: Session, *, type_id: str, fields: dict[str, Any], requester: str | None = None
) -> ApprovalRequest | None:
    """The pending request of this type with these field values (and requester, if given).
    Fields are compared here, not in SQL: JSON equality differs between the backends, and
    pending requests of one type are few."""
    query = select(ApprovalRequest).where(ApprovalRequest.status == PENDING, ApprovalRequest.type_id == type_id)
    if requester is not None:
        query = query.where(ApprovalRequest.requester == requester)
    return next((r for r in session.scalars(query.order_by(ApprovalRequest.id)) if r.fields == fields), None)


def _begin_immediate(session: Session) -> bool:
    """On SQLite, open the transaction with the database's write lock; False on other backends."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def pending_requests(session: Session) -> list[ApprovalRequest]:
    return list(session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == PENDING).order_by(ApprovalRequest.id)))


def list_requests(
    session: Session,
    *,
    requester: str | None = None,
    statuses: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 20,
) -> list[ApprovalRequest]:
    """Newest first."""
    query = select(ApprovalRequest)
    if requester is not None:
        query = query.where(ApprovalRequest.requester == requester)
    if statuses:
        query = query.where(ApprovalRequest.status.in_(list(statuses)))
    if ids is not None:
        query = query.where(ApprovalRequest.id.in_(list(ids)))
    return list(session.scalars(query.order_by(ApprovalRequest.id.desc()).limit(limit)))


def claim_execution(session: Session, request_id: int) -> bool:
    """Move an approved request's execution from ``pending`` to ``running``; True for the one caller that did."""
    result = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id, ApprovalRequest.execution_status == "pending")
        .values(execution_status="running")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def awaiting_execution(session: Session, *, decided_before: datetime) -> list[int]:
    query = select(ApprovalRequest.id).where(
        ApprovalRequest.status == APPROVED,
        ApprovalRequest.execution_status == "pending",
        ApprovalRequest.decided_at < decided_before,
    )
    return list(session.scalars(query))


# -- decisions, audit, messages ------------------------------------------------------------


def add_decision(session: Session, *, request_id: int, approver: str, verdict: str, reason: str, at: datetime) -> None:
    session.add(ApprovalDecision(request_id=request_id, approver=approver, verdict=verdict, reason=reason, decided_at=at))
    session.flush()


def decisions_for(session: Session, request_id: int) -> list[ApprovalDecision]:
    query = select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)
    return list(session.scalars(query.order_by(ApprovalDecision.decided_at, ApprovalDecision.id)))


def add_audit(
    session: Session,
    *,
    request_id: int,
    kind: str,
    actor: str | None,
    at: datetime,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> ApprovalAuditEvent:
    event = ApprovalAuditEvent(request_id=request_id, kind=kind, actor=actor, at=at, reason=reason, detail=detail or {})
    session.add(event)
    return event


def audit_for(session: Session, request_id: int) -> list[ApprovalAuditEvent]:
    query = select(ApprovalAuditEvent).where(ApprovalAuditEvent.request_id == request_id)
    return list(session.scalars(query.order_by(ApprovalAuditEvent.at, ApprovalAuditEvent.id)))


def audit_between(
    session: Session, start: datetime, end: datetime | None = None
) -> list[tuple[ApprovalAuditEvent, ApprovalRequest]]:
    query = select(ApprovalAuditEvent, ApprovalRequest).join(
        ApprovalRequest, ApprovalRequest.id == ApprovalAuditEvent.request_id
    ).where(ApprovalAuditEvent.at >= start)
    if end is not None:
        query = query.where(ApprovalAuditEvent.at < end)
    return [(e, r) for e, r in session.execute(query.order_by(ApprovalAuditEvent.at, ApprovalAuditEvent.id))]


def save_message(session: Session, *, request_id: int, role: str, recipient: str, channel: str, ts: str) -> None:
    session.add(ApprovalMessage(request_id=request_id, role=role, recipient=recipient, channel=channel, ts=ts))


def messages_for(session: Session, request_id: int) -> list[ApprovalMessage]:
    query = select(ApprovalMessage).where(ApprovalMessage.request_id == request_id)
    return list(session.scalars(query.order_by(ApprovalMessage.id)))


# -- the SLA ledger ------------------------------------------------------------------------


def sla_mark(session: Session, request_id: int, kind: str, step: int) -> ApprovalSlaMark | None:
    query = select(ApprovalSlaMark).where(
        ApprovalSlaMark.request_id == request_id, ApprovalSlaMark.kind == kind, ApprovalSlaMark.step == step
    )
    return session.scalars(query).one_or_none()


def add_sla_mark(session: Session, *, request_id: int, kind: str, step: int, at: datetime) -> ApprovalSlaMark:
    """Claim a step (call under :func:`lock_request`, after :func:`sla_mark` found none)."""
    mark = ApprovalSlaMark(request_id=request_id, kind=kind, step=step, claimed_at=at)
    session.add(mark)
    session.flush()
    return mark


def sla_marks_for(session: Session, request_id: int) -> list[ApprovalSlaMark]:
    query = select(ApprovalSlaMark).where(ApprovalSlaMark.request_id == request_id)
    return list(session.scalars(query.order_by(ApprovalSlaMark.id)))


def undelivered_marks(session: Session, *, claimed_before: datetime) -> list[ApprovalSlaMark]:
    """Claimed notifications whose sending failed (or whose sender died): to be retried."""
    query = select(ApprovalSlaMark).where(
        ApprovalSlaMark.delivered_at.is_(None), ApprovalSlaMark.claimed_at < claimed_before
    )
    return list(session.scalars(query.order_by(ApprovalSlaMark.id)))


def mark_delivered(session: Session, mark_id: int, at: datetime) -> None:
    session.execute(
        update(ApprovalSlaMark)
        .where(ApprovalSlaMark.id == mark_id, ApprovalSlaMark.delivered_at.is_(None))
        .values(delivered_at=at)
        .execution_options(synchronize_session=False)
    )


# -- guilds, read only -------------------------------------------------------------------------


def open_guild_slugs(session: Session) -> list[str]:
    """Guilds a request can be filed under (not archived)."""
    return list(session.scalars(select(Guild.slug).where(Guild.archived_at.is_(None)).order_by(Guild.slug)))
