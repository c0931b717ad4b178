"""Approvals: file a request, let the policy assess it, decide, comment, cancel.

The rules live here and in :mod:`bot.approvals.policy`, not in the Slack handlers, so a crafted
button payload meets the same checks as a click: nobody decides their own request,
only eligible approvers count, one rejection ends a request, a decided request never
changes again, a model deployment names a version the registry has, one thing is asked for
once while its request is pending.  Every state change runs in one unit of work that also
appends its audit event and its activity-log entry, under the request's row lock
(:func:`storage.approvals.lock_request`), so two approvers clicking at the same instant give
one decision each and exactly one final transition; filings of the same thing take turns
(:func:`storage.approvals.lock_filing`), so two at once give one request.

What follows a committed change (delivering the request, updating messages in place,
carrying out an approved deployment, the SLA clock) is :class:`bot.approvals.routing.ApprovalRouting`;
status, lists and the export are :class:`bot.approvals.reports.ApprovalReports`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.approvals.model import (
    MAX_COMMENT,
    MAX_JUSTIFICATION,
    POLICY_ACTOR,
    AlreadyDecided,
    AlreadyRequested,
    Decided,
    Filed,
    InvalidRequest,
    NotAllowed,
    RequestView,
)
from bot.approvals.policy import (
    EXECUTABLE_TYPES,
    MODEL_DEPLOYMENT,
    MODEL_ROLLBACK,
    Policy,
    Route,
    assess,
    clean_answers,
    clean_fields,
    reachable,
    refusal,
    route_for,
)
from bot.approvals.policy import quorum as quorum_of
from bot.approvals.ports import DeploymentExecutor
from bot.approvals.records import (
    get_or_raise,
    lock_or_raise,
    past_tense,
    record_outcome,
    refuse_if_decided,
    refuse_if_decided_by,
    request_view,
)
from storage import approvals as store
from storage.approvals import APPROVED, CANCELLED, PENDING, ApprovalRequest
from storage.db import Database
from storage.models import utcnow
from storage.repositories import record_activity


class ApprovalService:
    """Every decision about a request, for every way in (slash command, form, button, job)."""

    def __init__(
        self, db: Database, policy: Policy, *, executor: DeploymentExecutor, is_admin: Callable[[str], bool]
    ) -> None:
        self.db = db
        self.policy = policy
        self._executor = executor
        self._is_admin = is_admin

    def open_guilds(self) -> list[str]:
        """The guilds a request can be filed under, for the form."""
        with self.db.unit_of_work() as uow:
            return store.open_guild_slugs(uow.session)



    def file_request(
        self, *,
        requester: str,
        type_id: str,
        fields: Mapping[str, Any],
        answers: Mapping[str, Any],
        justification: str = "",
        guild: str | None = None,
        source: str = "modal",
        now: datetime | None = None,
    ) -> Filed:
        """Validate, assess and record a request; low-risk ones are approved by the policy at once.

        One pending request for one thing, however it is filed: asked again by its requester, the
        pending request is the answer (``Filed.existing``; nothing is filed or sent again).  A
        deployment or rollback asked for by someone else is refused with :class:`AlreadyRequested`,
        as it moves an alias everyone shares; other requests (access, tools) are per person."""
        now = now or utcnow()
        values, answer_values, justification = self._cleaned(
            type_id=type_id, fields=fields, answers=answers, justification=justification, source=source
        )
        assessment = assess(self.policy, type_id=type_id, fields=values, answers=answer_values)
        route = route_for(self.policy, assessment.tier)

        with self.db.unit_of_work() as uow:
            session = uow.session
            store.lock_filing(session, f"{type_id}:{json.dumps(values, sort_keys=True)}")
            if guild is not None and guild not in store.open_guild_slugs(session):
                raise InvalidRequest(f"No open guild called `{guild}`.", {"guild": f"No open guild called {guild}."})
            shared = type_id in EXECUTABLE_TYPES
            twin = store.pending_twin(session, type_id=type_id, fields=values, requester=None if shared else requester)
            if twin is not None:
                return self._answer_twin(session, twin, requester=requester)
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
            view = request_view(session, self.policy, request)
        return Filed(request=view, reachable=assessment.auto_approve or reachable(route, requester=requester))


    def _cleaned(
        self, *, type_id: str, fields: Mapping[str, Any], answers: Mapping[str, Any], justification: str, source: str
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        """The request's field values, risk answers and justification, or :class:`InvalidRequest`
        with a problem per form element."""
        policy = self.policy
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
        if not all_problems and type_id == MODEL_DEPLOYMENT and (unknown := self._executor.validate(values)):
            all_problems["field:version"] = unknown
        if all_problems:
            raise InvalidRequest(next(iter(all_problems.values())), all_problems)
        return values, answer_values, justification


    def _answer_twin(self, session: Session, twin: ApprovalRequest, *, requester: str) -> Filed:
        """The pending request already asking for this: the requester's own is the answer; someone
        else's is a refusal that says where it stands and how to weigh in."""
        view = request_view(session, self.policy, twin)
        if twin.requester == requester:
            return Filed(request=view, reachable=reachable(view.route, requester=requester), existing=True)
        if requester in view.route.eligible:
            weigh_in = "You are one of its approvers: you can decide on it or comment on it from its message."
        else:
            weigh_in = f"To add something, ask <@{twin.requester}> or its approvers to comment on it."
        raise AlreadyRequested(
            f"<@{twin.requester}> already asked for this: {view.public_id} is pending ({view.quorum.describe()}). "
            f"`/approval status {view.public_id}` shows where it stands. {weigh_in}"
        )



    def decide(
        self, *, request_id: int, approver: str, verdict: str, reason: str = "", now: datetime | None = None
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
        policy = self.policy
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            refuse_if_decided_by(session, request, approver)
            refuse_if_decided(session, policy, request)
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
            store.add_audit(session, request_id=request.id, kind=past_tense(verdict), actor=approver, at=now,
                            reason=reason, detail=detail)
            if final:
                record_outcome(session, request, status=past_tense(verdict), by=approver, reason=reason, at=now)
            uow.commit()
            view = request_view(session, policy, request)
        return Decided(request=view, verdict=verdict, final=final)


    def check_can_decide(self, *, request_id: int, user: str) -> RequestView:
        """Raise the refusal ``decide`` would give (before a Reject modal opens); else the request."""
        with self.db.unit_of_work() as uow:
            request = get_or_raise(uow.session, request_id)
            refuse_if_decided_by(uow.session, request, user)
            refuse_if_decided(uow.session, self.policy, request)
            refused = refusal(Route.from_json(request.route), requester=request.requester, approver=user)
            if refused:
                raise NotAllowed(refused)
            return request_view(uow.session, self.policy, request)


    def check_can_comment(self, *, request_id: int, user: str) -> RequestView:
        """Raise the refusal ``comment`` would give (before the Comment modal opens); else the request."""
        with self.db.unit_of_work() as uow:
            request = get_or_raise(uow.session, request_id)
            refuse_if_decided(uow.session, self.policy, request)
            self._refuse_comment(request, user)
            return request_view(uow.session, self.policy, request)


    def _refuse_comment(self, request: ApprovalRequest, user: str) -> None:
        route = Route.from_json(request.route)
        if user != request.requester and user not in route.eligible and not self._is_admin(user):
            raise NotAllowed(f"Only the requester and the approvers of {request.public_id} can comment on it.")


    def comment(self, *, request_id: int, author: str, text: str, now: datetime | None = None) -> RequestView:
        """A comment on a pending request by its requester, an eligible approver or an admin."""
        text = (text or "").strip()
        if not text:
            raise InvalidRequest("Write a comment.", {"comment": "Write a comment."})
        if len(text) > MAX_COMMENT:
            raise InvalidRequest(f"At most {MAX_COMMENT} characters.", {"comment": f"At most {MAX_COMMENT} characters."})
        now = now or utcnow()
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            refuse_if_decided(session, self.policy, request)
            self._refuse_comment(request, author)
            store.add_audit(session, request_id=request.id, kind="commented", actor=author, at=now, reason=text)
            uow.commit()
            return request_view(session, self.policy, request)


    def cancel(self, *, request_id: int, user: str, now: datetime | None = None) -> RequestView:
        """The requester withdraws a pending request."""
        now = now or utcnow()
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            if user != request.requester:
                raise NotAllowed(f"Only <@{request.requester}>, who filed {request.public_id}, can cancel it.")
            refuse_if_decided(session, self.policy, request)
            store.add_audit(session, request_id=request.id, kind="cancelled", actor=user, at=now)
            record_outcome(session, request, status=CANCELLED, by=user, reason="cancelled by the requester", at=now)
            uow.commit()
            return request_view(session, self.policy, request)


def _due_times(route: Route, now: datetime) -> dict[str, datetime | None]:
    def after(hours: float | None) -> datetime | None:
        return now + timedelta(hours=hours) if hours else None

    return {
        "remind_at": after(route.remind_after_hours),
        "escalate_at": after(route.escalate_after_hours),
        "expires_at": after(route.expire_after_days * 24 if route.expire_after_days else None),
    }


