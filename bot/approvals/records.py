"""Reading and writing one request's rows: the shared steps of the service, the routing and the reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.approvals.model import (
    POLICY_ACTOR,
    AlreadyDecided,
    DecisionView,
    EventView,
    RequestNotFound,
    RequestView,
)
from bot.approvals.policy import EXECUTABLE_TYPES, Policy, Route
from bot.approvals.policy import quorum as quorum_of
from bot.text import utc_text
from storage import approvals as store
from storage.approvals import APPROVED, PENDING, ApprovalRequest
from storage.repositories import record_activity


def record_outcome(session: Session, request: ApprovalRequest, *, status: str, by: str, reason: str, at: datetime) -> None:
    """The one final transition of a request, with its activity-log entry."""
    request.status, request.decided_at, request.decided_by, request.decision_reason = status, at, by, reason
    if status == APPROVED and request.type_id in EXECUTABLE_TYPES:
        request.execution_status = "pending"
    hours = round((at - request.created_at).total_seconds() / 3600, 3)
    kind = "auto_approved" if by == POLICY_ACTOR else status
    record_activity(session, kind=f"approval.{kind}", actor=by, guild=request.guild, subject=request.public_id,
                    figures={"tier": request.tier, "type": request.type_id, "hours_to_decision": hours}, at=at)


def lock_or_raise(session: Session, request_id: int) -> ApprovalRequest:
    request = store.lock_request(session, request_id)
    if request is None:
        raise RequestNotFound(f"There is no request AR-{request_id}.")
    return request


def get_or_raise(session: Session, request_id: int) -> ApprovalRequest:
    request = store.get_request(session, request_id)
    if request is None:
        raise RequestNotFound(f"There is no request AR-{request_id}.")
    return request


def refuse_if_decided(session: Session, policy: Policy, request: ApprovalRequest) -> None:
    if request.status != PENDING:
        view = request_view(session, policy, request)
        raise AlreadyDecided(f"{request.public_id} was already {view.outcome_text(utc_text)}.")


def refuse_if_decided_by(session: Session, request: ApprovalRequest, user: str) -> None:
    """A second click by the same person: say what they already did (checked before the request's state)."""
    mine = next((d for d in store.decisions_for(session, request.id) if d.approver == user), None)
    if mine is not None:
        raise AlreadyDecided(f"You already {past_tense(mine.verdict)} {request.public_id} at {utc_text(mine.decided_at)}.")


def past_tense(verdict: str) -> str:
    return {"approve": "approved", "reject": "rejected"}[verdict]




def request_view(session: Session, policy: Policy, request: ApprovalRequest) -> RequestView:
    rtype = policy.request_type(request.type_id)
    fields = tuple(
        ((rtype.field(k).label if rtype and rtype.field(k) else k), str(v)) for k, v in request.fields.items()
    )
    answers = []
    for qid, value in request.answers.items():
        question = policy.question(qid)
        shown = ("yes" if value else "no") if isinstance(value, bool) else f"{value:g}" if isinstance(value, float) else str(value)
        answers.append((question.label if question else qid, shown))
    decisions = tuple(
        DecisionView(approver=d.approver, verdict=d.verdict, reason=d.reason, at=d.decided_at)
        for d in store.decisions_for(session, request.id)
    )
    comments = tuple(
        EventView(at=e.at, actor=e.actor, kind=e.kind, reason=e.reason, detail=e.detail)
        for e in store.audit_for(session, request.id) if e.kind == "commented"
    )
    route = Route.from_json(request.route)
    return RequestView(
        id=request.id, public_id=request.public_id, type_id=request.type_id,
        type_label=rtype.label if rtype else request.type_id, fields=fields, field_values=dict(request.fields),
        answers=tuple(answers), justification=request.justification, requester=request.requester,
        guild=request.guild, tier=request.tier, matched_rule=request.matched_rule, status=request.status,
        created_at=request.created_at, decided_at=request.decided_at, decided_by=request.decided_by,
        decision_reason=request.decision_reason, route=route,
        quorum=quorum_of(route, [d.approver for d in decisions if d.verdict == "approve"]),
        decisions=decisions, comments=comments, expires_at=request.expires_at,
        execution_status=request.execution_status, execution_detail=request.execution_detail,
        executed_at=request.executed_at,
    )


