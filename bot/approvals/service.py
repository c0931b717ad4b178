"""Approvals: file a request, let the policy route it, decide, comment, cancel, execute.

The rules live here and in :mod:`bot.approvals.policy`, not in the Slack handlers, so a crafted
button payload meets the same checks as a click: nobody decides their own request,
only eligible approvers count, one rejection ends a request, a decided request never
changes again.  Every state change runs in one unit of work that also appends its
audit event and its activity-log entry, under the request's row lock
(:func:`storage.approvals.lock_request`), so two approvers clicking at the same
instant give one decision each and exactly one final transition.

Nothing here knows Slack.  What follows a committed change (delivering the request,
updating messages in place, handing over an approved deployment, the SLA clock) is in
:mod:`bot.approvals.routing`, through an :class:`ApprovalNotifier`; status, lists,
export and digest figures are in :mod:`bot.approvals.reports`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.approvals.policy import EXECUTABLE_TYPES, MODEL_ROLLBACK, Policy, QuorumStatus, Route, assess, clean_answers, clean_fields
from bot.approvals.policy import quorum as quorum_of
from bot.approvals.policy import reachable, refusal, route_for
from storage import approvals as store
from storage.approvals import APPROVED, CANCELLED, EXPIRED, PENDING, REJECTED, ApprovalRequest
from storage.models import utcnow
from storage.repositories import record_activity

if TYPE_CHECKING:
    from bot.services import Services

MAX_JUSTIFICATION = 3000
MAX_COMMENT = 2000
POLICY_ACTOR = "policy"
SLA_ACTOR = "sla"


# -- errors with a message for the person who acted ------------------------------------


class ApprovalError(Exception):
    """A refusal meant for the person who acted; ``str()`` is the message to show."""


class RequestNotFound(ApprovalError):
    pass


class InvalidRequest(ApprovalError):
    """The form had problems: ``problems`` maps ``field:<id>`` / ``answer:<id>`` / ``justification``… to a message."""

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})


class NotAllowed(ApprovalError):
    pass


class AlreadyDecided(ApprovalError):
    pass


# -- what callers get back -------------------------------------------------------------


@dataclass(frozen=True)
class DecisionView:
    approver: str
    verdict: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str | None
    kind: str
    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class RequestView:
    """A request as people see it: labels from the policy, decisions, quorum progress, comments."""

    id: int
    public_id: str
    type_id: str
    type_label: str
    fields: tuple[tuple[str, str], ...]  # (label, value)
    field_values: dict[str, Any]
    answers: tuple[tuple[str, str], ...]  # (question, answer)
    justification: str
    requester: str
    guild: str | None
    tier: str
    matched_rule: str | None
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    route: Route
    quorum: QuorumStatus
    decisions: tuple[DecisionView, ...]
    comments: tuple[EventView, ...]
    expires_at: datetime | None
    execution_status: str
    execution_detail: str
    executed_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    @property
    def deciders(self) -> tuple[str, ...]:
        """Who may still decide: eligible, not the requester, not already decided."""
        done = {d.approver for d in self.decisions}
        return tuple(u for u in self.route.eligible if u != self.requester and u not in done)

    def outcome_text(self) -> str:
        """``approved by <@U1> at …`` — why the request is where it is."""
        when = when_text(self.decided_at)
        if self.status == APPROVED and self.decided_by == POLICY_ACTOR:
            return f"auto-approved by the policy (rule “{self.matched_rule}”) at {when}"
        if self.status == APPROVED:
            people = ", ".join(f"<@{d.approver}>" for d in self.decisions if d.verdict == "approve")
            return f"approved by {people} at {when}"
        if self.status == REJECTED:
            return f"rejected by <@{self.decided_by}> at {when}: {self.decision_reason}"
        if self.status == CANCELLED:
            return f"cancelled by <@{self.decided_by}> at {when}"
        if self.status == EXPIRED:
            return f"expired without a decision at {when}"
        return self.quorum.describe()


def when_text(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "?"


@dataclass(frozen=True)
class Filed:
    request: RequestView
    reachable: bool  # False: no eligible approver other than the requester could meet the quorum


@dataclass(frozen=True)
class Decided:
    request: RequestView
    verdict: str
    final: bool  # this decision ended the request


@dataclass(frozen=True)
class MessageRef:
    role: str  # approver, requester, channel
    recipient: str
    channel: str
    ts: str


class ApprovalNotifier(Protocol):
    """How requests reach people (Slack in production: :mod:`handlers.approvals.notifier`)."""

    def post(self, request: RequestView, *, role: str, recipient: str) -> MessageRef: ...

    def update(self, request: RequestView, ref: MessageRef) -> None: ...

    def notify(self, request: RequestView, *, kind: str, recipients: list[str]) -> None:
        """A one-off DM: ``reminder``, ``escalation`` or ``outcome``."""
        ...


def open_guilds(services: Services) -> list[str]:
    """The guilds a request can be filed under, for the form."""
    with services.db.unit_of_work() as uow:
        return store.open_guild_slugs(uow.session)


# -- filing ----------------------------------------------------------------------------------


def file_request(
    services: Services,
    *,
    requester: str,
    type_id: str,
    fields: Mapping[str, Any],
    answers: Mapping[str, Any],
    justification: str = "",
    guild: str | None = None,
    source: str = "modal",
    now: datetime | None = None,
) -> Filed:
    """Validate, assess and record a request; low-risk ones are approved by the policy at once."""
    policy = services.policy
    now = now or utcnow()
    rtype = policy.request_type(type_id)
    if rtype is None:
        raise InvalidRequest(f"`{type_id}` is not a request type. Types: {', '.join(t.id for t in policy.request_types)}.")
    if type_id == MODEL_ROLLBACK and source != "rollback":
        raise InvalidRequest("Rollbacks are filed with `/model rollback <model> [alias]`, which finds the version "
                             "the alias pointed to before.")
    values, problems = clean_fields(rtype, fields)
    answer_values, answer_problems = clean_answers(policy, answers, partial=source != "modal")
    all_problems = {f"field:{k}": v for k, v in problems.items()} | {f"answer:{k}": v for k, v in answer_problems.items()}
    justification = (justification or "").strip()
    if source == "modal" and not justification:
        all_problems["justification"] = "Say why you need this."
    elif len(justification) > MAX_JUSTIFICATION:
        all_problems["justification"] = f"At most {MAX_JUSTIFICATION} characters."
    if all_problems:
        raise InvalidRequest(next(iter(all_problems.values())), all_problems)
    assessment = assess(policy, type_id=type_id, fields=values, answers=answer_values)
    route = route_for(policy, assessment.tier)

    with services.db.unit_of_work() as uow:
        session = uow.session
        if guild is not None and guild not in store.open_guild_slugs(session):
            raise InvalidRequest(f"No open guild called `{guild}`.", {"guild": f"No open guild called {guild}."})
        request = store.add_request(
            session, type_id=type_id, fields=values, answers=answer_values, justification=justification,
            requester=requester, guild=guild, tier=assessment.tier, matched_rule=assessment.rule,
            route=route.to_json(), status=PENDING, source=source, created_at=now,
            **_due_times(route, now),
        )
        figures = {"tier": assessment.tier, "type": type_id}
        store.add_audit(session, request_id=request.id, kind="requested", actor=requester, at=now,
                        reason=justification, detail={"tier": assessment.tier, "rule": assessment.rule, **figures})
        record_activity(session, kind="approval.requested", actor=requester, guild=guild,
                        subject=request.public_id, figures=figures, at=now)
        if assessment.auto_approve:
            record_outcome(session, request, status=APPROVED, by=POLICY_ACTOR, reason=f"rule “{assessment.rule}”", at=now)
            store.add_audit(session, request_id=request.id, kind="auto_approved", actor=POLICY_ACTOR, at=now,
                            reason=f"matched rule “{assessment.rule}”", detail={"tier": assessment.tier})
        store.add_sla_mark(session, request_id=request.id, kind="deliver", step=0, at=now)
        uow.commit()
        view = request_view(session, policy, request)
    return Filed(request=view, reachable=assessment.auto_approve or reachable(route, requester=requester))


def _due_times(route: Route, now: datetime) -> dict[str, datetime | None]:
    def after(hours: float | None) -> datetime | None:
        return now + timedelta(hours=hours) if hours else None

    return {
        "remind_at": after(route.remind_after_hours),
        "escalate_at": after(route.escalate_after_hours),
        "expires_at": after(route.expire_after_days * 24 if route.expire_after_days else None),
    }


def record_outcome(session: Session, request: ApprovalRequest, *, status: str, by: str, reason: str, at: datetime) -> None:
    """The one final transition of a request, with its activity-log entry."""
    request.status, request.decided_at, request.decided_by, request.decision_reason = status, at, by, reason
    if status == APPROVED and request.type_id in EXECUTABLE_TYPES:
        request.execution_status = "pending"
    hours = round((at - request.created_at).total_seconds() / 3600, 3)
    kind = "auto_approved" if by == POLICY_ACTOR else status
    record_activity(session, kind=f"approval.{kind}", actor=by, guild=request.guild, subject=request.public_id,
                    figures={"tier": request.tier, "type": request.type_id, "hours_to_decision": hours}, at=at)


# -- deciding ----------------------------------------------------------------------------------


def decide(
    services: Services, *, request_id: int, approver: str, verdict: str, reason: str = "", now: datetime | None = None
) -> Decided:
    """Record ``approver``'s approve/reject; returns whether it ended the request."""
    if verdict not in ("approve", "reject"):
        raise ValueError(f"verdict must be approve or reject, not {verdict!r}")
    reason = (reason or "").strip()
    if verdict == "reject" and not reason:
        raise InvalidRequest("Say why you reject it.", {"reason": "Say why you reject it."})
    if len(reason) > MAX_COMMENT:
        raise InvalidRequest(f"At most {MAX_COMMENT} characters.", {"reason": f"At most {MAX_COMMENT} characters."})
    now = now or utcnow()
    policy = services.policy
    with services.db.unit_of_work() as uow:
        session = uow.session
        request = lock_or_raise(session, request_id)
        _refuse_if_decided_by(session, request, approver)
        _refuse_if_decided(session, policy, request)
        route = Route.from_json(request.route)
        refused = refusal(route, requester=request.requester, approver=approver)
        if refused:
            raise NotAllowed(refused)
        try:
            store.add_decision(session, request_id=request.id, approver=approver, verdict=verdict, reason=reason, at=now)
        except IntegrityError:  # the row lock makes this unreachable; the unique key is the last word
            raise AlreadyDecided(f"You already decided on {request.public_id}.") from None
        final = verdict == "reject"
        if verdict == "approve":
            approvers = [d.approver for d in store.decisions_for(session, request.id) if d.verdict == "approve"]
            progress = quorum_of(route, approvers)
            final = progress.met
            detail = {"final": final, "progress": progress.describe()}
        else:
            detail = {"final": True}
        store.add_audit(session, request_id=request.id, kind=_past(verdict), actor=approver, at=now,
                        reason=reason, detail=detail)
        if final:
            record_outcome(session, request, status=_past(verdict), by=approver, reason=reason, at=now)
        uow.commit()
        view = request_view(session, policy, request)
    return Decided(request=view, verdict=verdict, final=final)


