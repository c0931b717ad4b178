"""After a state change: delivering requests, updating messages, executing, and the SLA clock.

Everything here runs *after* the state change it follows was committed, so Slack
being down or rate-limiting never loses a request: a failed delivery stays claimed but
undelivered in the SLA ledger (``approval_sla_marks``) and :func:`sla_tick` retries it.

:func:`sla_tick` (run every five minutes by ``jobs.approvals``) reminds the approvers
still to decide, escalates, expires, retries failed deliveries and hands over approved
deployments nobody handed over.  Each reminder step and the escalation are claimed in
the ledger (UNIQUE request, kind, step) under the request's row lock before anything is
sent, so running the tick twice, or two ticks at once, sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.approvals.model import SLA_ACTOR, Filed, MessageRef, RequestView
from bot.approvals.policy import Policy, Route
from bot.approvals.ports import ApprovalNotifier, DeploymentExecutor
from bot.approvals.records import get_or_raise, lock_or_raise, record_outcome, request_view
from storage import approvals as store
from storage.approvals import APPROVED, EXPIRED, PENDING, REJECTED
from storage.models import utcnow
from storage.db import Database
from storage.repositories import record_activity

log = logging.getLogger(__name__)

# A claimed notification still undelivered after this long was lost (Slack down, process
# died): the next tick retries it.  Long enough never to race the first attempt.
RETRY_AFTER = timedelta(minutes=2)


@dataclass
class RequestDelivery:
    posted: list[MessageRef] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # recipients not reached


def _update(notifier: ApprovalNotifier, view: RequestView, ref: MessageRef) -> None:
    try:
        notifier.update(view, ref)
    except Exception as exc:
        log.warning("could not update the %s message of %s to %s: %s", ref.role, view.public_id, ref.recipient, exc)


def _notify(notifier: ApprovalNotifier, view: RequestView, *, kind: str, recipients: list[str]) -> bool:
    if not recipients:
        return True
    try:
        notifier.notify(view, kind=kind, recipients=recipients)
        return True
    except Exception as exc:
        log.warning("could not send the %s of %s: %s", kind, view.public_id, exc)
        return False


def _version(view: RequestView) -> tuple[object, ...]:
    return view.status, len(view.decisions), len(view.comments), view.execution_status


@dataclass
class SlaReport:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0
    retried: int = 0
    executed: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in vars(self).items())


_NOTICE = {"remind": "reminder", "escalate": "escalation"}


def _recipients(view: RequestView, kind: str) -> list[str]:
    if kind == "escalate":
        return [u for u in view.route.escalate_to if u != view.requester]
    return list(view.deciders)


class ApprovalRouting:
    """What follows a committed change, through the notifier and the executor the root hands in."""

    def __init__(self, db: Database, policy: Policy, *, notifier: ApprovalNotifier, executor: DeploymentExecutor) -> None:
        self.db = db
        self.policy = policy
        self._notifier = notifier
        self._executor = executor

    def route_new(self, filed: Filed) -> None:
        """A request just filed: the receipt and the approvers' messages, a word to a requester
        nobody can approve for, and an auto-approved deployment carried out.  A request asked for
        again (``filed.existing``) was routed when it was filed: nobody hears of it twice."""
        if filed.existing:
            return
        self.deliver(request_id=filed.request.id)
        if not filed.reachable:
            _notify(self._notifier, filed.request, kind="unreachable", recipients=[filed.request.requester])
        if filed.request.execution_status == "pending":
            self.settle(request_id=filed.request.id, final=True)

    def deliver(self, *, request_id: int, now: datetime | None = None) -> RequestDelivery:
        """Send the request to whoever does not have it yet: the requester's receipt, then the
        eligible approvers by DM (never the requester) or the approvals channel."""
        with self.db.unit_of_work() as uow:
            view = request_view(uow.session, self.policy, get_or_raise(uow.session, request_id))
            have = {(m.role, m.recipient) for m in store.messages_for(uow.session, request_id)}
        targets = [("requester", view.requester)]
        if view.pending and view.route.channel:
            targets.append(("channel", view.route.channel))
        elif view.pending:
            targets += [("approver", user) for user in view.route.eligible if user != view.requester]
        report = RequestDelivery()
        for role, recipient in targets:
            if (role, recipient) in have:
                continue
            try:
                report.posted.append(self._notifier.post(view, role=role, recipient=recipient))
            except Exception as exc:  # logged and retried by the SLA job; the request is safe
                log.warning("could not deliver %s to %s %s: %s", view.public_id, role, recipient, exc)
                report.failed.append(recipient)
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            stored = {(m.role, m.recipient) for m in store.messages_for(session, request_id)}
            for ref in report.posted:
                if (ref.role, ref.recipient) not in stored:
                    store.save_message(session, request_id=request_id, role=ref.role, recipient=ref.recipient,
                                       channel=ref.channel, ts=ref.ts)
            mark = store.sla_mark(session, request_id, "deliver", 0)
            if mark is not None and not report.failed:
                store.mark_delivered(session, mark.id, now or utcnow())
            uow.commit()
            latest = request_view(session, self.policy, request)
        if _version(latest) != _version(view):  # decided while we were posting: bring the new messages up to date
            for ref in report.posted:
                _update(self._notifier, latest, ref)
        return report

    def refresh(self, *, request_id: int) -> RequestView:
        """Update every message about the request in place (``chat.update``) to its current state."""
        with self.db.unit_of_work() as uow:
            view = request_view(uow.session, self.policy, get_or_raise(uow.session, request_id))
            refs = [MessageRef(m.role, m.recipient, m.channel, m.ts) for m in store.messages_for(uow.session, request_id)]
        for ref in refs:
            _update(self._notifier, view, ref)
        return view

    def settle(self, *, request_id: int, final: bool) -> RequestView:
        """After a decision, comment, cancel or expiry: update the messages; on an outcome tell the
        requester and hand an approved deployment over (once)."""
        view = self.refresh(request_id=request_id)
        if final and view.status in (APPROVED, REJECTED, EXPIRED) and view.decided_by != "policy":
            _notify(self._notifier, view, kind="outcome", recipients=[view.requester])
        if view.status == APPROVED and view.execution_status == "pending":
            if self.execute_if_approved(request_id=request_id) is not None:
                view = self.refresh(request_id=request_id)
        return view

    def execute_if_approved(self, *, request_id: int, now: datetime | None = None) -> RequestView | None:
        """Hand an approved model deployment to the executor, at most once: the execution is
        claimed by a conditional UPDATE (pending -> running) that only one caller can win."""
        with self.db.unit_of_work() as uow:
            claimed = store.claim_execution(uow.session, request_id)
            uow.commit()
        if not claimed:
            return None
        with self.db.unit_of_work() as uow:
            view = request_view(uow.session, self.policy, get_or_raise(uow.session, request_id))
        try:
            result = self._executor.execute(view)
            status, detail = result.status, result.detail
        except Exception as exc:  # the executor's failure is recorded, not lost
            log.exception("executing %s failed", view.public_id)
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        now = now or utcnow()
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            request.execution_status, request.execution_detail, request.executed_at = status, detail, now
            store.add_audit(session, request_id=request_id, kind="executed", actor="deployments", at=now,
                            reason=detail, detail={"status": status})
            record_activity(session, kind="approval.executed", actor=request.decided_by, guild=request.guild,
                            subject=request.public_id, figures={"tier": request.tier, "status": status}, at=now)
            uow.commit()
            return request_view(session, self.policy, request)

    def sla_tick(self, *, now: datetime | None = None) -> SlaReport:
        now = now or utcnow()
        report = SlaReport()
        with self.db.unit_of_work() as uow:
            pending = [(r.id, r.created_at, r.expires_at, r.escalate_at, Route.from_json(r.route))
                       for r in store.pending_requests(uow.session)]
        for request_id, created_at, expires_at, escalate_at, route in pending:
            if expires_at is not None and expires_at <= now:
                if self.expire(request_id=request_id, now=now) is not None:
                    self.settle(request_id=request_id, final=True)
                    report.expired += 1
                continue
            if escalate_at is not None and escalate_at <= now and route.escalate_to:
                report.escalated += self._step(request_id, "escalate", 0, now)
            if route.remind_after_hours and route.max_reminders:
                step = min(int((now - created_at) / timedelta(hours=route.remind_after_hours)), route.max_reminders)
                if step >= 1:
                    report.reminded += self._step(request_id, "remind", step, now)
        report.retried = self._retry_undelivered(now)
        with self.db.unit_of_work() as uow:
            forgotten = store.awaiting_execution(uow.session, decided_before=now - RETRY_AFTER)
        for request_id in forgotten:
            if self.execute_if_approved(request_id=request_id, now=now) is not None:
                self.refresh(request_id=request_id)
                report.executed += 1
        return report

    def expire(self, *, request_id: int, now: datetime | None = None) -> RequestView | None:
        """Expire a pending request whose time is up; None if it was decided meanwhile."""
        now = now or utcnow()
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            if request.status != PENDING or request.expires_at is None or request.expires_at > now:
                return None
            days = Route.from_json(request.route).expire_after_days or 0
            store.add_audit(session, request_id=request.id, kind="expired", actor=SLA_ACTOR, at=now,
                            reason=f"no decision within {days:g} days")
            if store.sla_mark(session, request.id, "escalate", 0) is None:  # one breach per request
                record_activity(session, kind="approval.sla_breached", actor=SLA_ACTOR, guild=request.guild,
                                subject=request.public_id, figures={"tier": request.tier, "stage": "expired"}, at=now)
            record_outcome(session, request, status=EXPIRED, by=SLA_ACTOR, reason="no decision in time", at=now)
            uow.commit()
            return request_view(session, self.policy, request)

    def _step(self, request_id: int, kind: str, step: int, now: datetime) -> int:
        """Claim one reminder/escalation step (audit and activity in the same unit of work), then send it."""
        with self.db.unit_of_work() as uow:
            session = uow.session
            request = lock_or_raise(session, request_id)
            if request.status != PENDING or store.sla_mark(session, request_id, kind, step) is not None:
                return 0
            view = request_view(session, self.policy, request)
            recipients = _recipients(view, kind)
            if kind == "remind" and not recipients:
                return 0  # nobody left to remind; an escalation is still recorded (it is a breach of the clock)
            mark = store.add_sla_mark(session, request_id=request_id, kind=kind, step=step, at=now)
            if kind == "escalate":
                hours = view.route.escalate_after_hours or 0
                store.add_audit(session, request_id=request_id, kind="escalated", actor=SLA_ACTOR, at=now,
                                reason=f"no decision within {hours:g} hours", detail={"to": recipients})
                record_activity(session, kind="approval.sla_breached", actor=SLA_ACTOR, guild=request.guild,
                                subject=request.public_id, figures={"tier": request.tier, "stage": "escalated"}, at=now)
            else:
                store.add_audit(session, request_id=request_id, kind="reminded", actor=SLA_ACTOR, at=now,
                                reason=f"reminder {step}", detail={"step": step, "to": recipients})
            uow.commit()
            mark_id = mark.id
        if _notify(self._notifier, view, kind=_NOTICE[kind], recipients=recipients):
            self._delivered(mark_id, now)
        return 1

    def _delivered(self, mark_id: int, now: datetime) -> None:
        with self.db.unit_of_work() as uow:
            store.mark_delivered(uow.session, mark_id, now)
            uow.commit()

    def _retry_undelivered(self, now: datetime) -> int:
        with self.db.unit_of_work() as uow:
            marks = [(m.id, m.request_id, m.kind) for m in store.undelivered_marks(uow.session, claimed_before=now - RETRY_AFTER)]
        retried = 0
        for mark_id, request_id, kind in marks:
            if kind == "deliver":
                if not self.deliver(request_id=request_id, now=now).failed:
                    retried += 1
                continue
            with self.db.unit_of_work() as uow:
                view = request_view(uow.session, self.policy, get_or_raise(uow.session, request_id))
            if not view.pending:
                self._delivered(mark_id, now)  # nothing left to remind anyone of
            elif _notify(self._notifier, view, kind=_NOTICE[kind], recipients=_recipients(view, kind)):
                self._delivered(mark_id, now)
                retried += 1
        return retried
