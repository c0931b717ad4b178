"""What approvals are about, as callers see them: requests, decisions, outcomes, refusals.

Plain data and the errors whose message is meant for the person who acted; no
database, no Slack.  The service (:mod:`bot.approvals.service`), the routing after a
change (:mod:`bot.approvals.routing`) and the reports all hand these out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.approvals.policy import QuorumStatus, Route
from storage.approvals import APPROVED, CANCELLED, EXPIRED, PENDING, REJECTED

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
    """The person may not do this (decide their own request, cancel or comment on someone else's)."""


class AlreadyDecided(ApprovalError):
    pass


class AlreadyRequested(ApprovalError):
    """Someone else's identical request is still pending: one request for one deployment."""


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

    def outcome_text(self, write_time: Callable[[datetime], str]) -> str:
        """``approved by <@U1> at …`` — why the request is where it is.  The model hands out the
        moment; ``write_time`` writes it for where the text goes (an error, which may end up in a
        form or the CLI, takes :func:`bot.text.utc_text`)."""
        when = write_time(self.decided_at) if self.decided_at else "an unknown time"
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


@dataclass(frozen=True)
class Filed:
    request: RequestView
    reachable: bool  # False: no eligible approver other than the requester could meet the quorum
    existing: bool = False  # the requester's identical request, still pending: nothing new was filed or sent


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


@dataclass(frozen=True)
class ExecutionResult:
    status: str  # "handed_over", "succeeded" or "failed"
    detail: str = ""