def check_can_decide(services: Services, *, request_id: int, user: str) -> RequestView:
    """Raise the refusal ``decide`` would give (before a Reject modal opens); else the request."""
    with services.db.unit_of_work() as uow:
        request = get_or_raise(uow.session, request_id)
        _refuse_if_decided_by(uow.session, request, user)
        _refuse_if_decided(uow.session, services.policy, request)
        refused = refusal(Route.from_json(request.route), requester=request.requester, approver=user)
        if refused:
            raise NotAllowed(refused)
        return request_view(uow.session, services.policy, request)


def check_can_comment(services: Services, *, request_id: int, user: str) -> RequestView:
    """Raise the refusal ``comment`` would give (before the Comment modal opens); else the request."""
    with services.db.unit_of_work() as uow:
        request = get_or_raise(uow.session, request_id)
        _refuse_if_decided(uow.session, services.policy, request)
        _refuse_comment(services, request, user)
        return request_view(uow.session, services.policy, request)


def _refuse_comment(services: Services, request: ApprovalRequest, user: str) -> None:
    route = Route.from_json(request.route)
    if user != request.requester and user not in route.eligible and not services.is_admin(user):
        raise NotAllowed(f"Only the requester and the approvers of {request.public_id} can comment on it.")


def comment(services: Services, *, request_id: int, author: str, text: str, now: datetime | None = None) -> RequestView:
    """A comment on a pending request by its requester, an eligible approver or an admin."""
    text = (text or "").strip()
    if not text:
        raise InvalidRequest("Write a comment.", {"comment": "Write a comment."})
    if len(text) > MAX_COMMENT:
        raise InvalidRequest(f"At most {MAX_COMMENT} characters.", {"comment": f"At most {MAX_COMMENT} characters."})
    now = now or utcnow()
    with services.db.unit_of_work() as uow:
        session = uow.session
        request = lock_or_raise(session, request_id)
        _refuse_if_decided(session, services.policy, request)
        _refuse_comment(services, request, author)
        store.add_audit(session, request_id=request.id, kind="commented", actor=author, at=now, reason=text)
        uow.commit()
        return request_view(session, services.policy, request)


