"""Deployments: move an MLflow alias to an approved version, safely and exactly once.

MLflow has no compare-and-set on aliases, so each attempt
1. takes the model's lease in the database (two deployments of one model never interleave),
2. re-reads where the alias points now, and records it as the previous version *before*
   moving (a crash after the move still leaves the rollback target on record),
3. moves the alias unless it already points at the target (then the move counts as done
   and is not repeated), tags the version with the approval, and records the outcome.

MLflow down, slow or answering 5xx leaves the deployment pending with the next attempt
scheduled with exponential backoff; a job retries due deployments.  An unknown model or
version fails for good with a message for the requester.  Nothing here knows Slack: the
caller reports each :class:`Outcome` through a :class:`DeploymentReporter`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.models.gateway import MlflowError, MlflowGateway, MlflowUnavailable, NotFound
from storage.db import Database
from storage.deployments import (
    Deployment,
    deployment_for_request,
    due_deployments,
    release_lease,
    take_lease,
    watching_channels,
)
from storage.models import utcnow
from storage.repositories import record_activity

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BUSY_RETRY = timedelta(seconds=30)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class DeploymentOrder:
    model: str
    version: str
    alias: str
    requested_by: str
    approved_by: tuple[str, ...] = ()
    request_ref: str | None = None
    kind: str = "deploy"  # or "rollback"
    guild: str | None = None
    notify: dict[str, str] = field(default_factory=dict)  # e.g. {"channel": …, "thread_ts": …}


@dataclass(frozen=True)
class Outcome:
    deployment_id: int
    status: str  # done, already, pending, failed, busy
    model: str
    version: str
    alias: str
    previous_version: str | None
    message: str
    requested_by: str
    approved_by: tuple[str, ...]
    request_ref: str | None
    kind: str
    notify: dict[str, str]
    watchers: tuple[str, ...] = ()  # channels watching the model, told of a finished move

    @property
    def final(self) -> bool:
        return self.status in ("done", "already", "failed")


class DeploymentReporter(Protocol):
    """Tells people how a deployment went (the Slack one: ``handlers.models.reporter``)."""

    def report(self, outcome: Outcome) -> None: ...


class DeploymentService:
    def __init__(
        self,
        db: Database,
        gateway: MlflowGateway,
        *,
        reporter: DeploymentReporter,
        clock: Callable[[], datetime] = utcnow,
        lease_seconds: int = 120,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.db = db
        self.gateway = gateway
        self._reporter = reporter
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts

    def order(self, order: DeploymentOrder) -> int:
        """Record a deployment to make (once per approval: the request reference is unique)."""
        with self.db.unit_of_work() as uow:
            if order.request_ref and (existing := deployment_for_request(uow.session, order.request_ref)):
                return existing.id
            deployment = Deployment(
                request_ref=order.request_ref, kind=order.kind, model=order.model, version=str(order.version),
                alias=order.alias, requested_by=order.requested_by, approved_by=list(order.approved_by),
                guild=order.guild, notify=dict(order.notify), next_attempt_at=self.clock(), created_at=self.clock(),
            )
            uow.session.add(deployment)
            uow.commit()
            return deployment.id

    def attempt(self, deployment_id: int) -> Outcome:
        holder = f"deployment-{deployment_id}"
        with self.db.unit_of_work() as uow:
            dep = uow.session.get(Deployment, deployment_id)
            if dep is None:
                raise LookupError(f"no deployment {deployment_id}")
            if dep.status != "pending":
                return _outcome(dep, dep.status, "This deployment was already handled.")
            if not take_lease(uow.session, dep.model, holder, seconds=self.lease_seconds):
                dep.next_attempt_at = self.clock() + BUSY_RETRY
                uow.commit()
                return _outcome(dep, "busy", f"Another deployment of `{dep.model}` is in progress; retrying shortly.")
            uow.commit()
        try:
            return self._move(deployment_id)
        finally:
            with self.db.unit_of_work() as uow:
                release_lease(uow.session, dep.model, holder)
                uow.commit()

    def carry_out(self, order: DeploymentOrder) -> Outcome:
        """Record the deployment, attempt it now and tell the people concerned."""
        outcome = self.attempt(self.order(order))
        self._reporter.report(outcome)
        return outcome

    def retry_due(self) -> list[Outcome]:
        """Attempt every deployment whose retry is due; each outcome but "busy" is reported."""
        with self.db.unit_of_work() as uow:
            due = due_deployments(uow.session, self.clock())
        outcomes = [self.attempt(deployment_id) for deployment_id in due]
        for outcome in outcomes:
            if outcome.status != "busy":
                self._reporter.report(outcome)
        return outcomes

    # ------------------------------------------------------------------ the move itself
    def _move(self, deployment_id: int) -> Outcome:
        with self.db.unit_of_work() as uow:
            dep = uow.session.get(Deployment, deployment_id)
            try:
                aliases = self.gateway.model(dep.model).aliases  # the re-read right before the move
                self.gateway.version(dep.model, dep.version, with_metrics=False, aliases=aliases)
                current = aliases.get(dep.alias)
                if current == dep.version:
                    return self._finish(uow, dep, "already", f"`{dep.alias}` already pointed at version {dep.version}.")
                if dep.previous_version is None:
                    dep.previous_version = current
                    uow.commit()
                self.gateway.set_alias(dep.model, dep.alias, dep.version)
                self.gateway.tag_version(dep.model, dep.version, _tags(dep))
                return self._finish(uow, dep, "done", _done_message(dep))
            except NotFound as exc:
                hint = f" Known: {', '.join(exc.suggestions)}." if exc.suggestions else ""
                return self._finish(uow, dep, "failed", f"{exc}{hint}")
            except MlflowUnavailable as exc:
                return self._postpone(uow, dep, str(exc))
            except MlflowError as exc:
                return self._finish(uow, dep, "failed", str(exc))

    def _finish(self, uow, dep: Deployment, status: str, message: str) -> Outcome:  # noqa: ANN001
        dep.status = "failed" if status == "failed" else "done"
        dep.done_at = self.clock()
        dep.next_attempt_at = None
        dep.attempts += 1
        dep.last_error = message if status == "failed" else ""
        kind = {"failed": "model.deploy_failed"}.get(status, f"model.{'rolled_back' if dep.kind == 'rollback' else 'deployed'}")
        record_activity(
            uow.session, kind=kind, actor=dep.requested_by, guild=dep.guild, subject=dep.model, at=self.clock(),
            figures={"version": dep.version, "alias": dep.alias, "previous": dep.previous_version,
                     "request": dep.request_ref, "moved": status == "done"},
        )
        uow.commit()
        watchers = tuple(watching_channels(uow.session, dep.model)) if status == "done" else ()
        return _outcome(dep, status, message, watchers=watchers)

    def _postpone(self, uow, dep: Deployment, error: str) -> Outcome:  # noqa: ANN001
        dep.attempts += 1
        dep.last_error = error
        if dep.attempts >= self.max_attempts:
            return self._finish(uow, dep, "failed", f"MLflow stayed unreachable after {dep.attempts} attempts.")
        wait = backoff(dep.attempts)
        dep.next_attempt_at = self.clock() + wait
        uow.commit()
        minutes = int(wait.total_seconds() // 60)
        return _outcome(
            dep, "pending",
            f"MLflow is not answering right now. The deployment is saved and I will retry in {minutes} min.",
        )


def _tags(dep: Deployment) -> dict[str, str]:
    return {
        "factorybot.approval": dep.request_ref or "",
        "factorybot.approved_by": ",".join(dep.approved_by),
        "factorybot.requested_by": dep.requested_by,
        "factorybot.alias": dep.alias,
        "factorybot.previous_version": dep.previous_version or "none",
    }


def _done_message(dep: Deployment) -> str:
    verb = "rolled back" if dep.kind == "rollback" else "moved"
    before = f" (was version {dep.previous_version})" if dep.previous_version else ""
    return f"`{dep.model}`: `{dep.alias}` {verb} to version {dep.version}{before}."


def _outcome(dep: Deployment, status: str, message: str, *, watchers: tuple[str, ...] = ()) -> Outcome:
    return Outcome(
        deployment_id=dep.id, status=status, model=dep.model, version=dep.version, alias=dep.alias,
        previous_version=dep.previous_version, message=message, requested_by=dep.requested_by,
        approved_by=tuple(dep.approved_by), request_ref=dep.request_ref, kind=dep.kind, notify=dict(dep.notify),
        watchers=watchers,
    )