def cancel(services: Services, *, request_id: int, user: str, now: datetime | None = None) -> RequestView:
    """The requester withdraws a pending request."""
    now = now or utcnow()
    with services.db.unit_of_work() as uow:
        session = uow.session
        request = lock_or_raise(session, request_id)
        if user != request.requester:
            raise NotAllowed(f"Only <@{request.requester}>, who filed {request.public_id}, can cancel it.")
        _refuse_if_decided(session, services.policy, request)
        store.add_audit(session, request_id=request.id, kind="cancelled", actor=user, at=now)
        record_outcome(session, request, status=CANCELLED, by=user, reason="cancelled by the requester", at=now)
        uow.commit()
        return request_view(session, services.policy, request)


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


def _refuse_if_decided(session: Session, policy: Policy, request: ApprovalRequest) -> None:
    if request.status != PENDING:
        view = request_view(session, policy, request)
        raise AlreadyDecided(f"{request.public_id} was already {view.outcome_text()}.")


def _refuse_if_decided_by(session: Session, request: ApprovalRequest, user: str) -> None:
    """A second click by the same person: say what they already did (checked before the request's state)."""
    mine = next((d for d in store.decisions_for(session, request.id) if d.approver == user), None)
    if mine is not None:
        raise AlreadyDecided(f"You already {_past(mine.verdict)} {request.public_id} at {when_text(mine.decided_at)}.")


def _past(verdict: str) -> str:
    return {"approve": "approved", "reject": "rejected"}[verdict]


# -- reading -------------------------------------------------------------------------------------


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


def approval_figures(session_or_uow: Any, start: datetime, end: datetime, guild: str | None = None) -> Any:
    """The digest's Safety and Trust figures (see :func:`bot.approvals.reports.approval_figures`)."""
    from bot.approvals.reports import approval_figures as figures

    return figures(session_or_uow, start, end, guild)
